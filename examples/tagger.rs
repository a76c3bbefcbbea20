//! Part-of-speech tagging of Turkish: embed (64) >> BiLSTM (64 per direction) >> softmax over
//! the tags, for every token, trained with Adam (lr 0.001, batch 32) by the library's training
//! loop.
//!
//!     cargo run --release --example tagger [-- --train F --dev F --test F --epochs N]
//!
//! Prints an evaluation on dev after every epoch (the mean training loss, dev token accuracy and
//! training words per second), keeps the best epoch's model, and scores it on test. The data and
//! the network are in `common/tagger.rs`.

mod common;
#[path = "common/tagger.rs"]
mod tagger;
#[path = "common/train.rs"]
mod train;

use std::error::Error;

use common::Options;
use weft::Params;
use weft::training::Tagging;

const USAGE: &str = "usage: tagger [--train FILE] [--dev FILE] [--test FILE] [--epochs N] \
[--batch-size N] [--lr RATE] [--seed N]
Files hold `token<TAB>tag` lines with a blank line after each sentence; defaults are the
shipped examples/data/twt_upos.{train,dev}.conll.";

fn main() {
    if let Err(err) = run() {
        eprintln!("error: {err}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn Error>> {
    let mut options = Options::new(&common::data_dir(), tagger::file, tagger::EPOCHS);
    options.apply(USAGE, common::args(USAGE));
    weft::set_seed(options.seed);
    let data = tagger::load(&options)?;
    println!(
        "{} train sentences, {} dev sentences, {} vocabulary rows, {} tags",
        data.train.len(),
        data.dev.len(),
        data.vocab.rows(),
        data.labels.len()
    );

    let mut model = tagger::new_model(&data.train)?;
    println!("{} parameters", model.param_count());
    train::train_and_test(
        &mut model,
        &Tagging::new(data.labels.names()),
        &data,
        &options,
    )?;
    Ok(())
}
