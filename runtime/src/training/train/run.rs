//! [`Run`]: where a training run stands (its place among the epochs and batches, its
//! generator, its averages, its best weights and its evaluations), its steps and its
//! evaluations.

use std::ops::Range;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::{Evaluation, Observer, Outcome, Plan, Score, Settings, evaluate};
use crate::data::{Batch, Ragged};
use crate::error::{Error, Result};
use crate::kernels::rng::Rng;
use crate::kernels::threads::on_pool;
use crate::model::{Model, Optimizer};
use crate::training::Sequence;
use crate::training::averages::ParamAverages;
use crate::training::examples::{BatchSize, Examples};
use crate::training::exchange::{Exchange, shard, sum_gradients};
use crate::training::task::Task;

/// Where a training run stands.
pub(super) struct Run {
    /// Its counts, its place and its evaluations.
    pub(super) progress: Progress,
    /// The generator that shuffles the examples at the start of each epoch.
    pub(super) rng: Rng,
    /// The batches of the epoch under way, as ranges of `progress.order`.
    batches: Vec<Range<usize>>,
    /// The moving averages of the weights, when they are what is evaluated.
    pub(super) averages: Option<ParamAverages>,
    /// The weights of the best evaluation.
    pub(super) best: Option<Vec<u8>>,
}

/// A run's counts, its place among the epochs and batches, and its evaluations: what a
/// checkpoint keeps of it as it is, besides weights and the generator.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Progress {
    /// Training steps so far.
    pub(super) step: usize,
    /// The epoch under way, from 1; 0 before the first.
    epoch: usize,
    /// The batches of the epoch done so far.
    batches_done: usize,
    /// The training examples' indices, in the order the epoch under way shuffled them into
    /// (each epoch shuffles the order of the one before).
    order: Vec<usize>,
    /// Training words read so far, and seconds spent in steps.
    words: usize,
    seconds: f64,
    /// The loss summed over the examples since the last evaluation, and their count.
    loss_sum: f64,
    loss_examples: usize,
    /// The evaluations since the best.
    since_best: usize,
    /// The evaluations so far.
    pub(super) outcome: Outcome,
}

impl Run {
    /// A run of `settings` that has taken no step, over `examples` training examples.
    pub(super) fn new(settings: &Settings, examples: usize) -> Self {
        let progress = Progress {
            order: (0..examples).collect(),
            ..Progress::default()
        };
        Run {
            progress,
            rng: Rng::new(settings.seed),
            batches: Vec::new(),
            averages: settings.averages.then(ParamAverages::new),
            best: None,
        }
    }

    /// The run of a checkpoint, where `progress` and `rng` stood, for `plan`; its averages and
    /// best weights are for the caller to restore. An [`Error::Checkpoint`] when the progress
    /// cannot be that of a run of `plan`: an order that is not of its training examples, or a
    /// place past the end of an epoch.
    pub(super) fn resumed<T: Task, S: Sequence>(
        progress: Progress,
        rng: Rng,
        plan: &Plan<'_, T, S>,
    ) -> Result<Self> {
        let n = plan.train.len();
        let mut sorted = progress.order.clone();
        sorted.sort_unstable();
        if !sorted.into_iter().eq(0..n) {
            let message = format!("its order of the examples is not one of {n} examples");
            return Err(Error::checkpoint(message));
        }
        let mut run = Run {
            rng,
            batches: Vec::new(),
            averages: None,
            best: None,
            progress,
        };
        let (step, batches_done) = (run.progress.step, run.progress.batches_done);
        if let Some(first) = step.checked_sub(batches_done) {
            run.cut(&plan.settings.batch_size, plan.train, first)?;
        }
        if batches_done > run.batches.len() {
            let message = format!(
                "it is at batch {batches_done} of an epoch of {} batches, after {step} steps",
                run.batches.len()
            );
            return Err(Error::checkpoint(message));
        }
        Ok(run)
    }

    /// Whether steps remain before the end of epoch `epochs`: batches in the epoch under way,
    /// or epochs after it. A run resumed with fewer epochs than it has begun takes none.
    pub(super) fn steps_left(&self, epochs: usize) -> bool {
        let epoch = self.progress.epoch;
        epoch < epochs || (epoch == epochs && !self.epoch_done())
    }

    /// Whether `patience` evaluations in a row have not bettered the best.
    pub(super) fn out_of_patience(&self, patience: Option<usize>) -> bool {
        patience.is_some_and(|patience| self.progress.since_best >= patience)
    }

    /// Whether every batch of the epoch under way is done (before the first epoch, too).
    pub(super) fn epoch_done(&self) -> bool {
        self.progress.batches_done == self.batches.len()
    }

    /// The epoch under way (from 1), the batches of it done, and its batches.
    pub(super) fn place(&self) -> (usize, usize, usize) {
        let progress = &self.progress;
        (progress.epoch, progress.batches_done, self.batches.len())
    }

    /// Begins the next epoch: shuffles the examples and cuts them into batches of `size`.
    pub(super) fn next_epoch<T: Clone, S: Sequence>(
        &mut self,
        size: &BatchSize,
        train: &Examples<T, S>,
    ) -> Result<()> {
        self.rng.shuffle(&mut self.progress.order);
        self.progress.epoch += 1;
        self.progress.batches_done = 0;
        self.cut(size, train, self.progress.step)
    }

