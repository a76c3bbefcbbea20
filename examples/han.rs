//! Document classification with a hierarchical attention network (Yang et al. 2016) on movie
//! reviews: every sentence is read by embed (64) >> BiLSTM (64 per direction) >> attention into
//! a sentence vector, and every review, as the sequence of its sentence vectors, by BiLSTM (64
//! per direction) >> attention >> softmax. Adam (lr 0.001 by default), batches of 32 reviews.
//!
//!     cargo run --release --example han [-- --train F --dev F --test F --epochs N
//!         --batch-size N --lr RATE --seed N]
//!
//! Prints after every epoch the mean training loss, the dev accuracy and the training words
//! per second (of the steps, each from the making of its batch); scores the best epoch's model on test; and ends with a JSON
//! line of the run, which `bench/han.sh` sets beside PyTorch's (`bench/torch_han.py`). The
//! layers use the thread pool's threads: `RAYON_NUM_THREADS=1` for one.
//!
//! The files hold `label<TAB>sentence ||| sentence ...` lines (`corpus::read_documents`); by
//! default the shared data's `docs_polarity.{train,dev}.tsv`, in `../shared/data` beside the
//! checkout (5 MB: too big to ship in `examples/data`). The library's training loop takes
//! texts (`Ragged<Ids>`), so this example runs its own.

mod common;

use std::error::Error;
use std::path::Path;
use std::time::Instant;

use common::Options;
use weft::corpus::{LabelledDocument, Labels, Vocab, read_documents};
use weft::losses::CategoricalCrossentropy;
use weft::{Adam, Documents, Model, Params, Rng, model, model_type};

const WIDTH: usize = 64;
const HIDDEN: usize = 64;

/// Epochs to train by default.
const EPOCHS: usize = 10;

/// Reviews per prediction batch.
const PREDICT_BATCH: usize = 128;

const USAGE: &str = "usage: han [--train FILE] [--dev FILE] [--test FILE] [--epochs N] \
[--batch-size N] [--lr RATE] [--seed N]
Files hold `label<TAB>sentence ||| sentence ...` lines, the tokens of a sentence separated by
spaces; defaults are docs_polarity.{train,dev}.tsv of the shared data beside the checkout.";

/// The network: words → sentence vectors → a document vector → classes. The vocabulary rows
/// and the classes are read off the training data.
type Han = model_type!(
    sentences(embed(width = WIDTH) >> bilstm(hidden = HIDDEN) >> attention)
        >> bilstm(hidden = HIDDEN)
        >> attention
        >> softmax
);

/// Reviews as token ids, sentence by sentence, with their classes.
struct Split {
    documents: Vec<Vec<Vec<u32>>>,
    classes: Vec<usize>,
}

impl Split {
    /// `documents`, read from `path`, with the training vocabulary and labels.
    fn encode(
        documents: &[LabelledDocument],
        vocab: &Vocab,
        labels: &Labels,
        path: &Path,
    ) -> weft::Result<Split> {
        let mut split = Split {
            documents: Vec::with_capacity(documents.len()),
            classes: Vec::with_capacity(documents.len()),
        };
        for document in documents {
            let sentences = document.sentences.iter().map(|s| vocab.encode(s));
            split.documents.push(sentences.collect());
            split
                .classes
                .push(labels.index_at(&document.label, path, document.line)?);
        }
        Ok(split)
    }

    /// The reviews at `indices`, packed, with their classes and their number of tokens.
    fn batch(&self, indices: &[usize]) -> (Documents, Vec<usize>, usize) {
        let x = Documents::from_documents(indices.iter().map(|&i| &self.documents[i]));
        let words = x.data().data().0.len();
        (x, indices.iter().map(|&i| self.classes[i]).collect(), words)
    }
}

fn main() {
    if let Err(err) = run() {
        eprintln!("error: {err}");
        std::process::exit(1);
    }
}

/// The shared data's file of `split`.
fn file(split: &str) -> String {
    format!("docs_polarity.{split}.tsv")
}

