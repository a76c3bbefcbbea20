//! # weft
//!
//! Declare, train and ship neural networks for language. A network is a plain, fully typed
//! Rust value: each layer's [`Model::begin_update`] returns its output with a backprop closure,
//! combinators nest those closures, and widths live in the types, so a network whose layers do
//! not fit together does not compile.
//!
//! This crate is the one dependency users need: it re-exports the runtime
//! ([`weft_runtime`]) at its root.
//!
//! ```
//! use weft::{Const, Floats2, Model, combinators::chain, layers::{Relu, Softmax}};
//! let model = chain(Relu::new(Const::<4>, Const::<8>), Softmax::new(Const::<8>, Const::<3>));
//! let p = model.predict(Floats2::from_rows(&[[1.0, 0.0, -1.0, 0.5]]));
//! assert!((p.view().sum() - 1.0).abs() < 1e-6);
//! ```

pub use weft_runtime::*;
/// Builds a network from an expression of layers and combinators.
pub use weft_macros::model;
pub use weft_macros::model_type;

/// The README's examples, compiled and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
