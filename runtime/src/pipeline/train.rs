//! [`train`]: a pipeline trained as its [`Config`] says, kept in an output folder.

use std::fs;
use std::path::{Path, PathBuf};

use super::data::{Corpus, Example, ids, keys_of};
use super::{Component, Config, Net, Pipeline, Probabilities, Task};
use crate::corpus::{LabelledText, Labels, TaggedSentence, Vocab};
use crate::data::{Batch, Ragged};
use crate::error::{Error, Result};
use crate::io::disk::write_atomically;
use crate::kernels::rng::set_seed;
use crate::kernels::threads::with_threads;
use crate::model::{Boxed, Params};
use crate::training::{
    self, Adam, Alone, Begin, Evaluation, Exchange, Observer, Outcome, Scores, Sequence, Settings,
    WeightDecay,
};

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

    /// After an evaluation on dev, once it is logged (and, if the best, saved), with every
    /// evaluation of the run so far (`log.jsonl`'s, those before a resume among them). An error
    /// stops training.
    fn evaluation(&mut self, evaluation: &Evaluation, log: &[Evaluation]) -> Result<()> {
        let _ = (evaluation, log);
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
    /// Rows of the vocabulary (the unknown row among them); none when the network reads the
    /// keys of token attributes.
    pub vocab_rows: Option<usize>,
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
///   and seconds so far, whether the best, every dev score), rewritten whole at each;
/// - `model-best/`: the pipeline of the best evaluation so far, saved whole at each new best
///   (see [`Pipeline`]);
/// - `checkpoint.weft`: where the run stands after its last evaluation, weights and optimizer
///   state with it, from which [`resume`] goes on.
///
/// Training runs on a pool of the config's threads of its own ([`with_threads`]).
pub fn train(
    config: &Config,
    output: &Path,
    progress: &mut (impl Progress + Send),
) -> Result<Trained> {
    train_data_parallel(config, output, progress, &mut Alone, Begin::Afresh)
}

/// Goes on with the run of `config` in `output` from its `checkpoint.weft`, as [`train`] would
/// have gone on had it not stopped (the same weights, bit for bit, on the same machine and
/// threads). The config may differ in its epochs and patience only: anything else that
/// changes what training does is refused, naming it (see [`training::resume`]).
pub fn resume(
    config: &Config,
    output: &Path,
    progress: &mut (impl Progress + Send),
) -> Result<Trained> {
    train_data_parallel(config, output, progress, &mut Alone, Begin::FromCheckpoint)
}

/// [`train`] (`begin`: [`Begin::Afresh`]) or [`resume`] ([`Begin::FromCheckpoint`]),
/// data-parallel among the processes of `exchange`, as [`training::train_data_parallel`]
/// trains: the config's `batch_size` is the size of the whole batch of a step, which the
/// processes share. Every process must be given the same config and output folder (one they
/// all see); only process 0 tells `progress` and writes the folder.
pub fn train_data_parallel(
    config: &Config,
    output: &Path,
    progress: &mut (impl Progress + Send),
    exchange: &mut dyn Exchange,
    begin: Begin,
) -> Result<Trained> {
    fs::create_dir_all(output).map_err(|source| Error::Io {
        path: output.to_owned(),
        source,
    })?;
    with_threads(config.training.threads, || {
        set_seed(config.training.seed);
        let mut run = Run {
            config,
            output,
            begin,
            exchange,
        };
        let attrs = &config.model.attrs;
        let (textcat, tagger) = (training::TextClassification::new, training::Tagging::new);
        match (config.model.task, attrs.is_empty()) {
            (Task::Textcat, true) => run.fit::<LabelledText, _, _>(progress, textcat, ids, |m| {
                Component::Textcat(Net::Ids(m))
            }),
            (Task::Tagger, true) => run.fit::<TaggedSentence, _, _>(progress, tagger, ids, |m| {
                Component::Tagger(Net::Ids(m))
            }),
            (Task::Textcat, false) => {
                run.fit::<LabelledText, _, _>(progress, textcat, keys_of(attrs), |m| {
                    Component::Textcat(Net::Keys(m))
                })
            }
            (Task::Tagger, false) => {
                run.fit::<TaggedSentence, _, _>(progress, tagger, keys_of(attrs), |m| {
                    Component::Tagger(Net::Keys(m))
                })
            }
        }
    })?
}

/// A training run of a config into an output folder, among the processes of `exchange`.
struct Run<'a> {
    config: &'a Config,
    output: &'a Path,
    begin: Begin,
    exchange: &'a mut dyn Exchange,
}

