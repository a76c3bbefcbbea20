//! [`train`]: the training loop. Shuffled batches, a step each (forward, loss, backprop,
//! update, on the thread pool whole), an evaluation on dev every so many steps, the best
//! model kept, and an early stop when dev stops improving.

use std::fmt;
use std::time::Instant;

use crate::data::{Batch, Ids, Ragged};
use crate::error::{Error, Result};
use crate::kernels::rng::Rng;
use crate::kernels::threads::on_pool;
use crate::model::{Model, Optimizer};
use crate::training::examples::{BatchSize, Examples};
use crate::training::task::Task;

/// How to train: see [`train`].
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// The most passes over the training examples.
    pub epochs: usize,
    /// The size of a step's batch.
    pub batch_size: BatchSize,
    /// The optimizer's learning rate.
    pub learn_rate: f32,
    /// Steps between two evaluations on dev; `None`: after every epoch.
    pub eval_every: Option<usize>,
    /// Evaluations in a row without a better dev score after which training stops; `None`:
    /// never before the last epoch.
    pub patience: Option<usize>,
    /// Seeds the shuffling of the examples.
    pub seed: u64,
}

impl Default for Settings {
    /// Ten epochs of batches of 32 examples, learning rate 0.001, an evaluation after every
    /// epoch, no early stop, seed 0.
    fn default() -> Self {
        Settings {
            epochs: 10,
            batch_size: BatchSize::Examples(32),
            learn_rate: 0.001,
            eval_every: None,
            patience: None,
            seed: 0,
        }
    }
}

