//! Training: the loop ([`train()`]) over [`Examples`] for a [`Task`] (text classification,
//! tagging), as [`Settings`] say, with its [`Evaluation`]s; the optimizers ([`Sgd`], [`Adam`]);
//! the losses; and [`gradcheck()`], which checks a layer's gradients against finite
//! differences.
//!
//! What it may use: `model/`, `data/` and `kernels/`.

mod examples;
mod gradcheck;
pub mod losses;
mod optimizers;
mod task;
#[cfg(test)]
pub(crate) mod testing;
mod train;

pub use examples::{BatchSize, Examples};
pub use gradcheck::{GradEntry, GradcheckOptions, GradcheckReport, gradcheck};
pub use optimizers::{Adam, Sgd, WeightDecay};
pub use task::{Tagging, Task, TextClassification};
pub use train::{Evaluation, Observer, Outcome, Settings, accuracy, predict, train};
