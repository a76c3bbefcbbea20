//! Text classification on sentence polarity: embed (64) >> BiLSTM (64 per direction) >>
//! attention >> softmax, trained with Adam (lr 0.001, batch 32).
//!
//!     cargo run --release --example textcat [-- --train F --dev F --test F --epochs N]
//!
//! Prints per epoch the mean training loss, dev accuracy and training words per second.

mod common;

use std::error::Error;

use common::{Options, Step};
use weft::corpus::{LabelledText, Labels, Vocab, read_texts};
use weft::losses::CategoricalCrossentropy;
use weft::{Adam, Ids, Model, Params, Ragged, model, model_type};

const USAGE: &str = "usage: textcat [--train FILE] [--dev FILE] [--test FILE] [--epochs N] \
[--batch-size N] [--lr RATE] [--seed N]
Files hold `label<TAB>space-separated tokens` lines; defaults are the shipped
examples/data/rt_polarity.{train,dev}.tsv.";

const WIDTH: usize = 64;
const HIDDEN: usize = 64;

/// The network's type, for functions that take it. The vocabulary rows and the number of
/// classes are left open: `initialize` reads them off the training data.
type TextCat = model_type!(embed(width = WIDTH) >> bilstm(hidden = HIDDEN) >> attention >> softmax);

/// Texts as token ids and class indices.
struct Dataset {
    ids: Vec<Vec<u32>>,
    classes: Vec<usize>,
}

impl Dataset {
    fn new(
        texts: &[LabelledText],
        vocab: &Vocab,
        labels: &Labels,
        what: &str,
    ) -> Result<Self, String> {
        let classes = texts
            .iter()
            .enumerate()
            .map(|(i, text)| {
                labels.index(&text.label).ok_or_else(|| {
                    format!(
                        "{what} text {}: label `{}` is not among the training labels {:?}",
                        i + 1,
                        text.label,
                        labels.names()
                    )
                })
            })
            .collect::<Result<_, _>>()?;
        let ids = texts.iter().map(|t| vocab.encode(&t.tokens)).collect();
        Ok(Dataset { ids, classes })
    }

    fn batch(&self, indices: &[usize]) -> (Ragged<Ids>, Vec<usize>) {
        let x = Ragged::from_sequences(indices.iter().map(|&i| &self.ids[i]));
        (x, indices.iter().map(|&i| self.classes[i]).collect())
    }

    fn all(&self) -> Ragged<Ids> {
        Ragged::from_sequences(&self.ids)
    }
}

/// Accuracy of `model` on `data`, predicting in batches of 128.
fn accuracy(model: &TextCat, data: &Dataset) -> f64 {
    let mut correct = 0;
    for (ids, classes) in data.ids.chunks(128).zip(data.classes.chunks(128)) {
        let predicted = model.predict(Ragged::from_sequences(ids)).argmax();
        correct += predicted
            .iter()
            .zip(classes)
            .filter(|(p, c)| p == c)
            .count();
    }
    correct as f64 / data.ids.len().max(1) as f64
}

fn main() {
    if let Err(err) = run() {
        eprintln!("error: {err}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn Error>> {
    let options = Options::parse(USAGE, "rt_polarity.train.tsv", "rt_polarity.dev.tsv", 5);
    weft::set_seed(options.seed);
    let train_texts = read_texts(&options.train)?;
    let vocab = Vocab::from_tokens(train_texts.iter().flat_map(|t| &t.tokens));
    let labels = Labels::from_names(train_texts.iter().map(|t| &t.label));
    let train = Dataset::new(&train_texts, &vocab, &labels, "train")?;
    let dev = Dataset::new(&read_texts(&options.dev)?, &vocab, &labels, "dev")?;
    println!(
        "{} train texts, {} dev texts, {} vocabulary rows, classes {:?}",
        train.ids.len(),
        dev.ids.len(),
        vocab.rows(),
        labels.names()
    );

    let mut model: TextCat =
        model!(embed(width = WIDTH) >> bilstm(hidden = HIDDEN) >> attention >> softmax)
            .initialize(&train.all(), &train.classes)?;
    println!("{} parameters", model.param_count());
    let mut adam = Adam::new(options.learn_rate);
    let step = |model: &mut TextCat, batch: &[usize]| {
        let (x, truths) = train.batch(batch);
        let words = x.data.0.len();
        let (probs, backprop) = model.begin_update(x);
        let (d_probs, loss) = CategoricalCrossentropy.get_grad(&probs, &truths)?;
        backprop(d_probs);
        model.finish_update(&mut adam)?;
        Ok(Step { loss, words })
    };
    common::train(&mut model, &options, train.ids.len(), step, |m| {
        accuracy(m, &dev)
    })?;
    if let Some(path) = &options.test {
        let test = Dataset::new(&read_texts(path)?, &vocab, &labels, "test")?;
        println!("test acc {:.4}", accuracy(&model, &test));
    }
    Ok(())
}
