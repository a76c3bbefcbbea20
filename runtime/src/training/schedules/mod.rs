//! [`Schedule`]: a setting that changes with the training step (a learning rate, a batch
//! size), with the formulas and defaults of Thinc's `thinc/schedules.py`; its text form is in
//! `text.rs`.

use std::fmt;

use crate::error::{Error, Result};

/// A value for each training step: a learning rate or a batch size.
///
/// A training loop asks [`value`](Self::value) at each step, counting from 0 (the value of the
/// first update is `value(0)`), as Thinc's optimizer asks its schedules at `optimizer.step`. A
/// config file writes a schedule as text, `name(key = number, ...)`, which [`str::parse`] reads
/// and [`Display`](fmt::Display) writes back.
///
/// Each variant is one of Thinc's schedules (`thinc/schedules.py`), with its keys and defaults;
/// the formulas are computed in `f64`, as Python computes them, and the value is rounded to
/// `f32` at the end. `t`, where a schedule has it, is Thinc's offset of the step (for a run that
/// resumes at step `t`); it defaults to 0.
///
/// Settings out of range (a rate that is negative, zero or NaN, a warm-up as long as the whole
/// run) are errors that name the schedule and the key, from the parse and from every `value`:
/// the fields are public, so a schedule is checked where it is used. No value is clamped into
/// range.
///
/// ```
/// use weft_runtime::training::Schedule;
/// let text = "warmup_linear(initial_rate = 0.001, warmup_steps = 250, total_steps = 20000)";
/// let schedule: Schedule = text.parse()?;
/// assert_eq!(schedule.value(0)?, 0.0);
/// assert_eq!(schedule.value(125)?, 0.0005); // 125 / 250 * 0.001
/// assert_eq!(schedule.to_string(), text);
/// let error = "warmup_linear(initial_rate = -1, warmup_steps = 250, total_steps = 20000)"
///     .parse::<Schedule>()
///     .unwrap_err();
/// assert_eq!(error.to_string(), "warmup_linear's initial_rate must be finite and above 0, found -1");
/// # Ok::<(), weft_runtime::Error>(())
/// ```
#[derive(Copy, Clone, Debug, PartialEq)]
pub enum Schedule {
    /// `rate` at every step (Thinc's `constant`).
    Constant {
        /// The value; finite and above 0.
        rate: f64,
    },
    /// A linear rise from 0 at step 0 to `initial_rate` at `warmup_steps`, then a linear fall
    /// to 0 at `total_steps`, and 0 from there on (Thinc's `warmup_linear`):
    /// `initial_rate * step / warmup_steps` before the warm-up's end, else
    /// `initial_rate * max(0, (total_steps - step) / (total_steps - warmup_steps))`.
    WarmupLinear {
        /// The value at the end of the warm-up; finite and above 0.
        initial_rate: f64,
        /// The steps of the rise; 0 for none.
        warmup_steps: usize,
        /// The step at which the value reaches 0; above `warmup_steps`.
        total_steps: usize,
    },
    /// `base_rate / (1 + decay * (step + t))` (Thinc's `decaying`).
    Decaying {
        /// The value at step 0 (when `t` is 0); finite and above 0.
        base_rate: f64,
        /// How fast the value falls; finite and at least 0.
        decay: f64,
        /// The offset of the step; finite and at least 0.
        t: f64,
    },
    /// Howard and Ruder's slanted triangular learning rate (Thinc's `slanted_triangular`): from
    /// `max_rate / ratio` up to `max_rate` over the first `cut = ⌊num_steps * cut_frac⌋` steps,
    /// then down to `max_rate / ratio` at `num_steps`. With `s = step + t + 1`,
    /// `p = s / cut` while `s < cut`, else `p = 1 - (s - cut) / (cut * (1 / cut_frac - 1))`, and
    /// the value is `max_rate * (1 + p * (ratio - 1)) / ratio`.
    ///
    /// After `num_steps`, where Thinc's formula goes on falling and turns negative (a
    /// negative learning rate), `p` stays at 0: the value stays at `max_rate / ratio`, the
    /// paper's lowest.
    SlantedTriangular {
        /// The value at the top; finite and above 0.
        max_rate: f64,
        /// The length of the triangle; `cut` must be at least 1.
        num_steps: usize,
        /// The part of the steps that rises; in `(0, 1)`. Thinc's default: 0.1.
        cut_frac: f64,
        /// How many times the top is above the bottom; finite and at least 1. Thinc's
        /// default: 32.
        ratio: f64,
        /// The offset of the step; finite and at least 0.
        t: f64,
    },
    /// `start * compound^(step + t)`, up to `stop` and then `stop` (or down to it, when
    /// `start > stop`): Thinc's `compounding`, for batch sizes.
    Compounding {
        /// The value at step 0 (when `t` is 0); finite and above 0.
        start: f64,
        /// The value it reaches and keeps; finite and above 0.
        stop: f64,
        /// The factor of each step: at least 1 when `start <= stop`, in `(0, 1]` when
        /// `start > stop`, so that the value moves towards `stop`.
        compound: f64,
        /// The offset of the step; finite and at least 0.
        t: f64,
    },
}

