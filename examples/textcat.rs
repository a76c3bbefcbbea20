//! Text classification on sentence polarity: embed (64) >> BiLSTM (64 per direction) >>
//! attention >> softmax, trained with Adam (lr 0.001, batch 32) by the library's training loop.
//!
//!     cargo run --release --example textcat [-- --train F --dev F --test F --epochs N]
//!
//! Prints an evaluation on dev after every epoch (the mean training loss, dev accuracy and
//! training words per second), keeps the best epoch's model, and scores it on test. The data
//! and the network are in `common/textcat.rs`.

mod common;
#[path = "common/textcat.rs"]
mod textcat;
#[path = "common/train.rs"]
mod train;

use std::error::Error;

use common::Options;
use weft::Params;
use weft::training::TextClassification;

const USAGE: &str = "usage: textcat [--train FILE] [--dev FILE] [--test FILE] [--epochs N] \
[--batch-size N] [--lr RATE] [--seed N]
Files hold `label<TAB>space-separated tokens` lines; defaults are the shipped
examples/data/rt_polarity.{train,dev}.tsv.";

fn main() {
    if let Err(err) = run() {
        eprintln!("error: {err}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn Error>> {
    let mut options = Options::new(&common::data_dir(), textcat::file, textcat::EPOCHS);
    options.apply(USAGE, common::args(USAGE));
    weft::set_seed(options.seed);
    let data = textcat::load(&options)?;
    println!(
        "{} train texts, {} dev texts, {} vocabulary rows, classes {:?}",
        data.train.len(),
        data.dev.len(),
        data.vocab.rows(),
        data.labels.names()
    );

    let mut model = textcat::new_model(&data.train)?;
    println!("{} parameters", model.param_count());
    train::train_and_test(
        &mut model,
        &TextClassification::new(data.labels.names()),
        &data,
        &options,
    )?;
    Ok(())
}