impl Settings {
    /// Checks every setting: an [`Error::OutOfRange`] naming the first one out of its range
    /// (no epoch, an empty batch, a learning rate that is not a finite number above 0, no
    /// steps between evaluations, no patience).
    pub fn validate(&self) -> Result<()> {
        let at_least_one = |name: &str, value: usize| match value {
            0 => Err(Error::out_of_range(name, "at least 1", 0)),
            _ => Ok(()),
        };
        at_least_one("epochs", self.epochs)?;
        match self.batch_size {
            BatchSize::Examples(n) => at_least_one("batch_size (examples)", n)?,
            BatchSize::Words(n) => at_least_one("batch_size (words)", n)?,
        }
        if !(self.learn_rate.is_finite() && self.learn_rate > 0.0) {
            return Err(Error::out_of_range(
                "learn_rate",
                "finite and above 0",
                self.learn_rate,
            ));
        }
        self.eval_every
            .map_or(Ok(()), |n| at_least_one("eval_every", n))?;
        self.patience
            .map_or(Ok(()), |n| at_least_one("patience", n))
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
    /// The dev score: the share of classes (or tags) predicted right.
    pub score: f64,
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
    /// `epoch 2 step 640: loss 0.4210  dev 0.7835 (best)  train 131,595 words/s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "epoch {} step {}: loss {:.4}  dev {:.4}{}  train {:.0} words/s",
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
/// use weft_runtime::training::{Examples, Settings, TextClassification, train};
/// let ids = vec![vec![1, 2], vec![3], vec![1, 3], vec![2]];
/// let examples = Examples::new(ids, vec![0, 1, 0, 1])?;
/// let network = Network::parse("embed(width = 8) >> reduce_mean >> softmax")?;
/// let mut model: Boxed<Ragged<Ids>, Floats2> =
///     network.initialize(&examples.inputs(), examples.truths())?;
/// let settings = Settings { epochs: 30, learn_rate: 0.05, ..Settings::default() };
/// let task = TextClassification::new();
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
    optimizer.set_learn_rate(settings.learn_rate)?;
    let mut run = Run::default();
    let mut rng = Rng::new(settings.seed);
    let mut order: Vec<usize> = (0..train.len()).collect();
    'epochs: for epoch in 1..=settings.epochs {
        rng.shuffle(&mut order);
        let batches = settings.batch_size.cut(&order, train);
        for (i, range) in batches.iter().enumerate() {
            run.step(model, optimizer, task, train, &order[range.clone()])?;
            observer.step(epoch, i + 1, batches.len(), run.mean_loss());
            let due = match settings.eval_every {
                Some(n) => run.step % n == 0,
                None => i + 1 == batches.len(),
            };
            if due {
                let evaluation = run.evaluate(model, task, dev, epoch)?;
                observer.evaluation(&evaluation, model)?;
                let stale = run.since_best;
                if settings.patience.is_some_and(|patience| stale >= patience) {
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

/// Where a training run stands.
#[derive(Default)]
struct Run {
    step: usize,
    words: usize,
    seconds: f64,
    /// The loss summed over the examples since the last evaluation, and their count.
    loss_sum: f64,
    loss_examples: usize,
    /// The weights of the best evaluation, and the evaluations since.
    best: Option<Vec<u8>>,
    since_best: usize,
    outcome: Outcome,
}

impl Run {
    /// One training step on the examples `batch` of `train`.
    fn step<M, T, O>(
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
        self.seconds += started.elapsed().as_secs_f64();
        self.step += 1;
        self.words += words;
        self.loss_sum += f64::from(loss) * batch.len() as f64;
        self.loss_examples += batch.len();
        Ok(())
    }

    /// The mean loss per example since the last evaluation.
    fn mean_loss(&self) -> f64 {
        self.loss_sum / self.loss_examples.max(1) as f64
    }

    /// Evaluates `model` on `dev`, keeps its weights if it is the best so far, and records it.
    fn evaluate<M, T>(
        &mut self,
        model: &M,
        task: &T,
        dev: &Examples<T::Truth>,
        epoch: usize,
    ) -> Result<Evaluation>
    where
        M: Model<In = Ragged<Ids>, Out = T::Out>,
        M::Out: Batch,
        T: Task,
    {
        let score = accuracy(model, task, dev)?;
        let previous = self.outcome.best().map(|e| e.score);
        let best = previous.is_none_or(|previous| score > previous);
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
            score,
            words: self.words,
            seconds: self.seconds,
            best,
        };
        (self.loss_sum, self.loss_examples) = (0.0, 0);
        self.outcome.evaluations.push(evaluation.clone());
        Ok(evaluation)
    }
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

/// The share of the classes (or tags) of `examples` that `model` predicts right.
pub fn accuracy<M, T>(model: &M, task: &T, examples: &Examples<T::Truth>) -> Result<f64>
where
    M: Model<In = Ragged<Ids>, Out = T::Out>,
    M::Out: Batch,
    T: Task,
{
    let predicted = predict(model, task, examples)?;
    let truths = examples.truths().iter().flat_map(|t| T::classes(t));
    let right = predicted.iter().zip(truths).filter(|(p, t)| p == t).count();
    Ok(right as f64 / predicted.len().max(1) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Floats2;
    use crate::io::Network;
    use crate::model::{Boxed, Params};
    use crate::training::{Adam, TextClassification};

    type Classifier = Boxed<Ragged<Ids>, Floats2>;

    fn examples() -> Examples<usize> {
        let ids = vec![vec![1, 2], vec![3], vec![1, 3], vec![2], vec![4, 1]];
        Examples::new(ids, vec![0, 1, 0, 1, 0]).unwrap()
    }

    fn classifier(examples: &Examples<usize>) -> Classifier {
        let network = Network::parse("embed(width = 4) >> reduce_mean >> softmax").unwrap();
        network
            .initialize(&examples.inputs(), examples.truths())
            .unwrap()
    }

    fn run(settings: &Settings) -> (Classifier, Outcome) {
        let data = examples();
        let mut model = classifier(&data);
        let task = TextClassification::new();
        let mut adam = Adam::new(settings.learn_rate);
        let outcome = train(
            &mut model,
            &mut adam,
            &task,
            &data,
            &data,
            settings,
            &mut (),
        )
        .unwrap();
        (model, outcome)
    }

    #[test]
    fn evaluations_come_every_so_many_steps_across_epochs() {
        let settings = Settings {
            epochs: 3,
            batch_size: BatchSize::Examples(2),
            eval_every: Some(2),
            ..Settings::default()
        };
        // Three batches an epoch, nine steps: evaluations after steps 2, 4, 6 and 8.
        let (_, outcome) = run(&settings);
        let at: Vec<(usize, usize)> = outcome
            .evaluations
            .iter()
            .map(|e| (e.epoch, e.step))
            .collect();
        assert_eq!(at, [(1, 2), (2, 4), (2, 6), (3, 8)]);
    }

    #[test]
    fn the_model_returned_is_the_best_evaluated() {
        /// The weights at each evaluation.
        struct Weights(Vec<Vec<u8>>);
        impl Observer<Classifier> for Weights {
            fn evaluation(&mut self, _: &Evaluation, model: &Classifier) -> Result<()> {
                self.0.push(model.to_bytes()?);
                Ok(())
            }
        }
        let data = examples();
        let mut model = classifier(&data);
        let settings = Settings {
            epochs: 6,
            learn_rate: 0.5,
            batch_size: BatchSize::Examples(1),
            eval_every: Some(1),
            ..Settings::default()
        };
        let mut weights = Weights(Vec::new());
        let task = TextClassification::new();
        let mut adam = Adam::new(settings.learn_rate);
        let outcome = train(
            &mut model,
            &mut adam,
            &task,
            &data,
            &data,
            &settings,
            &mut weights,
        )
        .unwrap();
        let best = outcome.evaluations.iter().rposition(|e| e.best).unwrap();
        // Training went on after its best evaluation, and the model is the best one's.
        assert!(
            best + 1 < outcome.evaluations.len(),
            "{:?}",
            outcome.evaluations
        );
        assert_eq!(model.to_bytes().unwrap(), weights.0[best]);
        assert_eq!(
            accuracy(&model, &task, &data).unwrap(),
            outcome.evaluations[best].score
        );
    }

    #[test]
    fn patience_stops_training_when_dev_stops_improving() {
        // A learning rate too small to change a prediction: no evaluation beats the first.
        let settings = Settings {
            epochs: 10,
            learn_rate: 1e-12,
            patience: Some(2),
            ..Settings::default()
        };
        let (_, outcome) = run(&settings);
        assert_eq!(outcome.evaluations.len(), 3);
        assert!(outcome.stopped_early);
        assert_eq!(outcome.best().unwrap().epoch, 1);
    }

    #[test]
    fn settings_out_of_range_are_refused_naming_them() {
        let refused = |settings: Settings| settings.validate().unwrap_err().to_string();
        let default = Settings::default;
        assert_eq!(
            refused(Settings {
                epochs: 0,
                ..default()
            }),
            "epochs must be at least 1, found 0"
        );
        assert_eq!(
            refused(Settings {
                batch_size: BatchSize::Words(0),
                ..default()
            }),
            "batch_size (words) must be at least 1, found 0"
        );
        assert_eq!(
            refused(Settings {
                learn_rate: f32::NAN,
                ..default()
            }),
            "learn_rate must be finite and above 0, found NaN"
        );
        assert_eq!(
            refused(Settings {
                eval_every: Some(0),
                ..default()
            }),
            "eval_every must be at least 1, found 0"
        );
        let empty = Examples::<usize>::default();
        let mut model = classifier(&examples());
        let task = TextClassification::new();
        let err = train(
            &mut model,
            &mut Adam::new(0.1),
            &task,
            &empty,
            &examples(),
            &default(),
            &mut (),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "the training examples: expected at least one, found none"
        );
    }
}
