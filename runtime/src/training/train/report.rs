//! What training tells as it goes: each [`Evaluation`] on dev, to an [`Observer`], and the
//! [`Outcome`] of a whole run.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::training::metrics::Scores;

/// An evaluation on dev during training, and where training stood.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Evaluation {
    /// Training steps so far.
    pub step: usize,
    /// The epoch the evaluation falls in, from 1.
    pub epoch: usize,
    /// The mean training loss per example since the last evaluation.
    pub train_loss: f64,
    /// The dev score that ranks evaluations ([`Settings::score`](super::Settings::score)).
    pub score: f64,
    /// Every score on dev.
    pub scores: Scores,
    /// Training words read so far.
    pub words: usize,
    /// Seconds spent in training steps so far (evaluations not counted).
    pub seconds: f64,
    /// Whether the score is the best so far.
    pub best: bool,
}

impl Evaluation {
    /// Training words per second of training steps, over all steps so far.
    pub fn words_per_second(&self) -> f64 {
        self.words as f64 / self.seconds.max(f64::MIN_POSITIVE)
    }
}

impl fmt::Display for Evaluation {
    /// `epoch 2 step 640: loss 0.4210  dev 0.7835 (best)  131595 words/s over the steps so far`:
    /// the words per second of the training steps, from the first (evaluations not counted).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "epoch {} step {}: loss {:.4}  dev {:.4}{}  {:.0} words/s over the steps so far",
            self.epoch,
            self.step,
            self.train_loss,
            self.score,
            if self.best { " (best)" } else { "" },
            self.words_per_second()
        )
    }
}

/// What the loop tells as it goes: each step and each evaluation. Every method does nothing
/// unless implemented; `()` observes nothing, and a closure of an [`Evaluation`] observes the
/// evaluations (`&mut |e: &Evaluation| println!("{e}")`).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot observe training",
    label = "not an observer",
    note = "pass `&mut ()` to observe nothing, `&mut |e: &Evaluation| ..` to see each evaluation, or implement `weft::training::Observer`"
)]
pub trait Observer<M> {
    /// After step `step` (from 1) of `steps` in its epoch `epoch`, with the mean loss per
    /// example since the last evaluation.
    fn step(&mut self, epoch: usize, step: usize, steps: usize, loss: f64) {
        let _ = (epoch, step, steps, loss);
    }

    /// After an evaluation, with the model as evaluated. An error stops training, before the
    /// evaluation's checkpoint is written: a run resumed from the one before shows it again.
    fn evaluation(&mut self, evaluation: &Evaluation, model: &M) -> Result<()> {
        let _ = (evaluation, model);
        Ok(())
    }
}

impl<M> Observer<M> for () {}

impl<M, F: FnMut(&Evaluation)> Observer<M> for F {
    fn evaluation(&mut self, evaluation: &Evaluation, _: &M) -> Result<()> {
        self(evaluation);
        Ok(())
    }
}

/// What training did: every evaluation, and whether it stopped early.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outcome {
    /// The evaluations, in order.
    pub evaluations: Vec<Evaluation>,
    /// Whether dev stopped improving before the last epoch ([`Settings::patience`](super::Settings::patience)).
    pub stopped_early: bool,
}

impl Outcome {
    /// The best evaluation: the one whose model training returned.
    pub fn best(&self) -> Option<&Evaluation> {
        self.evaluations.iter().rev().find(|e| e.best)
    }
}

/// An observer, or no one: what the processes of a data-parallel run but the first tell.
pub(super) struct Told<'o, O>(pub(super) Option<&'o mut O>);

impl<M, O: Observer<M>> Observer<M> for Told<'_, O> {
    fn step(&mut self, epoch: usize, step: usize, steps: usize, loss: f64) {
        if let Some(observer) = &mut self.0 {
            observer.step(epoch, step, steps, loss);
        }
    }

    fn evaluation(&mut self, evaluation: &Evaluation, model: &M) -> Result<()> {
        (self.0.as_mut()).map_or(Ok(()), |observer| observer.evaluation(evaluation, model))
    }
}
