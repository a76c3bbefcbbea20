//! spaCy's CNN tagger: the tagger of spaCy's small English pipeline (`en_core_web_sm`), on the
//! Turkish part-of-speech data. Each token is four keys of its text (spaCy's NORM, PREFIX,
//! SUFFIX and SHAPE), each embedded by a hash table of its own (`MultiHashEmbed`: 5000, 1000,
//! 2500 and 2500 rows of 96), mixed by a normalized maxout, encoded by four residual window
//! layers (`MaxoutWindowEncoder`: width 96, a window of one token on each side, maxouts of three
//! pieces), and a softmax over the tags per token.

use weft::pipeline::Corpus;
use weft::text::Attr;
use weft::training::Examples;
use weft::{Keys, model, model_type};

use crate::common::Options;

/// Epochs to train by default.
pub const EPOCHS: usize = 5;

/// The token attributes, one column of keys each, in the order of the hash tables.
pub const ATTRS: [Attr; 4] = [Attr::Norm, Attr::Prefix, Attr::Suffix, Attr::Shape];

/// The network; spaCy's seeds of `MultiHashEmbed` are 8, 9, 10, 11 in the order of the columns.
pub type SpacyTagger = model_type!(
    (hash_embed(column = 0, rows = 5000, width = 96, seed = 8)
        | hash_embed(column = 1, rows = 1000, width = 96, seed = 9)
        | hash_embed(column = 2, rows = 2500, width = 96, seed = 10)
        | hash_embed(column = 3, rows = 2500, width = 96, seed = 11))
        >> maxout(width = 96, pieces = 3)
        >> layer_norm
        >> maxout_window_encoder(depth = 4, window = 1, pieces = 3)
        >> softmax
);

/// The shipped file of `split` (`train`, `dev` or `test`).
pub fn file(split: &str) -> String {
    format!("twt_upos.{split}.conll")
}

/// Reads the files of `options`, each sentence as rows of the keys of [`ATTRS`]; the tags come
/// from the training file.
pub fn load(options: &Options) -> weft::Result<Corpus<Vec<usize>, Keys>> {
    Corpus::tagged_keys(
        &options.train,
        &options.dev,
        options.test.as_deref(),
        &ATTRS,
    )
}

/// The network, its tags counted in the training data.
pub fn new_model(train: &Examples<Vec<usize>, Keys>) -> weft::Result<SpacyTagger> {
    model!(
        (hash_embed(column = 0, rows = 5000, width = 96, seed = 8)
            | hash_embed(column = 1, rows = 1000, width = 96, seed = 9)
            | hash_embed(column = 2, rows = 2500, width = 96, seed = 10)
            | hash_embed(column = 3, rows = 2500, width = 96, seed = 11))
            >> maxout(width = 96, pieces = 3)
            >> layer_norm
            >> maxout_window_encoder(depth = 4, window = 1, pieces = 3)
            >> softmax
    )
    .initialize(&train.inputs(), train.truths())
}
