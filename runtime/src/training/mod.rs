//! Training: the loop ([`train()`]) over [`Examples`] for a [`Task`] (text classification,
//! tagging), as [`Settings`] say, with its [`Evaluation`]s; learning-rate and batch-size
//! schedules ([`Schedule`]); parameter averaging ([`ParamAverages`]); evaluation metrics
//! ([`Scores`]); the optimizers ([`Sgd`], [`Adam`]); the losses; and [`gradcheck()`], which
//! checks a layer's gradients against finite differences.
//!
//! What it may use: `model/`, `data/` and `kernels/`.

mod averages;
mod examples;
mod gradcheck;
pub mod losses;
mod metrics;
mod named_settings;
mod optimizers;
mod schedules;
mod task;
#[cfg(test)]
pub(crate) mod testing;
mod train;

pub use averages::{Averaged, ParamAverages};
pub use examples::{BatchSize, Examples};
pub use gradcheck::{GradEntry, GradcheckOptions, GradcheckReport, gradcheck};
pub use metrics::{ClassScores, Scores};
pub use optimizers::{Adam, Sgd, WeightDecay};
pub use schedules::Schedule;
pub use task::{Tagging, Task, TextClassification};
pub use train::{Evaluation, Observer, Outcome, Score, Settings, evaluate, predict, resume, train};
