//! [`Settings`]: how to train, checked; and the [`Score`] that ranks evaluations.

use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::training::examples::BatchSize;
use crate::training::metrics::Scores;
use crate::training::schedules::Schedule;

/// How to train: see [`train`](super::train).
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// The most passes over the training examples.
    pub epochs: usize,
    /// The size of a step's batch, constant or scheduled.
    pub batch_size: BatchSize,
    /// The optimizer's learning rate at each step, constant or scheduled.
    pub learn_rate: Schedule,
    /// Steps between two evaluations on dev, and one after the last step; `None`: after every
    /// epoch.
    pub eval_every: Option<usize>,
    /// Evaluations in a row without a better dev score after which training stops; `None`:
    /// never before the last epoch.
    pub patience: Option<usize>,
    /// The score that ranks evaluations.
    pub score: Score,
    /// Evaluate, keep and return the moving averages of the weights rather than the weights
    /// (Thinc's `use_averages`; see [`ParamAverages`](crate::training::ParamAverages)).
    /// Training goes on with the weights.
    pub averages: bool,
    /// Seeds the shuffling of the examples.
    pub seed: u64,
    /// The file of the run's checkpoint: when set, [`train`](super::train) and [`resume`](super::resume) write one there
    /// after every evaluation, once the observer has seen it, replacing the one before whole
    /// (`docs/format.md`, "Checkpoints"); and [`resume`](super::resume) goes on from it.
    pub checkpoint: Option<PathBuf>,
}

impl Default for Settings {
    /// Ten epochs of batches of 32 examples, learning rate 0.001, an evaluation after every
    /// epoch ranked by accuracy, no early stop, no averages, seed 0, no checkpoint.
    fn default() -> Self {
        Settings {
            epochs: 10,
            batch_size: BatchSize::examples(32),
            learn_rate: Schedule::Constant { rate: 0.001 },
            eval_every: None,
            patience: None,
            score: Score::Accuracy,
            averages: false,
            seed: 0,
            checkpoint: None,
        }
    }
}

impl Settings {
    /// Checks every setting: an [`Error::OutOfRange`] naming the first one out of its range
    /// (no epoch, a schedule out of its range, no steps between evaluations, no patience).
    pub fn validate(&self) -> Result<()> {
        let at_least_one = |name: &str, value: usize| match value {
            0 => Err(Error::out_of_range(name, "at least 1", 0)),
            _ => Ok(()),
        };
        at_least_one("epochs", self.epochs)?;
        self.batch_size.schedule().validate()?;
        self.learn_rate.validate()?;
        self.eval_every
            .map_or(Ok(()), |n| at_least_one("eval_every", n))?;
        self.patience
            .map_or(Ok(()), |n| at_least_one("patience", n))
    }
}

/// The score that ranks evaluations, and so picks the model training returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Score {
    /// The share of classes (or tags) predicted right.
    Accuracy,
    /// The mean of the classes' F1 scores: every class counts alike, however rare.
    MacroF1,
}

impl Score {
    /// The score of `scores`.
    pub fn of(self, scores: &Scores) -> f64 {
        match self {
            Score::Accuracy => scores.accuracy,
            Score::MacroF1 => scores.macro_f1,
        }
    }
}
