//! Optimizers: [`Sgd`] and [`Adam`], with L2 or decoupled weight decay and gradient clipping;
//! their states saved and loaded (`state`) for training checkpoints.
//!
//! An optimizer is handed every parameter by [`Params::finish_update`](crate::Params::finish_update),
//! which also computes the global gradient norm for clipping. State (Adam's moments) is kept per
//! parameter path, so use one optimizer per model.
//!
//! Both update a lookup table's untouched rows (see [`Param::update`](crate::Param::update))
//! without reading their gradient, which is zero: the results are those of a dense update.
//!
//! # Checks
//!
//! The settings are public fields, so they are checked where they are used: `finish_update`
//! calls [`Optimizer::validate`] before every update, which names the first setting out of its
//! range (a learning rate that is NaN, a `grad_clip` of 0). Then, before it writes anything,
//! [`Optimizer::check`] answers for each parameter whether its update leaves every value (and
//! Adam's moments) finite and within [`LIMIT`] in magnitude: beyond it a model is ruined (a
//! product of two such values is infinite), though `to_bytes` would still save it. Both
//! optimizers answer from bounds, without a pass over the values: a bound of the values that
//! their last update left (SGD's kernel finds the largest magnitude it writes, in registers;
//! Adam's moves each value by at most a bound it knows beforehand, see `AdamStep::ratio_bound`),
//! the gradient's norm and the settings bound every result of the step. When a bound passes
//! half the limit (huge values or gradients, a tiny `eps`, a learning rate of `f32::MAX`), the
//! values' exact magnitude is found; and if the bounds still cannot tell, the step is computed
//! without being written, to see.

mod adam;
mod sgd;
mod state;
#[cfg(test)]
mod tests;

use std::fmt::Display;

pub use adam::Adam;
pub use sgd::Sgd;

use crate::error::{Error, Result};
use crate::kernels::ops::magnitude_bits;

/// How weights are pulled towards zero.
#[derive(Copy, Clone, Debug, PartialEq)]
pub enum WeightDecay {
    /// None.
    None,
    /// L2 penalty: `rate * w` is added to the gradient (before Adam's scaling).
    L2(f32),
    /// Decoupled weight decay (AdamW): `w -= learn_rate * rate * w`, outside the gradient.
    Decoupled(f32),
}

impl WeightDecay {
    fn penalty(self) -> f32 {
        match self {
            WeightDecay::L2(rate) => rate,
            _ => 0.0,
        }
    }
    fn decoupled(self) -> f32 {
        match self {
            WeightDecay::Decoupled(rate) => rate,
            _ => 0.0,
        }
    }

    /// Checks the rate of `optimizer`'s weight decay: finite and at least 0.
    fn validate(self, optimizer: &str) -> Result<()> {
        let rate = self.penalty() + self.decoupled();
        let valid = rate.is_finite() && rate >= 0.0;
        check_setting(
            valid,
            optimizer,
            "weight decay rate",
            "finite and at least 0",
            rate,
        )
    }
}

/// An [`Error::OutOfRange`] naming `setting` of `optimizer` unless `valid`.
fn check_setting(
    valid: bool,
    optimizer: &str,
    setting: &str,
    expected: &str,
    value: impl Display,
) -> Result<()> {
    match valid {
        true => Ok(()),
        false => Err(Error::out_of_range(
            format!("{optimizer}'s {setting}"),
            expected,
            value,
        )),
    }
}

/// Checks `optimizer`'s learning rate: finite and at least 0 (0 learns nothing, as a schedule
/// may want for a while).
fn check_learn_rate(optimizer: &str, learn_rate: f32) -> Result<()> {
    let valid = learn_rate.is_finite() && learn_rate >= 0.0;
    check_setting(
        valid,
        optimizer,
        "learn_rate",
        "finite and at least 0",
        learn_rate,
    )
}

/// The largest magnitude an update may leave in a value, a mean or a variance (`f32::MAX` is
/// 3.4e38).
const LIMIT: f32 = 1e30;

/// Whether bounds of a step's results, computed in `f64` without rounding, keep the results
/// within [`LIMIT`]: half of it, to leave room for the rounding of `f32` arithmetic. False for
/// a NaN bound.
fn within_limit(bounds: &[f64]) -> bool {
    bounds.iter().all(|&bound| bound <= f64::from(LIMIT) / 2.0)
}

/// The largest magnitudes a step writes, or would write: of the values, and of Adam's means and
/// variances (0 for SGD). Kept as [`magnitude_bits`], so that the kernels' reductions are
/// integer `max`es, which vectorize; NaN is above infinity, above every number.
#[derive(Copy, Clone, Debug, Default)]
struct Largest {
    value: u32,
    mean: u32,
    var: u32,
}

impl Largest {
    /// Takes in one value, mean and variance.
    #[inline(always)]
    fn add(&mut self, value: f32, mean: f32, var: f32) {
        self.value = self.value.max(magnitude_bits(value));
        self.mean = self.mean.max(magnitude_bits(mean));
        self.var = self.var.max(magnitude_bits(var));
    }

    /// The largest magnitude of the values.
    fn value(self) -> f32 {
        f32::from_bits(self.value)
    }

    /// `Ok` when every magnitude is within [`LIMIT`]; else the error that refuses the update
    /// of the parameter at `path`.
    fn within_limit_or_refused(self, path: &str) -> Result<()> {
        let limit = magnitude_bits(LIMIT);
        let moments = self.mean.max(self.var);
        let (what, largest) = if self.value > limit {
            (format!("the values of {path}"), self.value)
        } else if moments > limit {
            (format!("Adam's moments of {path}"), moments)
        } else {
            return Ok(());
        };
        Err(Error::out_of_range(
            format!("{what} after this update"),
            format!("finite and within ±{LIMIT:e}"),
            format!("{:.2e}", f32::from_bits(largest)),
        ))
    }
}
