//! spaCy's token-to-vector network (`tok2vec`) of its small English pipeline, which the spaCy
//! examples share: each token is four keys of its text (spaCy's NORM, PREFIX, SUFFIX and
//! SHAPE), each embedded by a hash table of its own (`MultiHashEmbed`: 5000, 1000, 2500 and 2500
//! rows of 96, spaCy's seeds 8 to 11), mixed by a normalized maxout of three pieces, and encoded
//! by four residual window layers (`MaxoutWindowEncoder`: width 96, a window of one token on
//! each side, maxouts of three pieces). With pretrained vectors (`include_static_vectors`), each
//! token's vector, projected to 96, goes beside the four tables.

use weft::text::Attr;
use weft::{Const, Floats2, Keys, Model, Ragged, model};

/// The token attributes, one column of keys each, in the order of the hash tables.
pub const ATTRS: [Attr; 4] = [Attr::Norm, Attr::Prefix, Attr::Suffix, Attr::Shape];

/// The tok2vec, with `$vectors` (nothing, or `| static_vectors(..)` reading column 4) after
/// the tables.
macro_rules! tok2vec_network {
    ($($vectors:tt)*) => {
        model!(
            (hash_embed(column = 0, rows = 5000, width = 96, seed = 8)
                | hash_embed(column = 1, rows = 1000, width = 96, seed = 9)
                | hash_embed(column = 2, rows = 2500, width = 96, seed = 10)
                | hash_embed(column = 3, rows = 2500, width = 96, seed = 11)
                $($vectors)*)
                >> maxout(width = 96, pieces = 3)
                >> layer_norm
                >> maxout_window_encoder(depth = 4, window = 1, pieces = 3)
        )
    };
}
pub(crate) use tok2vec_network;

/// The tok2vec: rows of the keys of [`ATTRS`] to a vector of 96 per token.
pub fn tok2vec() -> impl Model<In = Ragged<Keys>, Out = Ragged<Floats2<Const<96>>>> {
    self::tok2vec_network!() // through the re-export, which `spacy_tagger --vectors` calls too
}
