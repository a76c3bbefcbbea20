//! [`train`]: a pipeline trained as its [`Config`] says, kept in an output folder.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::Path;

use super::data::{self, Example};
use super::{Component, Config, Pipeline, Task};
use crate::corpus::{LabelledText, Labels, TaggedSentence, Vocab};
use crate::data::{Batch, Ids, Ragged};
use crate::error::{Error, Result};
use crate::kernels::rng::set_seed;
use crate::kernels::threads::with_threads;
use crate::model::{Boxed, Params};
use crate::training::{self, Adam, Evaluation, Observer, Outcome, Scores, WeightDecay};

/// What [`train`] tells as it goes. Every method does nothing unless implemented; `()` is told
/// nothing.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be told the progress of training",
    label = "not a `Progress`",
    note = "pass `&mut ()` to be told nothing, or implement `weft::pipeline::Progress`"
)]
pub trait Progress {
    /// Once the data are read and the network built, before the first step.
    fn start(&mut self, start: &Start) {
        let _ = start;
    }

    /// After step `step` (from 1) of `steps` in epoch `epoch`, with the mean loss per example
    /// since the last evaluation.
    fn step(&mut self, epoch: usize, step: usize, steps: usize, loss: f64) {
        let _ = (epoch, step, steps, loss);
    }

    /// After an evaluation on dev, once it is logged (and, if the best, saved). An error stops
    /// training.
    fn evaluation(&mut self, evaluation: &Evaluation) -> Result<()> {
        let _ = evaluation;
        Ok(())
    }
}

impl Progress for () {}

/// What a training run starts from.
#[derive(Clone, Debug)]
pub struct Start {
    /// Training examples, and their tokens.
    pub train: (usize, usize),
    /// Dev examples, and their tokens.
    pub dev: (usize, usize),
    /// Rows of the vocabulary (the unknown row among them).
    pub vocab_rows: usize,
    /// The labels: classes or tags.
    pub labels: Vec<String>,
    /// Parameters of the network.
    pub params: usize,
}

/// What [`train`] made.
pub struct Trained {
    /// The pipeline of the best evaluation, as saved in `model-best`.
    pub pipeline: Pipeline,
    /// Every evaluation.
    pub outcome: Outcome,
    /// The scores of the pipeline on the config's test data, if it names some.
    pub test: Option<Scores>,
}

/// Trains the pipeline `config` describes, in the folder `output`, and returns the best.
///
/// Reads the data (the vocabulary and the labels come from the training file), builds the
/// network of the config's text, and trains it with Adam by [`training::train`] as the config's
/// `[training]` says. The folder gets, as training goes:
/// - `log.jsonl`: a line of JSON per evaluation (step, epoch, training loss, dev score, words
///   and seconds so far, whether the best, every dev score);
/// - `model-best/`: the pipeline of the best evaluation so far, saved whole at each new best
///   (see [`Pipeline`]).
///
/// Training runs on a pool of the config's threads of its own ([`with_threads`]).
pub fn train(
    config: &Config,
    output: &Path,
    progress: &mut (impl Progress + Send),
) -> Result<Trained> {
    let io_error = |source| Error::Io {
        path: output.to_owned(),
        source,
    };
    fs::create_dir_all(output).map_err(io_error)?;
    with_threads(config.training.threads, || {
        set_seed(config.training.seed);
        match config.model.task {
            Task::Textcat => fit::<LabelledText, _>(
                config,
                output,
                progress,
                training::TextClassification::new,
                Component::Textcat,
            ),
            Task::Tagger => fit::<TaggedSentence, _>(
                config,
                output,
                progress,
                training::Tagging::new,
                Component::Tagger,
            ),
        }
    })?
}

