//! spaCy's CNN tagger (the tagger of its small English pipeline) on the Turkish part-of-speech
//! data: hash embeddings of four token attributes, four residual window layers of width 96,
//! and a softmax per token, trained with Adam (lr 0.001, batch 32) by the library's loop.
//!
//!     cargo run --release --example spacy_tagger [-- --train F --dev F --test F --epochs N]
//!
//! Prints an evaluation on dev after every epoch (the mean training loss, dev token accuracy and
//! training words per second), keeps the best epoch's model, and scores it on test. The data and
//! the network are in `common/spacy_tagger.rs`; `bench/` runs spaCy's own beside it.

mod common;
#[path = "common/spacy.rs"]
mod spacy;
#[path = "common/spacy_tagger.rs"]
mod spacy_tagger;
#[path = "common/train.rs"]
mod train;

use std::error::Error;

use common::Options;
use weft::Params;
use weft::training::Tagging;

const USAGE: &str = "usage: spacy_tagger [--train FILE] [--dev FILE] [--test FILE] [--epochs N] \
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
    let mut options = Options::new(
        &common::data_dir(),
        spacy_tagger::file,
        spacy_tagger::EPOCHS,
    );
    options.apply(USAGE, common::args(USAGE));
    weft::set_seed(options.seed);
    let data = spacy_tagger::load(&options)?;
    println!(
        "{} train sentences, {} dev sentences, {} tags, attributes {:?}",
        data.train.len(),
        data.dev.len(),
        data.labels.len(),
        spacy::ATTRS.map(|attr| attr.name())
    );

    let mut model = spacy_tagger::new_model(&data.train)?;
    println!("{} parameters", model.param_count());
    train::train_and_test(
        &mut model,
        &Tagging::new(data.labels.names()),
        &data,
        &options,
    )?;
    Ok(())
}