    /// Cuts the order of the examples into the batches of the epoch, of `size`; `first` is the
    /// count of the batches of the epochs before.
    fn cut<T: Clone, S: Sequence>(
        &mut self,
        size: &BatchSize,
        train: &Examples<T, S>,
        first: usize,
    ) -> Result<()> {
        self.batches = size.cut(&self.progress.order, train, first)?;
        Ok(())
    }

    /// One training step on the next batch of the epoch under way, of `train`: this process's
    /// part of it ([`shard`]) forward and back, the gradients summed over the processes of
    /// `exchange` ([`sum_gradients`]), and the update. A process whose part holds nothing to
    /// learn from (no example, or no token) sends a zero gradient.
    pub(super) fn step<M, T, O, S>(
        &mut self,
        model: &mut M,
        optimizer: &mut O,
        task: &T,
        train: &Examples<T::Truth, S>,
        exchange: &mut dyn Exchange,
    ) -> Result<()>
    where
        M: Model<In = Ragged<S::Rows>, Out = T::Out>,
        S: Sequence,
        T: Task,
        O: Optimizer + Send,
    {
        let started = Instant::now();
        let progress = &mut self.progress;
        let batch = &progress.order[self.batches[progress.batches_done].clone()];
        let part = &batch[shard(exchange, batch.len())];
        // What the loss is a mean over: examples, or tokens.
        let units = |indices: &[usize]| -> usize {
            let truths = indices.iter().map(|&i| &train.truths()[i]);
            truths.map(|truth| T::classes(truth).len()).sum()
        };
        let (units, total) = (units(part), units(batch));
        let (x, truths) = train.batch(part);
        let loss = on_pool(|| {
            if units == 0 && total > 0 {
                return Ok(0.0);
            }
            let (out, backprop) = model.begin_update(x);
            let (d_out, loss) = task.loss(&out, &truths)?;
            backprop(d_out);
            Ok::<_, Error>(loss)
        })?;
        // A batch without units has failed in the loss above.
        let share = units as f32 / total.max(1) as f32;
        let loss = sum_gradients(exchange, model, share, loss)?;
        on_pool(|| model.finish_update(optimizer))?;
        if let Some(averages) = &mut self.averages {
            averages.update(model)?;
        }
        progress.seconds += started.elapsed().as_secs_f64();
        progress.step += 1;
        progress.batches_done += 1;
        progress.words += batch
            .iter()
            .map(|&i| train.sequences()[i].len())
            .sum::<usize>();
        progress.loss_sum += f64::from(loss) * batch.len() as f64;
        progress.loss_examples += batch.len();
        Ok(())
    }

    /// The mean loss per example since the last evaluation.
    pub(super) fn mean_loss(&self) -> f64 {
        self.progress.loss_sum / self.progress.loss_examples.max(1) as f64
    }

    /// Evaluates `model` (its averages, if kept) on `dev`, keeps its weights if it is the best
    /// so far by `score`, records the evaluation and shows it to `observer`.
    pub(super) fn evaluate<M, T, S>(
        &mut self,
        model: &mut M,
        task: &T,
        dev: &Examples<T::Truth, S>,
        score: Score,
        observer: &mut impl Observer<M>,
    ) -> Result<()>
    where
        M: Model<In = Ragged<S::Rows>, Out = T::Out>,
        S: Sequence,
        M::Out: Batch,
        T: Task,
    {
        let mut averages = self.averages.take();
        let result = match &mut averages {
            Some(averages) => {
                self.evaluate_as_it_is(&*averages.swap_in(model)?, task, dev, score, observer)
            }
            None => self.evaluate_as_it_is(model, task, dev, score, observer),
        };
        self.averages = averages;
        result
    }

    fn evaluate_as_it_is<M, T, S>(
        &mut self,
        model: &M,
        task: &T,
        dev: &Examples<T::Truth, S>,
        score: Score,
        observer: &mut impl Observer<M>,
    ) -> Result<()>
    where
        M: Model<In = Ragged<S::Rows>, Out = T::Out>,
        S: Sequence,
        M::Out: Batch,
        T: Task,
    {
        let scores = evaluate(model, task, dev)?;
        let value = score.of(&scores);
        let train_loss = self.mean_loss();
        let progress = &mut self.progress;
        let previous = progress.outcome.best().map(|e| e.score);
        let best = previous.is_none_or(|previous| value > previous);
        if best {
            self.best = Some(model.to_bytes()?);
            progress.since_best = 0;
        } else {
            progress.since_best += 1;
        }
        let evaluation = Evaluation {
            step: progress.step,
            epoch: progress.epoch,
            train_loss,
            score: value,
            scores,
            words: progress.words,
            seconds: progress.seconds,
            best,
        };
        (progress.loss_sum, progress.loss_examples) = (0.0, 0);
        observer.evaluation(&evaluation, model)?;
        progress.outcome.evaluations.push(evaluation);
        Ok(())
    }
}
