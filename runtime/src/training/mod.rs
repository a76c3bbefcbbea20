//! Training: the optimizers ([`Sgd`], [`Adam`]), the losses, learning-rate and batch-size
//! schedules ([`Schedule`]), parameter averaging ([`ParamAverages`]), evaluation metrics
//! ([`Scores`]), and [`gradcheck()`], which checks a layer's gradients against finite
//! differences.
//!
//! What it may use: `model/`, `data/` and `kernels/`.

mod averages;
mod gradcheck;
pub mod losses;
mod metrics;
mod optimizers;
mod schedules;
#[cfg(test)]
pub(crate) mod testing;

pub use averages::{Averaged, ParamAverages};
pub use gradcheck::{GradEntry, GradcheckOptions, GradcheckReport, gradcheck};
pub use metrics::{ClassScores, Scores};
pub use optimizers::{Adam, Sgd, WeightDecay};
pub use schedules::Schedule;
