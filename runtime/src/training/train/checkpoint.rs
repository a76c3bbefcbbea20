//! A training run's checkpoint: [`write`] seals what a run needs to go on (`docs/format.md`,
//! "Checkpoints") and writes it to its file atomically; [`resume`] reads it back into a model,
//! an optimizer and a [`Run`], checking all of it before it changes anything.

use std::borrow::Cow;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::Plan;
use super::run::{Progress, Run};
use crate::error::{Error, Result};
use crate::io::checksum::Stream;
use crate::io::disk::{read_regular, write_atomically};
use crate::io::envelope::{CHECKPOINT, open, seal};
use crate::io::serialize::bin;
use crate::kernels::rng::Rng;
use crate::model::{Optimizer, Params};
use crate::training::Sequence;
use crate::training::averages::ParamAverages;
use crate::training::examples::{BatchSize, Examples};
use crate::training::named_settings::NamedSettings;
use crate::training::task::Task;

/// What a checkpoint holds.
#[derive(Serialize, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a map of taken_with, weights, optimizer, averages, best, rng and progress"
)]
struct Saved<'a> {
    /// The settings, labels and examples of the run, which a resumed run must have.
    taken_with: NamedSettings,
    /// The model's weights, in a model's saved form.
    #[serde(borrow)]
    weights: Bytes<'a>,
    /// The optimizer's state ([`Optimizer::save_state`]).
    #[serde(borrow)]
    optimizer: Bytes<'a>,
    /// The averages of the weights, when the run keeps them.
    #[serde(borrow)]
    averages: Option<SavedAverages<'a>>,
    /// The weights of the best evaluation so far (averaged, when the run keeps averages), in a
    /// model's saved form.
    #[serde(borrow)]
    best: Option<Bytes<'a>>,
    /// The shuffling generator's state.
    rng: [u64; 4],
    /// The run's counts, place and evaluations.
    progress: Cow<'a, Progress>,
}

/// The averages of a model's weights: in a model's saved form, and the updates they average.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedAverages<'a> {
    updates: u64,
    #[serde(borrow)]
    weights: Bytes<'a>,
}

/// Bytes, written as a msgpack bin.
#[derive(Serialize, Deserialize)]
#[serde(transparent)]
struct Bytes<'a>(#[serde(borrow, serialize_with = "bin")] Cow<'a, [u8]>);

/// Writes the checkpoint of `run`, with `model`'s weights and `optimizer`'s state, to the file
/// at `path`, replacing it whole or not at all.
pub(super) fn write<M, O, T, S: Sequence>(
    path: &Path,
    run: &mut Run,
    model: &mut M,
    optimizer: &O,
    plan: &Plan<'_, T, S>,
) -> Result<()>
where
    M: Params,
    O: Optimizer + ?Sized,
    T: Task,
{
    let averages = match &mut run.averages {
        Some(averages) => Some(SavedAverages {
            updates: averages.updates(),
            weights: Bytes(averages.swap_in(model)?.to_bytes()?.into()),
        }),
        None => None,
    };
    let saved = Saved {
        taken_with: taken_with(plan),
        weights: Bytes(model.to_bytes()?.into()),
        optimizer: Bytes(optimizer.save_state(model)?.into()),
        averages,
        best: run.best.as_deref().map(|best| Bytes(best.into())),
        rng: run.rng.state(),
        progress: Cow::Borrowed(&run.progress),
    };
    write_atomically(path, &seal(&CHECKPOINT, &saved))
}

/// The run of the checkpoint at `path`, for `plan`, with its weights loaded into `model` and
/// its optimizer's state into `optimizer`. An [`Error::Io`] when the file cannot be read, an
/// [`Error::Checkpoint`] naming the file and the first difference when it is not a checkpoint
/// of this run; then `model` and `optimizer` are as they were.
pub(super) fn resume<M, O, T, S: Sequence>(
    path: &Path,
    model: &mut M,
    optimizer: &mut O,
    plan: &Plan<'_, T, S>,
) -> Result<Run>
where
    M: Params,
    O: Optimizer + ?Sized,
    T: Task,
{
    let bytes = read_regular(path, "checkpoint")?;
    read(&bytes, model, optimizer, plan).map_err(|error| match error {
        Error::Checkpoint { message, .. } => Error::Checkpoint {
            path: Some(path.to_owned()),
            message,
        },
        other => other,
    })
}

