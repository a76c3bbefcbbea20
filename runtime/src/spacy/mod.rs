//! Trained spaCy pipelines in weft: a pipeline's tagger (its `tok2vec` and `tagger`, as
//! `nlp.to_disk` saves them) loaded into weft's network of the same architecture, predicting
//! the same tags with the same scores (within 1e-4 of spaCy's, on its small English pipeline and
//! on one trained with spaCy's CLI).
//!
//! [`Tagger::load`] reads the pipeline's folder: `config.cfg` for the architecture (references
//! resolved; an architecture weft does not build is refused, by name), the tagger's `cfg` for its
//! labels, the Thinc models `tagger/model` and the tok2vec's ([`ThincModel`]), and the norms of
//! `vocab/lookups.bin` ([`Norms`]). It builds the network of [`TaggerArchitecture::network`] and
//! copies every parameter in, checking each shape against the config. weft builds the tagger of
//! spaCy's CNN pipelines: `spacy.Tagger.v2` over `spacy.Tok2Vec.v2` of `spacy.MultiHashEmbed.v2`
//! (any of the attributes of [`Attr`](crate::text::Attr); with static vectors, the table of
//! the pipeline's `vocab/`, [`Vectors::read_spacy`](crate::text::Vectors::read_spacy)) and
//! `spacy.MaxoutWindowEncoder.v2`, the tagger's own or a tok2vec component's that it listens to
//! (`spacy.Tok2VecListener.v1`). `docs/format.md` describes the files as read.
//!
//! The tokens are given as words ([`Token`](crate::text::Token): the text and whether a space
//! follows), as to spaCy's `Doc(vocab, words=..., spaces=...)`; their keys are computed by
//! [`text`](crate::text), with the pipeline's table of norms.
//!
//! ```
//! use weft_runtime::spacy::Tagger;
//! use weft_runtime::text::Token;
//! # let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/spacy_tagger/listener");
//! let tagger = Tagger::load(dir)?; // a folder that `nlp.to_disk` wrote
//! let words = ["Bugün", "hava", "güzel", "."];
//! let tokens: Vec<Token> = words
//!     .iter()
//!     .enumerate()
//!     .map(|(i, text)| Token { text, space_after: i + 2 < words.len() })
//!     .collect();
//! let tagged = tagger.tag(&[&tokens])?;
//! assert_eq!(tagged[0].tags.len(), 4); // a tag per token, one of tagger.labels()
//! assert_eq!(tagged[0].scores.shape(), [4, tagger.labels().len()]);
//! // The same network, ending in softmax, to train on in weft:
//! let model = tagger.training_model()?;
//! # Ok::<(), weft_runtime::Error>(())
//! ```

mod architecture;
mod config;
mod lookups;
mod msgpack;
mod network;
mod tagger;
mod thinc_model;
mod vectors;
mod weights;

pub use architecture::{TaggerArchitecture, Tok2VecArchitecture};
pub use lookups::Norms;
pub use network::Output;
pub use tagger::{TaggedSentence, Tagger, TaggerModel};
pub use thinc_model::{ThincArray, ThincAttr, ThincModel, ThincNode};

#[cfg(test)]
mod tests;
