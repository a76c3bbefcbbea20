//! Combinators: models made of models.
//!
//! | combinator | operator in `model!` | shape |
//! |---|---|---|
//! | [`chain`] | `a >> b` | `a`'s output feeds `b` |
//! | [`concat()`] | `a \| b` | both see the input; outputs side by side |
//! | [`add`] | `a + b` | both see the input; outputs summed |
//! | [`clones`] | `a ** n` | `n` fresh copies of `a`, chained |
//! | [`residual`] | `residual(a)` | `x + a(x)` |
//! | [`with_array`] | `with_array(a)` | a per-row layer applied to every token of ragged sequences |
//! | [`sentences`] | `sentences(a)` | a sequence model pooled over every sentence of documents; the documents get a vector per sentence |
//! | [`both`] | `both(a)` | `a` on both sides of [`Pairs`](crate::Pairs), one set of weights |
//! | [`Shared`] | a value of yours used twice | one layer in several places, one set of weights |
//!
//! [`After`] is how `model!` sizes the built-in layers after a layer of yours and runs them on
//! every token when it outputs sequences.
//!
//! Combinators are transparent in parameter paths: the layers inside are numbered in the
//! order they appear in the flattened expression, however the expression is nested.
//! Backprop of the fan-out combinators (`concat`, `add`, `residual`) sums the input gradients.
//!
//! What they may use: `model/` and `data/`. Their tests also use `layers/` and `training/`.

mod add;
mod both;
mod chain;
mod clones;
mod concat;
mod lift;
mod residual;
mod sentences;
mod shared;
mod with_array;

pub use add::{Add, add};
pub use both::{Both, both};
pub use chain::{Chain, chain};
pub use clones::{Clones, clones};
pub use concat::{Concat, concat};
pub use lift::{After, Lift};
pub use residual::{Residual, residual};
pub use sentences::{Sentences, sentences};
pub use shared::Shared;
pub use with_array::{WithArray, with_array};
