//! Training: the optimizers ([`Sgd`], [`Adam`]), the losses, and [`gradcheck()`], which checks a
//! layer's gradients against finite differences.
//!
//! What it may use: `model/`, `data/` and `kernels/`.

mod gradcheck;
pub mod losses;
mod optimizers;
#[cfg(test)]
pub(crate) mod testing;

pub use gradcheck::{GradEntry, GradcheckOptions, GradcheckReport, gradcheck};
pub use optimizers::{Adam, Sgd, WeightDecay};
