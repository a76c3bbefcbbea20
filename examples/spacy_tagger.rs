//! spaCy's CNN tagger (the tagger of its small English pipeline) on the Turkish part-of-speech
//! data: hash embeddings of four token attributes, four residual window layers of width 96,
//! and a softmax per token, trained with Adam (lr 0.001, batch 32) by the library's loop.
//!
//!     cargo run --release --example spacy_tagger [-- --train F --dev F --test F --epochs N]
//!
//! With `--vectors FILE` (word vectors as text, word2vec's or fastText's `.vec`, or a spaCy
//! vocabulary folder), each token's pretrained vector, projected to 96, goes beside the hash
//! embeddings, as spaCy's `include_static_vectors` does.
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
use std::sync::Arc;

use common::Options;
use weft::pipeline::Corpus;
use weft::text::{Attr, Vectors};
use weft::training::Tagging;
use weft::{Floats2, Keys, Model, Ragged, model};

const USAGE: &str = "usage: spacy_tagger [--train FILE] [--dev FILE] [--test FILE] [--epochs N] \
[--batch-size N] [--lr RATE] [--seed N] [--vectors FILE]
Files hold `token<TAB>tag` lines with a blank line after each sentence; defaults are the
shipped examples/data/twt_upos.{train,dev}.conll. --vectors reads pretrained word vectors
(text: a word and its values a line; or a spaCy vocabulary folder).";

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
    let mut args = common::args(USAGE);
    let vectors = take(&mut args, "--vectors").map(Vectors::read);
    let vectors = vectors.transpose()?.map(Arc::new);
    options.apply(USAGE, args);
    weft::set_seed(options.seed);
    let orth = vectors.as_ref().map(|_| Attr::Orth);
    let attrs: Vec<Attr> = spacy::ATTRS.into_iter().chain(orth).collect();
    let data = spacy_tagger::load(&options, &attrs)?;
    println!(
        "{} train sentences, {} dev sentences, {} tags, attributes {:?}",
        data.train.len(),
        data.dev.len(),
        data.labels.len(),
        attrs.iter().map(|attr| attr.name()).collect::<Vec<_>>()
    );
    let task = Tagging::new(data.labels.names());
    match vectors {
        None => fit(
            spacy_tagger::new_model(&data.train)?,
            &task,
            &data,
            &options,
        ),
        Some(vectors) => {
            let (rows, dim, keys) = (vectors.rows(), vectors.dim(), vectors.keys());
            println!("{rows} pretrained vectors of {dim} ({keys} keys)");
            let tok2vec = || spacy::tok2vec_network!(| static_vectors(vectors = vectors.clone(), width = 96, column = 4));
            let model = model!(tok2vec() >> softmax);
            let model = model.initialize(&data.train.inputs(), data.train.truths())?;
            fit(model, &task, &data, &options)
        }
    }
}

/// Takes the value of `flag` out of `args`, if it is there.
fn take(args: &mut Vec<(String, String)>, flag: &str) -> Option<String> {
    let at = args.iter().position(|(f, _)| f == flag)?;
    Some(args.remove(at).1)
}

/// Trains `model` and scores it, as the options say.
fn fit(
    mut model: impl Model<In = Ragged<Keys>, Out = Ragged<Floats2>>,
    task: &Tagging,
    data: &Corpus<Vec<usize>, Keys>,
    options: &Options,
) -> Result<(), Box<dyn Error>> {
    println!("{} parameters", model.param_count());
    train::train_and_test(&mut model, task, data, options)?;
    Ok(())
}
