//! Input and output: saving and loading models in the form `docs/format.md` describes
//! (`serialize`, reached through the saving methods of [`Params`](crate::Params); its
//! `checksum`; `disk` for files, and `temp` for the temporary files of saves), and reading
//! labelled text ([`corpus`]).
//!
//! What it may use: `model/` and `data/`.

mod checksum;
pub mod corpus;
pub(crate) mod disk;
pub(crate) mod serialize;
mod temp;
