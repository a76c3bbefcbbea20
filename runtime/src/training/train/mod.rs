//! [`train`]: the training loop. Shuffled batches, a step each (forward, loss, backprop,
//! update, on the thread pool whole), an evaluation on dev every so many steps, the best
//! model kept, an early stop when dev stops improving, and a checkpoint after every
//! evaluation that [`resume`] goes on from (`checkpoint.rs`).

mod checkpoint;
mod report;
mod run;
mod settings;

use crate::data::{Batch, Ragged};
use crate::error::{Error, Result};
use crate::model::{Model, Optimizer};
use crate::training::Sequence;
use crate::training::examples::Examples;
use crate::training::exchange::{Alone, Exchange};
use crate::training::metrics::Scores;
use crate::training::task::Task;
use report::Told;
pub use report::{Evaluation, Observer, Outcome};
use run::Run;
pub use settings::{Score, Settings};

/// Trains `model` for `task` on `train` with `optimizer`, as `settings` say, evaluating on
/// `dev`, and leaves in `model` the weights of its best evaluation.
///
/// Each epoch shuffles the examples and cuts them into batches; each step runs a batch forward,
/// takes the loss's gradient, backpropagates and updates, on the thread pool whole. Every
/// [`eval_every`](Settings::eval_every) steps (or after every epoch), the model predicts
/// `dev`; a better score than all before keeps a copy of the weights; after
/// [`patience`](Settings::patience) evaluations without one, training stops. With a
/// [`checkpoint`](Settings::checkpoint) file, each evaluation writes the run's checkpoint
/// there, which [`resume`] goes on from; an optimizer that cannot save its state
/// ([`Optimizer::save_state`]) is then refused before the first step.
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
pub fn train<M, T, O, S>(
    model: &mut M,
    optimizer: &mut O,
    task: &T,
    train: &Examples<T::Truth, S>,
    dev: &Examples<T::Truth, S>,
    settings: &Settings,
    observer: &mut impl Observer<M>,
) -> Result<Outcome>
where
    M: Model<In = Ragged<S::Rows>, Out = T::Out>,
    S: Sequence,
    M::Out: Batch,
    T: Task,
    O: Optimizer + Send,
{
    let data = Data { task, train, dev };
    train_data_parallel(
        &mut Alone,
        Begin::Afresh,
        model,
        optimizer,
        data,
        settings,
        observer,
    )
}

/// A task and its examples to train and to evaluate on: what [`train_data_parallel`] trains
/// for.
pub struct Data<'a, T: Task, S = Vec<u32>> {
    /// What the network is trained to do.
    pub task: &'a T,
    /// The examples to train on.
    pub train: &'a Examples<T::Truth, S>,
    /// The examples to evaluate on.
    pub dev: &'a Examples<T::Truth, S>,
}

/// [`train`] (`begin`: [`Begin::Afresh`]) or [`resume`] ([`Begin::FromCheckpoint`]),
/// data-parallel: each of the processes of `exchange` takes its part of every batch, their
/// gradients are summed before each update ([`Exchange`]), and every process holds the same
/// weights after every step: those of one process that took each batch whole (to the rounding
/// of the sums; `Settings::batch_size` is the size of the whole batch). Every process evaluates
/// (so that all stop together); only process 0 tells `observer` and writes the checkpoint,
/// which every process reads to resume (a folder all of them see; with as many processes or
/// another count). Every process must call it with the same model, examples and settings.
///
/// ```
/// use weft_runtime::{Adam, Boxed, Floats2, Ids, Network, Params, Ragged};
/// use weft_runtime::training::{Alone, Begin, Data, Examples, Settings, TextClassification};
/// use weft_runtime::training::{train, train_data_parallel};
/// let examples = Examples::new(vec![vec![1, 2], vec![3], vec![1, 3]], vec![0, 1, 0])?;
/// let network = Network::parse("embed(width = 4) >> reduce_mean >> softmax")?;
/// let task = TextClassification::new(["rotten", "fresh"]);
/// let mut fits = Vec::new();
/// for parallel in [false, true] {
///     weft_runtime::set_seed(1);
///     let mut model: Boxed<Ragged<Ids>, Floats2> =
///         network.initialize(&examples.inputs(), examples.truths())?;
///     let (mut adam, settings) = (Adam::new(0.01), Settings::default());
///     match parallel {
///         false => train(&mut model, &mut adam, &task, &examples, &examples, &settings, &mut ())?,
///         true => {
///             let data = Data { task: &task, train: &examples, dev: &examples };
///             let (begin, observer) = (Begin::Afresh, &mut ());
///             train_data_parallel(&mut Alone, begin, &mut model, &mut adam, data, &settings, observer)?
///         }
///     };
///     fits.push(model.to_bytes()?);
/// }
/// assert_eq!(fits[0], fits[1]);
/// # Ok::<(), weft_runtime::Error>(())
/// ```
pub fn train_data_parallel<M, T, O, S>(
    exchange: &mut dyn Exchange,
    begin: Begin,
    model: &mut M,
    optimizer: &mut O,
    data: Data<'_, T, S>,
    settings: &Settings,
    observer: &mut impl Observer<M>,
) -> Result<Outcome>
where
    M: Model<In = Ragged<S::Rows>, Out = T::Out>,
    S: Sequence,
    M::Out: Batch,
    T: Task,
    O: Optimizer + Send,
{
    let plan = Plan::new(data, settings)?;
    let run = match begin {
        Begin::Afresh => {
            if settings.checkpoint.is_some() {
                // An optimizer that cannot save its state is refused before the first step.
                optimizer.save_state(model)?;
            }
            Run::new(settings, plan.train.len())
        }
        Begin::FromCheckpoint => {
            let Some(path) = &settings.checkpoint else {
                let message = "nothing to resume from: Settings::checkpoint names no file";
                return Err(Error::checkpoint(message));
            };
            checkpoint::resume(path, model, optimizer, &plan)?
        }
    };
    go_on(run, model, optimizer, &plan, exchange, observer)
}

