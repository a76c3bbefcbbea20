//! Text classification: texts labelled with a class (sentence polarity in the shipped data),
//! and the network embed (64) >> BiLSTM (64 per direction) >> attention >> softmax.

use weft::pipeline::Corpus;
use weft::training::Examples;
use weft::{model, model_type};

use crate::common::Options;

const WIDTH: usize = 64;
const HIDDEN: usize = 64;

/// Epochs to train by default.
pub const EPOCHS: usize = 5;

/// The network's type, for functions that take it. The vocabulary rows and the number of
/// classes are left open: `initialize` reads them off the training data.
pub type TextCat =
    model_type!(embed(width = WIDTH) >> bilstm(hidden = HIDDEN) >> attention >> softmax);

/// The shipped file of `split` (`train`, `dev` or `test`).
pub fn file(split: &str) -> String {
    format!("rt_polarity.{split}.tsv")
}

/// Reads the files of `options`: the vocabulary and the labels come from the training file.
pub fn load(options: &Options) -> weft::Result<Corpus<usize>> {
    Corpus::texts(&options.train, &options.dev, options.test.as_deref())
}

/// The network, sized from the training data.
pub fn new_model(train: &Examples<usize>) -> weft::Result<TextCat> {
    model!(embed(width = WIDTH) >> bilstm(hidden = HIDDEN) >> attention >> softmax)
        .initialize(&train.inputs(), train.truths())
}