fn run() -> Result<(), Box<dyn Error>> {
    // The shared data folder beside the checkout.
    let shared = common::data_dir().join("../../../shared/data");
    let mut options = Options::new(&shared, file, EPOCHS);
    options.apply(USAGE, common::args(USAGE));
    weft::set_seed(options.seed);

    let train_docs = read_documents(&options.train)?;
    let vocab = Vocab::from_tokens(train_docs.iter().flat_map(LabelledDocument::tokens));
    let labels = Labels::from_names(train_docs.iter().map(|d| &d.label));
    let read = |path: &Path| -> weft::Result<Split> {
        Split::encode(&read_documents(path)?, &vocab, &labels, path)
    };
    let train = Split::encode(&train_docs, &vocab, &labels, &options.train)?;
    let dev = read(&options.dev)?;
    let test = options.test.as_deref().map(read).transpose()?;
    println!(
        "{} train reviews, {} dev reviews, {} vocabulary rows, classes {:?}",
        train.documents.len(),
        dev.documents.len(),
        vocab.rows(),
        labels.names()
    );

    let all = Documents::from_documents(&train.documents);
    let mut model: Han = model!(
        sentences(embed(width = WIDTH) >> bilstm(hidden = HIDDEN) >> attention)
            >> bilstm(hidden = HIDDEN)
            >> attention
            >> softmax
    )
    .initialize(&all, &train.classes)?;
    println!(
        "{} parameters, {} threads",
        model.param_count(),
        weft::threads()
    );

    let run = train_epochs(&mut model, &train, &dev, &options)?;
    let test_accuracy = match &test {
        Some(test) => {
            let accuracy = accuracy(&model, test)?;
            println!("test acc {accuracy:.4}");
            format!("{accuracy:.4}")
        }
        None => "null".into(),
    };
    let dev_accuracies: Vec<String> = run.dev.iter().map(|a| format!("{a:.4}")).collect();
    println!(
        "{{\"system\": \"weft\", \"threads\": {}, \"epochs\": {}, \"batch_size\": {}, \"lr\": {}, \
         \"n_params\": {}, \"train_words_per_sec\": {:.1}, \"dev_acc_per_epoch\": [{}], \
         \"best_dev_acc\": {:.4}, \"test_acc\": {test_accuracy}}}",
        weft::threads(),
        options.epochs,
        options.batch_size,
        options.learn_rate,
        model.param_count(),
        run.words_per_second,
        dev_accuracies.join(", "),
        run.dev.iter().copied().fold(0.0, f64::max),
    );
    Ok(())
}

/// What training gave: the dev accuracy after every epoch, and the training words per second.
struct Run {
    dev: Vec<f64>,
    words_per_second: f64,
}

/// Trains `model` on `train` for the epochs of `options` with Adam, in shuffled batches;
/// scores `dev` after every epoch, and leaves in `model` the weights of the best epoch.
fn train_epochs(
    model: &mut Han,
    train: &Split,
    dev: &Split,
    options: &Options,
) -> weft::Result<Run> {
    let mut adam = Adam::new(options.learn_rate);
    let mut rng = Rng::new(options.seed);
    let mut order: Vec<usize> = (0..train.documents.len()).collect();
    let (mut words, mut seconds) = (0, 0.0);
    let mut best: Option<(f64, Vec<u8>)> = None;
    let mut accuracies = Vec::new();
    for epoch in 1..=options.epochs {
        rng.shuffle(&mut order);
        let mut loss = 0.0;
        for indices in order.chunks(options.batch_size) {
            // Timed from the batch's making, as PyTorch's from its padding.
            let started = Instant::now();
            let (x, classes, batch_words) = train.batch(indices);
            let model_now = &*model;
            let batch_loss = weft::on_pool(|| -> weft::Result<f32> {
                let (probs, backprop) = model_now.begin_update(x);
                let (d_probs, loss) = CategoricalCrossentropy.get_grad(&probs, &classes)?;
                backprop(d_probs);
                Ok(loss)
            })?;
            model.finish_update(&mut adam)?;
            seconds += started.elapsed().as_secs_f64();
            words += batch_words;
            loss += f64::from(batch_loss) * indices.len() as f64;
        }
        let accuracy = accuracy(model, dev)?;
        println!(
            "epoch {epoch}: loss {:.4}, dev acc {accuracy:.4}, {:.0} words/s",
            loss / order.len() as f64,
            words as f64 / seconds
        );
        if best.as_ref().is_none_or(|(b, _)| accuracy > *b) {
            best = Some((accuracy, model.to_bytes()?));
        }
        accuracies.push(accuracy);
    }
    if let Some((_, weights)) = best {
        model.from_bytes(&weights)?;
    }
    Ok(Run {
        dev: accuracies,
        words_per_second: words as f64 / seconds,
    })
}

/// The share of the reviews of `split` whose class `model` predicts.
fn accuracy(model: &Han, split: &Split) -> weft::Result<f64> {
    let mut correct = 0;
    let indices: Vec<usize> = (0..split.documents.len()).collect();
    for chunk in indices.chunks(PREDICT_BATCH) {
        let (x, classes, _) = split.batch(chunk);
        let predicted = model.predict_parallel(x).argmax()?;
        correct += predicted
            .iter()
            .zip(&classes)
            .filter(|(p, c)| p == c)
            .count();
    }
    Ok(correct as f64 / split.documents.len().max(1) as f64)
}