/// Where a training run begins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Begin {
    /// From the model as it is, at the first step ([`train`]).
    Afresh,
    /// From the checkpoint at [`Settings::checkpoint`] ([`resume`]).
    FromCheckpoint,
}

/// Goes on with the training run whose checkpoint is at
/// [`settings.checkpoint`](Settings::checkpoint), as [`train`] would have gone on had it not
/// stopped: the same weights, bit for bit, and the same evaluations. The checkpoint, written
/// after the last evaluation the run's observer took, gives `model` and `optimizer` their
/// weights and state (so they must be of the run's network and kind, and built with the same
/// settings: Adam's betas, say, all but its learning rate), and gives the run its place (the
/// epoch, the batch, the shuffled order of the examples and the shuffling generator's state),
/// its evaluations, the best weights and the evaluations since (patience), the averages of the
/// weights, and its loss so far. Training then goes on and writes its checkpoints in the same
/// file. `observer` sees the steps and evaluations after the checkpoint's; the outcome holds
/// every evaluation, those before it too.
///
/// `train`, `dev`, `task` and `settings` must be the run's: the checkpoint holds the number and
/// a checksum of each set of examples (token ids and classes), the task's labels, and every
/// setting but `epochs` (more epochs go on further; fewer stop at the end of the epoch under
/// way, or at once), `patience` (applied from here, to the evaluations since the best) and
/// `checkpoint`; any other difference is refused, naming it. So is a missing, damaged or
/// truncated file, or one of another network (the architecture differs) or of another
/// optimizer's kind or settings. Nothing changes in the model or the optimizer unless the
/// whole checkpoint loads. A model with [`Dropout`](crate::layers::Dropout) draws other masks
/// after resuming than the run would have: the layer's generator is not saved.
///
/// ```
/// use weft_runtime::{Adam, Boxed, Error, Floats2, Ids, Network, Params, Ragged, Result};
/// use weft_runtime::training::{
///     Evaluation, Examples, Observer, Schedule, Settings, TextClassification, resume, train,
/// };
/// type Classifier = Boxed<Ragged<Ids>, Floats2>;
///
/// /// Stops training at its third evaluation, as a crash would.
/// struct StopAtThird(usize);
/// impl Observer<Classifier> for StopAtThird {
///     fn evaluation(&mut self, _: &Evaluation, _: &Classifier) -> Result<()> {
///         self.0 += 1;
///         let stop = std::io::Error::other("stopped");
///         if self.0 == 3 { Err(Error::Io { path: "-".into(), source: stop }) } else { Ok(()) }
///     }
/// }
///
/// let examples = Examples::new(vec![vec![1, 2], vec![3], vec![1, 3], vec![2]], vec![0, 1, 0, 1])?;
/// let network = Network::parse("embed(width = 8) >> reduce_mean >> softmax")?;
/// let new_model = || -> Result<Classifier> { network.initialize(&examples.inputs(), examples.truths()) };
/// let task = TextClassification::new(["rotten", "fresh"]);
/// let path = std::env::temp_dir().join(format!("weft-doc-resume-{}.ckpt", std::process::id()));
/// let settings = Settings {
///     epochs: 5,
///     learn_rate: Schedule::Constant { rate: 0.05 },
///     checkpoint: Some(path.clone()),
///     ..Settings::default()
/// };
/// let mut model = new_model()?;
/// let start = model.to_bytes()?;
/// // A run cut short at its third evaluation: its checkpoint is the second's...
/// let stopped = train(&mut model, &mut Adam::new(0.001), &task, &examples, &examples, &settings, &mut StopAtThird(0));
/// assert_eq!(stopped.unwrap_err().to_string(), "-: stopped");
/// // ... goes on in another model and optimizer from the third epoch ...
/// let mut resumed = new_model()?;
/// let mut epochs = Vec::new();
/// let mut observe = |e: &Evaluation| epochs.push(e.epoch);
/// let outcome = resume(&mut resumed, &mut Adam::new(0.001), &task, &examples, &examples, &settings, &mut observe)?;
/// assert_eq!((epochs, outcome.evaluations.len()), (vec![3, 4, 5], 5));
/// // ... and ends as the run would have, uninterrupted.
/// let mut whole = new_model()?;
/// whole.from_bytes(&start)?;
/// let uninterrupted = Settings { checkpoint: None, ..settings };
/// train(&mut whole, &mut Adam::new(0.001), &task, &examples, &examples, &uninterrupted, &mut ())?;
/// assert_eq!(resumed.to_bytes()?, whole.to_bytes()?);
/// # std::fs::remove_file(&path).unwrap();
/// # Ok::<(), weft_runtime::Error>(())
/// ```
pub fn resume<M, T, O, S>(
    model: &mut M,
    optimizer: &mut O,
    task: &T,
    train: &Examples<T::Truth, S>,
    dev: &Examples<T::Truth, S>,
    settings: &Settings,
    observer: &mut impl Observer<M>,
) -> Result<Outcome>
where
    M: Model<In = Ragged<S::Rows>, Out = T::Out>,
    S: Sequence,
    M::Out: Batch,
    T: Task,
    O: Optimizer + Send,
{
    let data = Data { task, train, dev };
    let begin = Begin::FromCheckpoint;
    train_data_parallel(
        &mut Alone, begin, model, optimizer, data, settings, observer,
    )
}

