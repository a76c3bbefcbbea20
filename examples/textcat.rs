//! Text classification on sentence polarity: embed (64) >> BiLSTM (64 per direction) >>
//! attention >> softmax, trained with Adam (lr 0.001, batch 32).
//!
//!     cargo run --release --example textcat [-- --train F --dev F --test F --epochs N]
//!
//! Prints per epoch the mean training loss, dev accuracy and training words per second.

mod common;

use std::error::Error;
use std::time::{Duration, Instant};

use common::{Options, Progress};
use weft::combinators::{Chain, WithArray, chain, with_array};
use weft::corpus::{LabelledText, Labels, Vocab, read_texts};
use weft::layers::{Attention, BiLstm, Embed, Softmax};
use weft::losses::CategoricalCrossentropy;
use weft::{Adam, Const, Model, Params, Ragged, Rng};

const USAGE: &str = "usage: textcat [--train FILE] [--dev FILE] [--test FILE] [--epochs N] \
[--batch-size N] [--lr RATE] [--seed N]
Files hold `label<TAB>space-separated tokens` lines; defaults are the shipped
examples/data/rt_polarity.{train,dev}.tsv.";

type Width = Const<64>;
type Hidden = Const<64>;
type Encoded = Const<128>;

/// The network, spelled out: a typed value whose widths the compiler checks.
type TextCat = Chain<
    WithArray<Embed<Width>>,
    Chain<BiLstm<Width, Hidden, Encoded>, Chain<Attention<Encoded>, Softmax<Encoded, usize>>>,
>;

fn build(vocab_rows: usize, classes: usize) -> TextCat {
    chain(
        with_array(Embed::new(vocab_rows, Width::default())),
        chain(
            BiLstm::new(Width::default(), Hidden::default(), 1),
            chain(
                Attention::new(Encoded::default()),
                Softmax::new(Encoded::default(), classes),
            ),
        ),
    )
}

/// Texts as token ids and class indices.
struct Dataset {
    ids: Vec<Vec<u32>>,
    classes: Vec<usize>,
}

fn encode(
    texts: &[LabelledText],
    vocab: &Vocab,
    labels: &Labels,
    what: &str,
) -> Result<Dataset, String> {
    let mut classes = Vec::with_capacity(texts.len());
    for (i, text) in texts.iter().enumerate() {
        let class = labels.index(&text.label).ok_or_else(|| {
            format!(
                "{what} text {}: label `{}` is not among the training labels {:?}",
                i + 1,
                text.label,
                labels.names()
            )
        })?;
        classes.push(class);
    }
    Ok(Dataset {
        ids: texts.iter().map(|t| vocab.encode(&t.tokens)).collect(),
        classes,
    })
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
    let dev_texts = read_texts(&options.dev)?;
    let vocab = Vocab::from_tokens(train_texts.iter().flat_map(|t| &t.tokens));
    let labels = Labels::from_names(train_texts.iter().map(|t| &t.label));
    let train = encode(&train_texts, &vocab, &labels, "train")?;
    let dev = encode(&dev_texts, &vocab, &labels, "dev")?;
    println!(
        "{} train texts, {} dev texts, {} vocabulary rows, classes {:?}",
        train.ids.len(),
        dev.ids.len(),
        vocab.rows(),
        labels.names()
    );

    let mut model = build(vocab.rows(), labels.len());
    println!("{} parameters", model.param_count());
    let mut adam = Adam::new(options.learn_rate);
    let mut rng = Rng::new(options.seed);
    let mut order: Vec<usize> = (0..train.ids.len()).collect();
    let (mut words, mut train_time) = (0usize, Duration::ZERO);
    for epoch in 1..=options.epochs {
        rng.shuffle(&mut order);
        let progress = Progress::new(order.len());
        let (mut loss_sum, mut seen) = (0.0f64, 0usize);
        for batch in order.chunks(options.batch_size) {
            let started = Instant::now();
            let x = Ragged::from_sequences(batch.iter().map(|&i| &train.ids[i]));
            let truths: Vec<usize> = batch.iter().map(|&i| train.classes[i]).collect();
            let batch_words = x.data.0.len();
            let (probs, backprop) = model.begin_update(x);
            let (d_probs, loss) = CategoricalCrossentropy.get_grad(&probs, &truths)?;
            backprop(d_probs);
            model.finish_update(&mut adam)?;
            train_time += started.elapsed();
            words += batch_words;
            loss_sum += f64::from(loss) * batch.len() as f64;
            seen += batch.len();
            progress.show(seen, &format!("loss {:.4}", loss_sum / seen as f64));
        }
        progress.finish();
        println!(
            "epoch {epoch}: loss {:.4}  dev acc {:.4}  train {:.0} words/s",
            loss_sum / seen.max(1) as f64,
            accuracy(&model, &dev),
            words as f64 / train_time.as_secs_f64()
        );
    }
    if let Some(path) = &options.test {
        let test = encode(&read_texts(path)?, &vocab, &labels, "test")?;
        println!("test acc {:.4}", accuracy(&model, &test));
    }
    Ok(())
}
