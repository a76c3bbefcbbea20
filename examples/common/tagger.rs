//! Part-of-speech tagging: sentences with a tag per token (Turkish in the shipped data), and
//! the network embed (64) >> BiLSTM (64 per direction) >> softmax over the tags, per token.

use weft::pipeline::Corpus;
use weft::training::Examples;
use weft::{model, model_type};

use crate::common::Options;

/// Epochs to train by default.
pub const EPOCHS: usize = 15;

/// The network: the softmax follows the BiLSTM's vector per token, so it runs per token.
pub type Tagger = model_type!(embed(width = 64) >> bilstm(hidden = 64) >> softmax);

/// The shipped file of `split` (`train`, `dev` or `test`).
pub fn file(split: &str) -> String {
    format!("twt_upos.{split}.conll")
}

/// Reads the files of `options`: the vocabulary and the labels come from the training file.
pub fn load(options: &Options) -> weft::Result<Corpus<Vec<usize>>> {
    Corpus::tagged(&options.train, &options.dev, options.test.as_deref())
}

/// The network, sized from the training data.
pub fn new_model(train: &Examples<Vec<usize>>) -> weft::Result<Tagger> {
    model!(embed(width = 64) >> bilstm(hidden = 64) >> softmax)
        .initialize(&train.inputs(), train.truths())
}
