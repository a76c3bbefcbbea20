//! [`train`]: the training loop. Shuffled batches, a step each (forward, loss, backprop,
//! update, on the thread pool whole), an evaluation on dev every so many steps, the best
//! model kept, and an early stop when dev stops improving.

mod run;

use std::fmt;

use crate::data::{Batch, Ids, Ragged};
use crate::error::{Error, Result};
use crate::kernels::rng::Rng;
use crate::model::{Model, Optimizer};
use crate::training::examples::{BatchSize, Examples};
use crate::training::metrics::Scores;
use crate::training::schedules::Schedule;
use crate::training::task::Task;
use run::Run;

/// How to train: see [`train`].
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
    /// (Thinc's `use_averages`; see [`ParamAverages`](crate::training::ParamAverages)). Training goes on with the weights.
    pub averages: bool,
    /// Seeds the shuffling of the examples.
    pub seed: u64,
}

impl Default for Settings {
    /// Ten epochs of batches of 32 examples, learning rate 0.001, an evaluation after every
    /// epoch ranked by accuracy, no early stop, no averages, seed 0.
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

/// An evaluation on dev during training, and where training stood.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    /// Training steps so far.
    pub step: usize,
    /// The epoch the evaluation falls in, from 1.
    pub epoch: usize,
    /// The mean training loss per example since the last evaluation.
    pub train_loss: f64,
    /// The dev score that ranks evaluations ([`Settings::score`]).
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

    /// After an evaluation, with the model as evaluated. An error stops training.
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
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    /// The evaluations, in order.
    pub evaluations: Vec<Evaluation>,
    /// Whether dev stopped improving before the last epoch ([`Settings::patience`]).
    pub stopped_early: bool,
}

impl Outcome {
    /// The best evaluation: the one whose model training returned.
    pub fn best(&self) -> Option<&Evaluation> {
        self.evaluations.iter().rev().find(|e| e.best)
    }
}

/// Trains `model` for `task` on `train` with `optimizer`, as `settings` say, evaluating on
/// `dev`, and leaves in `model` the weights of its best evaluation.
///
/// Each epoch shuffles the examples and cuts them into batches; each step runs a batch forward,
/// takes the loss's gradient, backpropagates and updates, on the thread pool whole. Every
/// [`eval_every`](Settings::eval_every) steps (or after every epoch), the model predicts
/// `dev`; a better score than all before keeps a copy of the weights; after
/// [`patience`](Settings::patience) evaluations without one, training stops.
///
/// ```
/// use weft_runtime::{Adam, Network, Ragged, Ids, Floats2, Boxed};
/// use weft_runtime::training::{Examples, Schedule, Settings, TextClassification, train};
/// let ids = vec![vec![1, 2], vec![3], vec![1, 3], vec![2]];
/// let examples = Examples::new(ids, vec![0, 1, 0, 1])?;
/// let network = Network::parse("embed(width = 8) >> reduce_mean >> softmax")?;
/// let mut model: Boxed<Ragged<Ids>, Floats2> =
///     network.initialize(&examples.inputs(), examples.truths())?;
/// let settings = Settings { epochs: 30, learn_rate: Schedule::Constant { rate: 0.05 }, ..Settings::default() };
/// let task = TextClassification::new(["rotten", "fresh"]);
/// let mut lines = Vec::new();
/// let mut observe = |e: &weft_runtime::training::Evaluation| lines.push(e.to_string());
/// let outcome =
///     train(&mut model, &mut Adam::new(0.05), &task, &examples, &examples, &settings, &mut observe)?;
/// assert_eq!(outcome.best().unwrap().score, 1.0);
/// assert_eq!(lines.len(), 30);
/// assert!(lines[0].starts_with("epoch 1 step 1: loss "), "{}", lines[0]);
/// # Ok::<(), weft_runtime::Error>(())
/// ```
pub fn train<M, T, O>(
    model: &mut M,
    optimizer: &mut O,
    task: &T,
    train: &Examples<T::Truth>,
    dev: &Examples<T::Truth>,
    settings: &Settings,
    observer: &mut impl Observer<M>,
) -> Result<Outcome>
where
    M: Model<In = Ragged<Ids>, Out = T::Out>,
    M::Out: Batch,
    T: Task,
    O: Optimizer + Send,
{
    settings.validate()?;
    for (examples, what) in [(train, "training"), (dev, "dev")] {
        if examples.is_empty() {
            return Err(Error::shape(
                format!("the {what} examples"),
                "at least one",
                "none",
            ));
        }
    }
    let mut run = Run::new(settings.averages);
    let mut rng = Rng::new(settings.seed);
    let mut order: Vec<usize> = (0..train.len()).collect();
    'epochs: for epoch in 1..=settings.epochs {
        rng.shuffle(&mut order);
        let batches = settings.batch_size.cut(&order, train, run.step)?;
        for (i, range) in batches.iter().enumerate() {
            optimizer.set_learn_rate(settings.learn_rate.value(run.step)?)?;
            run.step(model, optimizer, task, train, &order[range.clone()])?;
            observer.step(epoch, i + 1, batches.len(), run.mean_loss());
            // Every so many steps, or at the end of every epoch; and after the last step, so
            // that no step goes unevaluated.
            let last_in_epoch = i + 1 == batches.len();
            let due = match settings.eval_every {
                Some(n) => run.step.is_multiple_of(n),
                None => last_in_epoch,
            } || (last_in_epoch && epoch == settings.epochs);
            if due {
                run.evaluate(model, task, dev, epoch, settings.score, observer)?;
                if settings
                    .patience
                    .is_some_and(|patience| run.since_best >= patience)
                {
                    run.outcome.stopped_early = epoch < settings.epochs || i + 1 < batches.len();
                    break 'epochs;
                }
            }
        }
    }
    if let Some(best) = &run.best {
        model.from_bytes(best)?;
    }
    Ok(run.outcome)
}

/// Every score of `model` on `examples`: accuracy, per-class precision, recall and F1, their
/// macro averages, the confusion matrix.
pub fn evaluate<M, T>(model: &M, task: &T, examples: &Examples<T::Truth>) -> Result<Scores>
where
    M: Model<In = Ragged<Ids>, Out = T::Out>,
    M::Out: Batch,
    T: Task,
{
    let predicted = predict(model, task, examples)?;
    let truths: Vec<usize> = examples
        .truths()
        .iter()
        .flat_map(|t| T::classes(t))
        .copied()
        .collect();
    Scores::new(&truths, &predicted, task.labels())
}

/// The classes `model` predicts for `examples`, in the order of their truths' classes, in
/// batches of 128 examples (each cut among the threads by
/// [`predict_parallel`](Model::predict_parallel)).
pub fn predict<M, T>(model: &M, task: &T, examples: &Examples<T::Truth>) -> Result<Vec<usize>>
where
    M: Model<In = Ragged<Ids>, Out = T::Out>,
    M::Out: Batch,
    T: Task,
{
    let mut predicted = Vec::new();
    for ids in examples.ids().chunks(128) {
        let out = model.predict_parallel(Ragged::from_sequences(ids));
        predicted.extend(task.predict(&out)?);
    }
    Ok(predicted)
}

#[cfg(test)]
mod tests;