/// What a run follows: the task, the examples to train on and to evaluate on, and the
/// settings, checked.
struct Plan<'a, T: Task, S> {
    task: &'a T,
    train: &'a Examples<T::Truth, S>,
    dev: &'a Examples<T::Truth, S>,
    settings: &'a Settings,
}

impl<'a, T: Task, S: Sequence> Plan<'a, T, S> {
    /// The plan, once the settings are valid and there are examples to train and evaluate on.
    fn new(data: Data<'a, T, S>, settings: &'a Settings) -> Result<Self> {
        let Data { task, train, dev } = data;
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
        Ok(Plan {
            task,
            train,
            dev,
            settings,
        })
    }
}

/// Trains on from where `run` stands, as `plan` says, among the processes of `exchange`, to the
/// end of the last epoch or until patience runs out, checkpointing after every evaluation when
/// asked (process 0 only, which alone tells `observer`); leaves in `model` the weights of the
/// best evaluation.
fn go_on<M, T, O, S>(
    mut run: Run,
    model: &mut M,
    optimizer: &mut O,
    plan: &Plan<'_, T, S>,
    exchange: &mut dyn Exchange,
    observer: &mut impl Observer<M>,
) -> Result<Outcome>
where
    M: Model<In = Ragged<S::Rows>, Out = T::Out>,
    S: Sequence,
    M::Out: Batch,
    T: Task,
    O: Optimizer + Send,
{
    let settings = plan.settings;
    let first = exchange.rank() == 0;
    let observer = &mut Told(first.then_some(observer));
    while run.steps_left(settings.epochs) {
        // Checked before the step rather than after the evaluation, so that a run resumed
        // from the evaluation that ran out of patience stops there too.
        if run.out_of_patience(settings.patience) {
            run.progress.outcome.stopped_early = true;
            break;
        }
        if run.epoch_done() {
            run.next_epoch(&settings.batch_size, plan.train)?;
        }
        optimizer.set_learn_rate(settings.learn_rate.value(run.progress.step)?)?;
        run.step(model, optimizer, plan.task, plan.train, exchange)?;
        let (epoch, batches_done, batches) = run.place();
        observer.step(epoch, batches_done, batches, run.mean_loss());
        // Every so many steps, or at the end of every epoch; and after the last step, so that
        // no step goes unevaluated.
        let due = match settings.eval_every {
            Some(n) => run.progress.step.is_multiple_of(n),
            None => run.epoch_done(),
        } || !run.steps_left(settings.epochs);
        if due {
            run.evaluate(model, plan.task, plan.dev, settings.score, observer)?;
            if let Some(path) = &settings.checkpoint
                && first
            {
                checkpoint::write(path, &mut run, model, optimizer, plan)?;
            }
        }
    }
    if let Some(best) = &run.best {
        model.from_bytes(best)?;
    }
    Ok(run.progress.outcome)
}

/// Every score of `model` on `examples`: accuracy, per-class precision, recall and F1, their
/// macro averages, the confusion matrix.
pub fn evaluate<M, T, S>(model: &M, task: &T, examples: &Examples<T::Truth, S>) -> Result<Scores>
where
    M: Model<In = Ragged<S::Rows>, Out = T::Out>,
    S: Sequence,
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
pub fn predict<M, T, S>(model: &M, task: &T, examples: &Examples<T::Truth, S>) -> Result<Vec<usize>>
where
    M: Model<In = Ragged<S::Rows>, Out = T::Out>,
    S: Sequence,
    M::Out: Batch,
    T: Task,
{
    let mut predicted = Vec::new();
    for sequences in examples.sequences().chunks(128) {
        let out = model.predict_parallel(S::pack(sequences));
        predicted.extend(task.predict(&out)?);
    }
    Ok(predicted)
}

#[cfg(test)]
mod tests;
