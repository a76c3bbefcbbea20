//! Trained spaCy pipelines in weft: the files of a pipeline (as `nlp.to_disk` saves them) read
//! as they are. [`ThincModel`] reads a component's `model` file, the saved form of a Thinc model
//! (its nodes, with their names, dimensions, attributes and parameters); [`Norms`] the table of
//! norms of `vocab/lookups.bin`. `docs/format.md` describes the files as read.
//!
//! ```no_run
//! use weft_runtime::spacy::ThincModel;
//! let model = ThincModel::read("en_core_web_sm-3.8.0/tok2vec/model".as_ref())?;
//! for table in model.nodes_named("hashembed") {
//!     println!("{:?} rows {:?}", table.attr("seed"), table.dim("nV"));
//! }
//! # Ok::<(), weft_runtime::Error>(())
//! ```

mod architecture;
mod config;
mod lookups;
mod msgpack;
mod network;
mod thinc_model;

pub use architecture::{TaggerArchitecture, Tok2VecArchitecture};
pub use lookups::Norms;
pub use network::Output;
pub use thinc_model::{ThincArray, ThincAttr, ThincModel, ThincNode};
