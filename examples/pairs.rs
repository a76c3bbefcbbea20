//! Natural language inference on FarsTail (Persian premise / hypothesis pairs, three classes)
//! with decomposable attention, one `model!` expression (`common/pairs.rs`), trained with Adam.
//!
//!     cargo run --release --example pairs [-- --train F --dev F --test F --epochs N
//!         --batch-size N --lr RATE --seed N]
//!
//! The data is the shared folder's (`../shared/data/pairs_farstail.*.tsv`, see its README).
//! Prints after every epoch the mean training loss, dev accuracy and training words per second
//! (the tokens of both sides, over the time spent in training steps, each from the making of
//! its batch), keeps the best epoch's weights, scores them on test when given, and ends with
//! one JSON line of the run, which `bench/pairs.sh` puts beside the PyTorch reference's.

mod common;
#[path = "common/pairs.rs"]
mod pairs;

use std::error::Error;
use std::time::Instant;

use common::Options;
use pairs::{Decomposable, Split};
use weft::losses::CategoricalCrossentropy;
use weft::{Adam, Model, Params, Rng};

const USAGE: &str = "usage: pairs [--train FILE] [--dev FILE] [--test FILE] [--epochs N] \
[--batch-size N] [--lr RATE] [--seed N]
Files hold `label<TAB>premise tokens<TAB>hypothesis tokens` lines; defaults are the shared
../shared/data/pairs_farstail.{train,dev}.tsv.";

/// Pairs per batch when scoring.
const EVAL_BATCH: usize = 256;

fn main() {
    if let Err(err) = run() {
        eprintln!("error: {err}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn Error>> {
    let mut options = Options::new(&pairs::shared_data_dir(), pairs::file, pairs::EPOCHS);
    options.apply(USAGE, common::args(USAGE));
    weft::set_seed(options.seed);
    let data = pairs::load(&options.train, &options.dev, options.test.as_deref())?;
    println!(
        "{} train pairs, {} dev pairs, {} vocabulary rows, classes {:?}",
        data.train.len(),
        data.dev.len(),
        data.vocab.rows(),
        data.labels.names()
    );
    let mut model = pairs::new_model(&data.train)?;
    println!("{} parameters", model.param_count());

    let mut adam = Adam::new(options.learn_rate);
    let mut rng = Rng::new(options.seed);
    let mut order: Vec<usize> = (0..data.train.len()).collect();
    let (mut best, mut best_weights) = (0.0, model.to_bytes()?);
    let (mut words, mut seconds, mut last) = (0, 0.0, 0.0);
    for epoch in 1..=options.epochs {
        rng.shuffle(&mut order);
        let (mut loss_sum, mut epoch_words, mut epoch_seconds) = (0.0, 0, 0.0);
        for batch in order.chunks(options.batch_size) {
            // Timed from the batch's making, as PyTorch's from its padding.
            let started = Instant::now();
            let (x, y) = data.train.batch(batch);
            let (probs, backprop) = model.begin_update(x);
            let (d_probs, loss) = CategoricalCrossentropy.get_grad(&probs, &y)?;
            backprop(d_probs);
            model.finish_update(&mut adam)?;
            epoch_seconds += started.elapsed().as_secs_f64();
            loss_sum += f64::from(loss) * batch.len() as f64;
            epoch_words += data.train.words(batch);
        }
        (words, seconds) = (words + epoch_words, seconds + epoch_seconds);
        last = accuracy(&model, &data.dev)?;
        if last > best {
            (best, best_weights) = (last, model.to_bytes()?);
        }
        println!(
            "epoch {epoch:>2}  loss {:.4}  dev acc {last:.4}  train words/s {:.0}",
            loss_sum / data.train.len() as f64,
            epoch_words as f64 / epoch_seconds
        );
    }
    model.from_bytes(&best_weights)?;
    let test = data
        .test
        .as_ref()
        .map(|test| accuracy(&model, test))
        .transpose()?;
    if let Some(test) = test {
        println!("test acc {test:.4} (the best epoch's weights)");
    }
    println!(
        "{{\"system\": \"weft\", \"task\": \"pairs\", \"epochs\": {}, \"train_words_per_sec\": {:.0}, \
         \"best_dev_acc\": {best:.4}, \"last_dev_acc\": {last:.4}, \"test_acc\": {}, \"params\": {}}}",
        options.epochs,
        words as f64 / seconds,
        test.map_or("null".into(), |t| format!("{t:.4}")),
        model.param_count()
    );
    Ok(())
}

/// The share of `split`'s pairs whose most probable class is their class.
fn accuracy(model: &Decomposable, split: &Split) -> weft::Result<f64> {
    let indices: Vec<usize> = (0..split.len()).collect();
    let mut correct = 0;
    for batch in indices.chunks(EVAL_BATCH) {
        let (x, y) = split.batch(batch);
        let predicted = model.predict(x).argmax()?;
        correct += predicted.iter().zip(&y).filter(|(p, y)| p == y).count();
    }
    Ok(correct as f64 / split.len().max(1) as f64)
}
