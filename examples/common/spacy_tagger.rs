//! spaCy's CNN tagger: the tagger of spaCy's small English pipeline (`en_core_web_sm`), its
//! tok2vec (`spacy.rs`) and a softmax over the tags per token, on the Turkish part-of-speech
//! data.

use weft::pipeline::Corpus;
use weft::text::Attr;
use weft::training::Examples;
use weft::{Floats2, Keys, Model, Ragged, model};

use crate::common::Options;
use crate::spacy::tok2vec;

/// Epochs to train by default.
pub const EPOCHS: usize = 5;

/// The shipped file of `split` (`train`, `dev` or `test`).
pub fn file(split: &str) -> String {
    format!("twt_upos.{split}.conll")
}

/// Reads the files of `options`, each sentence as rows of the keys of `attrs` ([`ATTRS`](crate::spacy::ATTRS), and
/// with pretrained vectors [`Attr::Orth`] after them); the tags come from the training file.
pub fn load(options: &Options, attrs: &[Attr]) -> weft::Result<Corpus<Vec<usize>, Keys>> {
    Corpus::tagged_keys(&options.train, &options.dev, options.test.as_deref(), attrs)
}

/// The network, its tags counted in the training data.
pub fn new_model(
    train: &Examples<Vec<usize>, Keys>,
) -> weft::Result<impl Model<In = Ragged<Keys>, Out = Ragged<Floats2>>> {
    model!(tok2vec() >> softmax).initialize(&train.inputs(), train.truths())
}