/// [`resume`] from the checkpoint's `bytes`.
fn read<M, O, T, S: Sequence>(
    bytes: &[u8],
    model: &mut M,
    optimizer: &mut O,
    plan: &Plan<'_, T, S>,
) -> Result<Run>
where
    M: Params,
    O: Optimizer + ?Sized,
    T: Task,
{
    let mut saved: Saved = open(&CHECKPOINT, bytes).map_err(Error::checkpoint)?;
    let same_run = saved.taken_with.check(&taken_with(plan), "it", "this run");
    same_run.map_err(Error::checkpoint)?;
    let rng = Rng::from_state(saved.rng).ok_or_else(|| {
        Error::checkpoint("its generator's state is all zeros, which the generator never reaches")
    })?;
    if saved.averages.is_some() != plan.settings.averages {
        return Err(Error::checkpoint(
            "its averages are not those its settings ask for",
        ));
    }
    let progress = std::mem::take(&mut saved.progress).into_owned();
    let mut run = Run::resumed(progress, rng, plan)?;
    let values = Values::of(model);
    match load(model, optimizer, &saved) {
        Ok(averages) => run.averages = averages,
        Err(error) => {
            // It fails only as every walk that changes values would (a shared layer held
            // outside the model), and then no value has changed.
            let _ = values.restore(model);
            return Err(error);
        }
    }
    run.best = saved.best.map(|best| best.0.into_owned());
    Ok(run)
}

/// Loads the checkpoint's weights into `model` and its optimizer's state into `optimizer`, and
/// returns its averages. Its best weights and its averages are loaded into `model` on the way,
/// so that loading checks them against it. On error, `optimizer` is as it was, and `model`
/// holds whatever loaded last.
fn load<M, O>(model: &mut M, optimizer: &mut O, saved: &Saved<'_>) -> Result<Option<ParamAverages>>
where
    M: Params,
    O: Optimizer + ?Sized,
{
    let weights = &saved.weights.0;
    let load_weights = |model: &mut M| model.from_bytes(weights).map_err(part("its weights"));
    // The weights first, so that another network is told as such; and last, to stay.
    load_weights(model)?;
    if let Some(best) = &saved.best {
        model
            .from_bytes(&best.0)
            .map_err(part("its best weights"))?;
    }
    let averages = match &saved.averages {
        Some(SavedAverages { updates, weights }) => {
            model.from_bytes(&weights.0).map_err(part("its averages"))?;
            Some(ParamAverages::resume(model, *updates))
        }
        None => None,
    };
    load_weights(model)?;
    let state = optimizer.load_state(&saved.optimizer.0, model);
    state.map_err(part("its optimizer's state"))?;
    Ok(averages)
}

/// An error of the part `what` of a checkpoint (its weights, its optimizer's state), as an
/// [`Error::Checkpoint`] that names it.
fn part(what: &str) -> impl Fn(Error) -> Error + '_ {
    move |error| {
        let message = match error {
            Error::Load { error, .. } => error.to_string(),
            Error::Checkpoint { message, .. } => message,
            other => other.to_string(),
        };
        Error::checkpoint(format!("{what}: {message}"))
    }
}

/// The values of a model's parameters, in walk order: to put back when a checkpoint fails to
/// load after some of it has.
struct Values(Vec<Vec<f32>>);

impl Values {
    fn of<M: Params>(model: &M) -> Self {
        let mut values = Vec::new();
        model.for_each_param(&mut |_, param| values.push(param.value().to_vec()));
        Values(values)
    }

    /// Puts the values back into `model`, the model they are of.
    fn restore<M: Params>(self, model: &mut M) -> Result<()> {
        let mut values = self.0.into_iter();
        model.for_each_param_mut(&mut |_, param| {
            if let Some(values) = values.next() {
                param.value_mut().copy_from_slice(&values);
            }
        })
    }
}

/// What a run must be taken with to go on from a checkpoint: its settings (all but `epochs`,
/// `patience` and `checkpoint`), its task's labels, and its examples.
fn taken_with<T: Task, S: Sequence>(plan: &Plan<'_, T, S>) -> NamedSettings {
    let settings = plan.settings;
    let batch_size = match &settings.batch_size {
        BatchSize::Examples(size) => format!("{size} examples"),
        BatchSize::Words(size) => format!("{size} words"),
    };
    let eval_every = match settings.eval_every {
        Some(steps) => format!("{steps} steps"),
        None => "every epoch".into(),
    };
    NamedSettings::new([
        ("seed", settings.seed.to_string()),
        ("batch_size", batch_size),
        ("learn_rate", settings.learn_rate.to_string()),
        ("eval_every", eval_every),
        ("score", format!("{:?}", settings.score)),
        ("averages", settings.averages.to_string()),
        ("labels", plan.task.labels().join(", ")),
        ("training examples", fingerprint::<T, S>(plan.train)),
        ("dev examples", fingerprint::<T, S>(plan.dev)),
    ])
}

/// The number of `examples` and the CRC-32 of their token ids and classes: `5, CRC-32
/// 0x1c2b3a49`. The stream is framed as the model's checksum's: the count of examples, then
/// for each its ids (4 bytes each, little-endian) as a string and its classes as a count and
/// counts.
fn fingerprint<T: Task, S: Sequence>(examples: &Examples<T::Truth, S>) -> String {
    let mut stream = Stream::new();
    stream.count(examples.len());
    for (sequence, truth) in examples.sequences().iter().zip(examples.truths()) {
        stream.bytes(&sequence.bytes());
        let classes = T::classes(truth);
        stream.count(classes.len());
        classes.iter().for_each(|&class| stream.count(class));
    }
    format!("{}, CRC-32 {:#010x}", examples.len(), stream.sum())
}

#[cfg(test)]
mod tests;