use Schedule::{Compounding, Constant, Decaying, SlantedTriangular, WarmupLinear};

/// Every schedule's name and keys, in the order [`Display`](fmt::Display) writes them.
const SCHEDULES: [(&str, &[&str]); 5] = [
    ("constant", &["rate"]),
    (
        "warmup_linear",
        &["initial_rate", "warmup_steps", "total_steps"],
    ),
    ("decaying", &["base_rate", "decay", "t"]),
    (
        "slanted_triangular",
        &["max_rate", "num_steps", "cut_frac", "ratio", "t"],
    ),
    ("compounding", &["start", "stop", "compound", "t"]),
];

impl Schedule {
    /// The value at `step` (from 0): an [`Error::OutOfRange`] naming the schedule and the key
    /// when a setting is out of its range, as [`validate`](Self::validate) finds.
    ///
    /// ```
    /// use weft_runtime::training::Schedule;
    /// let sizes = Schedule::Compounding { start: 1.0, stop: 32.0, compound: 1.5, t: 0.0 };
    /// let values: Vec<f32> = (0..4).map(|step| sizes.value(step)).collect::<Result<_, _>>()?;
    /// assert_eq!(values, [1.0, 1.5, 2.25, 3.375]); // 1.5^step
    /// assert_eq!(sizes.value(100)?, 32.0);
    /// # Ok::<(), weft_runtime::Error>(())
    /// ```
    pub fn value(&self, step: usize) -> Result<f32> {
        self.validate()?;
        let step = step as f64;
        let value = match *self {
            Constant { rate } => rate,
            WarmupLinear {
                initial_rate,
                warmup_steps,
                total_steps,
            } => {
                let (warmup, total) = (warmup_steps as f64, total_steps as f64);
                let factor = match step < warmup {
                    true => step / warmup,
                    false => ((total - step) / (total - warmup)).max(0.0),
                };
                factor * initial_rate
            }
            Decaying {
                base_rate,
                decay,
                t,
            } => base_rate / (1.0 + decay * (step + t)),
            SlantedTriangular {
                max_rate,
                num_steps,
                cut_frac,
                ratio,
                t,
            } => {
                let cut = cut_of(num_steps, cut_frac);
                let s = step + t + 1.0;
                let p = match s < cut {
                    true => s / cut,
                    false => (1.0 - (s - cut) / (cut * (1.0 / cut_frac - 1.0))).max(0.0),
                };
                max_rate * (1.0 + p * (ratio - 1.0)) / ratio
            }
            Compounding {
                start,
                stop,
                compound,
                t,
            } => {
                let value = start * compound.powf(step + t);
                match start > stop {
                    true => value.max(stop),
                    false => value.min(stop),
                }
            }
        };
        Ok(value as f32)
    }

