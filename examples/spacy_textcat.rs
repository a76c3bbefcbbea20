//! spaCy's ensemble text classifier (`TextCatEnsemble.v2`) on sentence polarity: a bag of
//! words (`sparse_linear`, spaCy's `TextCatBOW`: hashed features straight to class scores) beside
//! a CNN (the tagger's tok2vec, `common/spacy.rs`, pooled by attention), their scores side by
//! side into a linear layer and a softmax. Trained with Adam (lr 0.001, batch 32) by the library's loop.
//!
//!     cargo run --release --example spacy_textcat [-- --train F --dev F --test F --epochs N]
//!
//! Prints an evaluation on dev after every epoch, keeps the best epoch's model, and scores it on
//! test. The bag of words reads every key of a token's row: its four attributes.

mod common;
#[path = "common/spacy.rs"]
mod spacy;
#[path = "common/train.rs"]
mod train;

use std::error::Error;

use common::Options;
use spacy::{ATTRS, tok2vec};
use weft::pipeline::Corpus;
use weft::training::TextClassification;
use weft::{Params, model};

const USAGE: &str = "usage: spacy_textcat [--train FILE] [--dev FILE] [--test FILE] [--epochs N] \
[--batch-size N] [--lr RATE] [--seed N]
Files hold `label<TAB>text` lines; defaults are the shipped examples/data/rt_polarity.{train,dev}.tsv.";

fn main() {
    if let Err(err) = run() {
        eprintln!("error: {err}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn Error>> {
    let file = |split: &str| format!("rt_polarity.{split}.tsv");
    let mut options = Options::new(&common::data_dir(), file, 5);
    options.apply(USAGE, common::args(USAGE));
    weft::set_seed(options.seed);
    let test = options.test.as_deref();
    let data = Corpus::texts_keys(&options.train, &options.dev, test, &ATTRS)?;
    let classes = data.labels.len();
    println!(
        "{} train texts, {} dev texts, classes {:?}",
        data.train.len(),
        data.dev.len(),
        data.labels.names()
    );

    let mut model = model!(
        (sparse_linear(classes = classes)
            | tok2vec()
                >> attention
                >> residual(maxout(width = 96, pieces = 3))
                >> linear(width = classes))
            >> linear(width = classes)
            >> softmax(classes = classes)
    );
    println!("{} parameters", model.param_count());
    let task = TextClassification::new(data.labels.names());
    train::train_and_test(&mut model, &task, &data, &options)?;
    Ok(())
}