/// [`train`] for examples `E` and task `T`: `task` makes the task of the labels, `component`
/// holds the trained model in a pipeline.
fn fit<E, T>(
    config: &Config,
    output: &Path,
    progress: &mut (impl Progress + Send),
    task: fn(Vec<String>) -> T,
    component: fn(Boxed<Ragged<Ids>, T::Out>) -> Component,
) -> Result<Trained>
where
    E: Example,
    T: training::Task<Truth = E::Truth>,
    T::Out: Batch,
{
    let data = &config.data;
    let train_examples = E::read(&data.train)?;
    let (vocab, labels) = data::vocab_and_labels(&train_examples);
    let train = data::encode(&train_examples, &vocab, &labels, &data.train)?;
    drop(train_examples);
    let dev = data::encode(&E::read(&data.dev)?, &vocab, &labels, &data.dev)?;
    let mut model = super::build::<T::Out>(config, &vocab, &labels)?;
    let task = task(labels.names().to_vec());
    progress.start(&Start {
        train: (train.len(), train.words()),
        dev: (dev.len(), dev.words()),
        vocab_rows: vocab.rows(),
        labels: labels.names().to_vec(),
        params: model.param_count(),
    });

    let log_path = output.join("log.jsonl");
    let log = File::create(&log_path).map_err(|source| Error::Io {
        path: log_path.clone(),
        source,
    })?;
    let mut keeper = Keeper {
        output,
        config,
        vocab: &vocab,
        labels: &labels,
        log: (BufWriter::new(log), log_path),
        progress,
    };
    let outcome = training::train(
        &mut model,
        &mut optimizer(config),
        &task,
        &train,
        &dev,
        &config.settings()?,
        &mut keeper,
    )?;
    let pipeline = Pipeline {
        config: config.clone(),
        vocab,
        labels,
        model: component(model),
    };
    let test = match &data.test {
        Some(path) => Some(pipeline.evaluate(path)?),
        None => None,
    };
    Ok(Trained {
        pipeline,
        outcome,
        test,
    })
}

/// Adam as the config says: its learning rate (the schedule sets it at every step), gradient
/// clipping and L2.
fn optimizer(config: &Config) -> Adam {
    let training = &config.training;
    let mut adam = Adam::new(training.learn_rate as f32);
    adam.grad_clip = training.grad_clip.map(|clip| clip as f32);
    if training.l2 > 0.0 {
        adam.weight_decay = WeightDecay::L2(training.l2 as f32);
    }
    adam
}

/// Logs every evaluation, saves the best, and tells `progress`.
struct Keeper<'a, P> {
    output: &'a Path,
    config: &'a Config,
    vocab: &'a Vocab,
    labels: &'a Labels,
    log: (BufWriter<File>, std::path::PathBuf),
    progress: &'a mut P,
}

impl<M: Params, P: Progress> Observer<M> for Keeper<'_, P> {
    fn step(&mut self, epoch: usize, step: usize, steps: usize, loss: f64) {
        self.progress.step(epoch, step, steps, loss);
    }

    fn evaluation(&mut self, evaluation: &Evaluation, model: &M) -> Result<()> {
        let (log, path) = &mut self.log;
        writeln!(log, "{}", log_line(evaluation))
            .and_then(|()| log.flush())
            .map_err(|source| Error::Io {
                path: path.clone(),
                source,
            })?;
        if evaluation.best {
            let dir = self.output.join("model-best");
            let weights = model.to_bytes()?;
            super::save(&dir, self.config, self.vocab, self.labels, &weights)?;
        }
        self.progress.evaluation(evaluation)
    }
}

/// The line of `log.jsonl` of `evaluation`.
fn log_line(evaluation: &Evaluation) -> String {
    let dev: serde_json::Value =
        serde_json::from_str(&evaluation.scores.to_json()).unwrap_or_default();
    serde_json::json!({
        "step": evaluation.step,
        "epoch": evaluation.epoch,
        "train_loss": evaluation.train_loss,
        "score": evaluation.score,
        "best": evaluation.best,
        "words": evaluation.words,
        "seconds": evaluation.seconds,
        "words_per_second": evaluation.words_per_second(),
        "dev": dev,
    })
    .to_string()
}