    /// Checks the settings: `Ok`, or an [`Error::OutOfRange`] naming the schedule and the first
    /// key out of its range (each variant's fields state their ranges).
    ///
    /// ```
    /// use weft_runtime::training::Schedule;
    /// let schedule = Schedule::Decaying { base_rate: 0.001, decay: f64::NAN, t: 0.0 };
    /// let error = schedule.validate().unwrap_err();
    /// assert_eq!(error.to_string(), "decaying's decay must be finite and at least 0, found NaN");
    /// ```
    pub fn validate(&self) -> Result<()> {
        let check = Check(self.name());
        match *self {
            Constant { rate } => check.positive("rate", rate),
            WarmupLinear {
                initial_rate,
                warmup_steps,
                total_steps,
            } => {
                check.positive("initial_rate", initial_rate)?;
                let expected = format!("above warmup_steps ({warmup_steps})");
                check.that(
                    total_steps > warmup_steps,
                    "total_steps",
                    expected,
                    total_steps,
                )
            }
            Decaying {
                base_rate,
                decay,
                t,
            } => {
                check.positive("base_rate", base_rate)?;
                check.at_least_zero("decay", decay)?;
                check.at_least_zero("t", t)
            }
            SlantedTriangular {
                max_rate,
                num_steps,
                cut_frac,
                ratio,
                t,
            } => {
                check.positive("max_rate", max_rate)?;
                let in_range = cut_frac > 0.0 && cut_frac < 1.0;
                check.that(in_range, "cut_frac", "in (0, 1)", cut_frac)?;
                let expected = format!(
                    "at least 1 / cut_frac ({}), for a rise of a step",
                    1.0 / cut_frac
                );
                check.that(
                    cut_of(num_steps, cut_frac) >= 1.0,
                    "num_steps",
                    expected,
                    num_steps,
                )?;
                let valid = ratio.is_finite() && ratio >= 1.0;
                check.that(valid, "ratio", "finite and at least 1", ratio)?;
                check.at_least_zero("t", t)
            }
            Compounding {
                start,
                stop,
                compound,
                t,
            } => {
                check.positive("start", start)?;
                check.positive("stop", stop)?;
                let (towards_stop, expected) = match start > stop {
                    true => (
                        compound > 0.0 && compound <= 1.0,
                        "in (0, 1] when start > stop",
                    ),
                    false => (
                        compound.is_finite() && compound >= 1.0,
                        "finite and at least 1 when start <= stop",
                    ),
                };
                check.that(towards_stop, "compound", expected, compound)?;
                check.at_least_zero("t", t)
            }
        }
    }

    /// The schedule's name in Thinc and in the text form: `"warmup_linear"`, say.
    pub fn name(&self) -> &'static str {
        SCHEDULES[self.index()].0
    }

    /// The index of the schedule in [`SCHEDULES`].
    fn index(&self) -> usize {
        match self {
            Constant { .. } => 0,
            WarmupLinear { .. } => 1,
            Decaying { .. } => 2,
            SlantedTriangular { .. } => 3,
            Compounding { .. } => 4,
        }
    }

    /// The settings, in the order of the keys in [`SCHEDULES`].
    fn settings(&self) -> Vec<f64> {
        match *self {
            Constant { rate } => vec![rate],
            WarmupLinear {
                initial_rate,
                warmup_steps,
                total_steps,
            } => vec![initial_rate, warmup_steps as f64, total_steps as f64],
            Decaying {
                base_rate,
                decay,
                t,
            } => vec![base_rate, decay, t],
            SlantedTriangular {
                max_rate,
                num_steps,
                cut_frac,
                ratio,
                t,
            } => vec![max_rate, num_steps as f64, cut_frac, ratio, t],
            Compounding {
                start,
                stop,
                compound,
                t,
            } => vec![start, stop, compound, t],
        }
    }
}

/// Thinc's `cut = int(num_steps * cut_frac)`: the steps of the slanted triangle's rise.
fn cut_of(num_steps: usize, cut_frac: f64) -> f64 {
    (num_steps as f64 * cut_frac).floor()
}

/// The checks of one schedule's settings, named in their errors.
struct Check(&'static str);

impl Check {
    /// An [`Error::OutOfRange`] of `key` (`expected`, `found`) unless `valid`.
    fn that(
        &self,
        valid: bool,
        key: &str,
        expected: impl fmt::Display,
        found: impl fmt::Display,
    ) -> Result<()> {
        match valid {
            true => Ok(()),
            false => Err(Error::out_of_range(
                format!("{}'s {key}", self.0),
                expected,
                found,
            )),
        }
    }

    /// `value` of `key` is finite and above 0.
    fn positive(&self, key: &str, value: f64) -> Result<()> {
        let valid = value.is_finite() && value > 0.0;
        self.that(valid, key, "finite and above 0", value)
    }

    /// `value` of `key` is finite and at least 0.
    fn at_least_zero(&self, key: &str, value: f64) -> Result<()> {
        let valid = value.is_finite() && value >= 0.0;
        self.that(valid, key, "finite and at least 0", value)
    }
}

mod text;

#[cfg(test)]
mod tests;