impl Run<'_> {
    /// The run for examples `E` and task `T`: `task` makes the task of the labels, `input`
    /// the network's input of each example's tokens (ids of the training vocabulary, or keys),
    /// `component` holds the trained model in a pipeline.
    fn fit<E, T, S>(
        &mut self,
        progress: &mut (impl Progress + Send),
        task: fn(Vec<String>) -> T,
        input: impl Fn(&Vocab, &[String]) -> Result<S>,
        component: fn(Boxed<Ragged<S::Rows>, T::Out>) -> Component,
    ) -> Result<Trained>
    where
        E: Example,
        T: training::Task<Truth = E::Truth>,
        T::Out: Batch + Probabilities,
        S: Sequence,
    {
        let (config, output) = (self.config, self.output);
        let data = &config.data;
        let Corpus {
            vocab,
            labels,
            train,
            dev,
            test,
        } = Corpus::read_with::<E>(&data.train, &data.dev, data.test.as_deref(), &input)?;
        let probe = S::pack([&input(&vocab, &[String::new()])?]);
        let mut model = super::build(config, &vocab, &labels, probe)?;
        let task = task(labels.names().to_vec());
        let first = self.exchange.rank() == 0;
        if first {
            progress.start(&Start {
                train: (train.len(), train.words()),
                dev: (dev.len(), dev.words()),
                vocab_rows: config.model.attrs.is_empty().then(|| vocab.rows()),
                labels: labels.names().to_vec(),
                params: model.param_count(),
            });
        }

        let log = output.join("log.jsonl");
        let mut keeper = Keeper {
            output,
            config,
            vocab: &vocab,
            labels: &labels,
            evaluations: match self.begin {
                Begin::Afresh => Vec::new(),
                Begin::FromCheckpoint => read_log(&log)?,
            },
            resumed: self.begin == Begin::FromCheckpoint,
            log,
            progress,
        };
        let settings = Settings {
            checkpoint: Some(output.join("checkpoint.weft")),
            ..config.settings()?
        };
        let mut adam = optimizer(config);
        let data = training::Data {
            task: &task,
            train: &train,
            dev: &dev,
        };
        let outcome = training::train_data_parallel(
            &mut *self.exchange,
            self.begin,
            &mut model,
            &mut adam,
            data,
            &settings,
            &mut keeper,
        )?;
        if std::mem::take(&mut keeper.resumed) && first {
            // No evaluation since the checkpoint: the log is the checkpoint's.
            keeper.evaluations = outcome.evaluations.clone();
            keeper.write_log()?;
        }
        let test = (test.as_ref())
            .map(|test| training::evaluate(&model, &task, test))
            .transpose()?;
        let pipeline = Pipeline {
            config: config.clone(),
            vocab,
            labels,
            model: component(model),
        };
        Ok(Trained {
            pipeline,
            outcome,
            test,
        })
    }
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
    /// The evaluations of the run, as `log.jsonl` at `log` holds them.
    evaluations: Vec<Evaluation>,
    log: PathBuf,
    /// Whether the run resumed and has not evaluated since.
    resumed: bool,
    progress: &'a mut P,
}

impl<M: Params, P: Progress> Observer<M> for Keeper<'_, P> {
    fn step(&mut self, epoch: usize, step: usize, steps: usize, loss: f64) {
        self.progress.step(epoch, step, steps, loss);
    }

    fn evaluation(&mut self, evaluation: &Evaluation, model: &M) -> Result<()> {
        if std::mem::take(&mut self.resumed) {
            // Evaluations logged after the checkpoint (by a run stopped before it wrote the
            // next) are made again.
            self.evaluations.retain(|e| e.step < evaluation.step);
        }
        self.evaluations.push(evaluation.clone());
        self.write_log()?;
        if evaluation.best {
            let dir = self.output.join("model-best");
            let weights = model.to_bytes()?;
            super::save(&dir, self.config, self.vocab, self.labels, &weights)?;
        }
        self.progress.evaluation(evaluation, &self.evaluations)
    }
}

impl<P> Keeper<'_, P> {
    /// Writes the evaluations to `log.jsonl`, whole.
    fn write_log(&self) -> Result<()> {
        let mut log = String::new();
        for evaluation in &self.evaluations {
            // An evaluation is numbers and strings: serializing cannot fail.
            log.push_str(&serde_json::to_string(evaluation).unwrap_or_default());
            log.push('\n');
        }
        write_atomically(&self.log, log.as_bytes())
    }
}

/// The evaluations of the `log.jsonl` at `path`: none when there is no file; an error at the
/// line that is not an evaluation.
pub fn read_log(path: &Path) -> Result<Vec<Evaluation>> {
    let text = match fs::read_to_string(path) {
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        read => read.map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?,
    };
    (text.lines().enumerate())
        .map(|(i, line)| {
            serde_json::from_str(line).map_err(|error| Error::Parse {
                path: path.to_owned(),
                line: i + 1,
                message: format!("not an evaluation: {error}"),
            })
        })
        .collect()
}
