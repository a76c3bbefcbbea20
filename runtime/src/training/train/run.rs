//! [`Run`]: where a training run stands, and its steps and evaluations.

use std::time::Instant;

use super::{Evaluation, Observer, Outcome, Score, evaluate};
use crate::data::{Batch, Ids, Ragged};
use crate::error::Result;
use crate::kernels::threads::on_pool;
use crate::model::{Model, Optimizer};
use crate::training::averages::ParamAverages;
use crate::training::examples::Examples;
use crate::training::task::Task;

/// Where a training run stands.
#[derive(Default)]
pub(super) struct Run {
    pub(super) step: usize,
    words: usize,
    seconds: f64,
    /// The loss summed over the examples since the last evaluation, and their count.
    loss_sum: f64,
    loss_examples: usize,
    /// The moving averages of the weights, when they are what is evaluated.
    pub(super) averages: Option<ParamAverages>,
    /// The weights of the best evaluation, and the evaluations since.
    pub(super) best: Option<Vec<u8>>,
    pub(super) since_best: usize,
    pub(super) outcome: Outcome,
}

impl Run {
    /// A run that has taken no step, keeping the moving averages of the weights when `averages`.
    pub(super) fn new(averages: bool) -> Self {
        Run {
            averages: averages.then(ParamAverages::new),
            ..Run::default()
        }
    }

    /// One training step on the examples `batch` of `train`.
    pub(super) fn step<M, T, O>(
        &mut self,
        model: &mut M,
        optimizer: &mut O,
        task: &T,
        train: &Examples<T::Truth>,
        batch: &[usize],
    ) -> Result<()>
    where
        M: Model<In = Ragged<Ids>, Out = T::Out>,
        T: Task,
        O: Optimizer + Send,
    {
        let started = Instant::now();
        let (x, truths) = train.batch(batch);
        let words = x.data().0.len();
        let loss = on_pool(|| {
            let (out, backprop) = model.begin_update(x);
            let (d_out, loss) = task.loss(&out, &truths)?;
            backprop(d_out);
            model.finish_update(optimizer).map(|()| loss)
        })?;
        if let Some(averages) = &mut self.averages {
            averages.update(model)?;
        }
        self.seconds += started.elapsed().as_secs_f64();
        self.step += 1;
        self.words += words;
        self.loss_sum += f64::from(loss) * batch.len() as f64;
        self.loss_examples += batch.len();
        Ok(())
    }

    /// The mean loss per example since the last evaluation.
    pub(super) fn mean_loss(&self) -> f64 {
        self.loss_sum / self.loss_examples.max(1) as f64
    }

    /// Evaluates `model` (its averages, if kept) on `dev`, keeps its weights if it is the best
    /// so far by `score`, records the evaluation and shows it to `observer`.
    pub(super) fn evaluate<M, T>(
        &mut self,
        model: &mut M,
        task: &T,
        dev: &Examples<T::Truth>,
        epoch: usize,
        score: Score,
        observer: &mut impl Observer<M>,
    ) -> Result<()>
    where
        M: Model<In = Ragged<Ids>, Out = T::Out>,
        M::Out: Batch,
        T: Task,
    {
        let mut averages = self.averages.take();
        let result = match &mut averages {
            Some(averages) => self.evaluate_as_it_is(
                &*averages.swap_in(model)?,
                task,
                dev,
                epoch,
                score,
                observer,
            ),
            None => self.evaluate_as_it_is(model, task, dev, epoch, score, observer),
        };
        self.averages = averages;
        result
    }

    fn evaluate_as_it_is<M, T>(
        &mut self,
        model: &M,
        task: &T,
        dev: &Examples<T::Truth>,
        epoch: usize,
        score: Score,
        observer: &mut impl Observer<M>,
    ) -> Result<()>
    where
        M: Model<In = Ragged<Ids>, Out = T::Out>,
        M::Out: Batch,
        T: Task,
    {
        let scores = evaluate(model, task, dev)?;
        let value = score.of(&scores);
        let previous = self.outcome.best().map(|e| e.score);
        let best = previous.is_none_or(|previous| value > previous);
        if best {
            self.best = Some(model.to_bytes()?);
            self.since_best = 0;
        } else {
            self.since_best += 1;
        }
        let evaluation = Evaluation {
            step: self.step,
            epoch,
            train_loss: self.mean_loss(),
            score: value,
            scores,
            words: self.words,
            seconds: self.seconds,
            best,
        };
        (self.loss_sum, self.loss_examples) = (0.0, 0);
        observer.evaluation(&evaluation, model)?;
        self.outcome.evaluations.push(evaluation);
        Ok(())
    }
}
