//! Input and output: saving and loading models in the form `docs/format.md` describes
//! (`serialize`, reached through the saving methods of [`Params`](crate::Params); its
//! `checksum`; `disk` for files, `folder` for folders saved whole, and `temp` for the
//! temporary files and folders of saves); the sealed forms of training checkpoints and
//! optimizer states (`envelope`, which `training` fills); reading labelled text ([`corpus`]),
//! and reading networks written as text ([`Network`]).
//!
//! What it may use: `model/` and `data/`; and, to build networks read from text, `layers/`,
//! `combinators/` and `text/` (the tables of `static_vectors`).

pub(crate) mod checksum;
pub mod corpus;
pub(crate) mod disk;
pub(crate) mod envelope;
pub(crate) mod folder;
mod network;
pub(crate) mod serialize;
mod temp;

pub use network::Network;
