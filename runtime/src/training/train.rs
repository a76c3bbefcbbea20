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
use crate::training::averages::ParamAverages;
use crate::training::examples::{BatchSize, Examples};
use crate::training::metrics::Scores;
use crate::training::schedules::Schedule;
use crate::training::task::Task;

/// How to train: see [`train`].
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// The most passes over the training examples.
    pub epochs: usize,
    /// The size of a step's batch, constant or scheduled.
    pub batch_size: BatchSize,
    /// The optimizer's learning rate at each step, constant or scheduled.
    pub learn_rate: Schedule,
    /// Steps between two evaluations on dev; `None`: after every epoch.
    pub eval_every: Option<usize>,
    /// Evaluations in a row without a better dev score after which training stops; `None`:
    /// never before the last epoch.
    pub patience: Option<usize>,
    /// The score that ranks evaluations.
    pub score: Score,
    /// Evaluate, keep and return the moving averages of the weights rather than the weights
    /// (Thinc's `use_averages`; see [`ParamAverages`]). Training goes on with the weights.
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
    let mut run = Run {
        averages: settings.averages.then(ParamAverages::new),
        ..Run::default()
    };
    let mut rng = Rng::new(settings.seed);
    let mut order: Vec<usize> = (0..train.len()).collect();
    'epochs: for epoch in 1..=settings.epochs {
        rng.shuffle(&mut order);
        let batches = settings.batch_size.cut(&order, train, run.step)?;
        for (i, range) in batches.iter().enumerate() {
            optimizer.set_learn_rate(settings.learn_rate.value(run.step)?)?;
            run.step(model, optimizer, task, train, &order[range.clone()])?;
            observer.step(epoch, i + 1, batches.len(), run.mean_loss());
            let due = match settings.eval_every {
                Some(n) => run.step.is_multiple_of(n),
                None => i + 1 == batches.len(),
            };
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

/// Where a training run stands.
#[derive(Default)]
struct Run {
    step: usize,
    words: usize,
    seconds: f64,
    /// The loss summed over the examples since the last evaluation, and their count.
    loss_sum: f64,
    loss_examples: usize,
    /// The moving averages of the weights, when they are what is evaluated.
    averages: Option<ParamAverages>,
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
    fn mean_loss(&self) -> f64 {
        self.loss_sum / self.loss_examples.max(1) as f64
    }

    /// Evaluates `model` (its averages, if kept) on `dev`, keeps its weights if it is the best
    /// so far by `score`, records the evaluation and shows it to `observer`.
    fn evaluate<M, T>(
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
mod tests {
    use super::*;
    use crate::data::Floats2;
    use crate::io::Network;
    use crate::model::{Boxed, Params};
    use crate::training::{Adam, Schedule, TextClassification};

    type Classifier = Boxed<Ragged<Ids>, Floats2>;

    fn examples() -> Examples<usize> {
        let ids = vec![vec![1, 2], vec![3], vec![1, 3], vec![2], vec![4, 1]];
        Examples::new(ids, vec![0, 1, 0, 1, 0]).unwrap()
    }

    fn task() -> TextClassification {
        TextClassification::new(["a", "b"])
    }

    /// Trains a fresh classifier on `examples()`, evaluated on them too.
    fn run(settings: &Settings, observer: &mut impl Observer<Classifier>) -> (Classifier, Outcome) {
        let data = examples();
        let network = Network::parse("embed(width = 4) >> reduce_mean >> softmax").unwrap();
        let mut model: Classifier = network.initialize(&data.inputs(), data.truths()).unwrap();
        let mut adam = Adam::new(0.001);
        let outcome = train(
            &mut model,
            &mut adam,
            &task(),
            &data,
            &data,
            settings,
            observer,
        );
        (model, outcome.unwrap())
    }

    fn settings(epochs: usize, rate: f64, batch_size: usize, eval_every: usize) -> Settings {
        Settings {
            epochs,
            learn_rate: Schedule::Constant { rate },
            batch_size: BatchSize::examples(batch_size),
            eval_every: Some(eval_every),
            ..Settings::default()
        }
    }

    #[test]
    fn evaluations_come_every_so_many_steps_across_epochs() {
        // Three batches an epoch, nine steps: evaluations after steps 2, 4, 6 and 8.
        let (_, outcome) = run(&settings(3, 0.001, 2, 2), &mut ());
        let at: Vec<_> = outcome
            .evaluations
            .iter()
            .map(|e| (e.epoch, e.step))
            .collect();
        assert_eq!(at, [(1, 2), (2, 4), (2, 6), (3, 8)]);
    }

    /// The weights at each evaluation.
    struct Weights(Vec<Vec<u8>>);

    impl Observer<Classifier> for Weights {
        fn evaluation(&mut self, _: &Evaluation, model: &Classifier) -> Result<()> {
            self.0.push(model.to_bytes()?);
            Ok(())
        }
    }

    #[test]
    fn the_model_returned_is_the_best_evaluated() {
        let mut weights = Weights(Vec::new());
        let (model, outcome) = run(&settings(6, 0.5, 1, 1), &mut weights);
        let best = outcome.evaluations.iter().rposition(|e| e.best).unwrap();
        // Training went on after its best evaluation, and the model is the best one's.
        assert!(best + 1 < outcome.evaluations.len());
        assert_eq!(model.to_bytes().unwrap(), weights.0[best]);
        let scores = evaluate(&model, &task(), &examples()).unwrap();
        assert_eq!(scores.accuracy, outcome.evaluations[best].score);
    }

    #[test]
    fn with_averages_the_averages_are_evaluated_and_returned() {
        let mut weights = Weights(Vec::new());
        let averaged = Settings {
            averages: true,
            ..settings(3, 0.5, 1, 1)
        };
        let (model, outcome) = run(&averaged, &mut weights);
        let best = outcome.evaluations.iter().rposition(|e| e.best).unwrap();
        assert_eq!(model.to_bytes().unwrap(), weights.0[best]);
        // The same run without averages evaluates other weights.
        let mut raw = Weights(Vec::new());
        run(&settings(3, 0.5, 1, 1), &mut raw);
        assert_ne!(weights.0, raw.0);
    }

    #[test]
    fn patience_stops_training_when_dev_stops_improving() {
        // A learning rate too small to change a prediction: no evaluation beats the first.
        let patient = Settings {
            patience: Some(2),
            eval_every: None,
            ..settings(10, 1e-12, 32, 1)
        };
        let (_, outcome) = run(&patient, &mut ());
        assert_eq!(outcome.evaluations.len(), 3);
        assert!(outcome.stopped_early);
        assert_eq!(outcome.best().unwrap().epoch, 1);
    }

    #[test]
    fn a_scheduled_learning_rate_is_set_at_every_step() {
        /// Adam, recording the learning rates it is set to.
        struct Recorded(Adam, Vec<f32>);
        impl Optimizer for Recorded {
            fn set_learn_rate(&mut self, rate: f32) -> Result<()> {
                self.1.push(rate);
                self.0.set_learn_rate(rate)
            }
            fn grad_clip(&self) -> Option<f32> {
                self.0.grad_clip()
            }
            fn begin_step(&mut self) {
                self.0.begin_step();
            }
            fn update(&mut self, path: &str, param: &mut crate::model::Param, scale: f32) {
                self.0.update(path, param, scale);
            }
        }
        let data = examples();
        let network = Network::parse("embed(width = 4) >> reduce_mean >> softmax").unwrap();
        let mut model: Classifier = network.initialize(&data.inputs(), data.truths()).unwrap();
        let warm_up = "warmup_linear(initial_rate = 0.4, warmup_steps = 2, total_steps = 6)";
        let scheduled = Settings {
            learn_rate: warm_up.parse().unwrap(),
            ..settings(2, 0.1, 2, 1)
        };
        let mut adam = Recorded(Adam::new(0.001), Vec::new());
        train(
            &mut model,
            &mut adam,
            &task(),
            &data,
            &data,
            &scheduled,
            &mut (),
        )
        .unwrap();
        // Steps 0 to 5: 0.4 * step / 2 up to step 2, then 0.4 * (6 - step) / 4.
        assert_eq!(adam.1, [0.0, 0.2, 0.4, 0.3, 0.2, 0.1]);
    }

    #[test]
    fn settings_out_of_range_are_refused_naming_them() {
        let refused = |settings: Settings| settings.validate().unwrap_err().to_string();
        let epochs = Settings {
            epochs: 0,
            ..Settings::default()
        };
        assert_eq!(refused(epochs), "epochs must be at least 1, found 0");
        let batch = Settings {
            batch_size: BatchSize::words(0),
            ..Settings::default()
        };
        assert_eq!(
            refused(batch),
            "constant's rate must be finite and above 0, found 0"
        );
        let rate = settings(1, f64::NAN, 1, 1);
        assert_eq!(
            refused(rate),
            "constant's rate must be finite and above 0, found NaN"
        );
        assert_eq!(
            refused(settings(1, 0.1, 1, 0)),
            "eval_every must be at least 1, found 0"
        );
        let empty = Examples::<usize>::default();
        let network = Network::parse("embed(width = 4) >> reduce_mean >> softmax").unwrap();
        let mut model: Classifier = network
            .build(&crate::model::DataSizes::given(Some(5), Some(2)))
            .unwrap();
        let mut adam = Adam::new(0.1);
        let err = train(
            &mut model,
            &mut adam,
            &task(),
            &empty,
            &examples(),
            &Settings::default(),
            &mut (),
        );
        assert_eq!(
            err.unwrap_err().to_string(),
            "the training examples: expected at least one, found none"
        );
    }
}
