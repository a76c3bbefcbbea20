//! [`Config`]: a training run written as a TOML file: the network in `model!`'s grammar, the
//! data files, and the training settings.

mod values;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::corpus::Format;
use crate::error::{Error, Result};
use crate::text::Attr;
use crate::training::{BatchSize, Schedule, Score, Settings};

/// A training run: what to train ([`ModelConfig`]), on what ([`DataConfig`]) and how
/// ([`TrainingConfig`]), as a TOML file writes it.
///
/// Reading checks everything a run needs before it starts: an unknown section or key, a value
/// of the wrong type or out of its range is an error that names the key and shows its line; a
/// network that does not check is the grammar's error with a caret under the place in the
/// string. ([`Config::starter`] writes a commented config of every key.)
///
/// ```
/// use weft_runtime::pipeline::{Config, Task};
/// let config: Config = r#"
///     [model]
///     task = "textcat"
///     network = "embed(width = 64) >> bilstm(hidden = 64) >> attention >> softmax"
///     [data]
///     train = "train.tsv"
///     dev = "dev.tsv"
///     [training]
///     epochs = 3
/// "#.parse()?;
/// assert_eq!(config.model.task, Task::Textcat);
/// assert_eq!(config.settings()?.epochs, 3);
///
/// let error = "[model]\ntask = \"textcat\"\nnetwork = \"embed >> softmax\"\n\
///              [data]\ntrain = \"t\"\ndev = \"d\"\n[training]\nepochs = 0\n"
///     .parse::<Config>()
///     .unwrap_err();
/// assert!(error.to_string().contains("line 8"), "{error}");
/// assert!(error.to_string().contains("epochs = 0"), "{error}");
/// assert!(error.to_string().contains("must be at least 1, found 0"), "{error}");
/// # Ok::<(), weft_runtime::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The `[model]` section.
    pub model: ModelConfig,
    /// The `[data]` section.
    pub data: DataConfig,
    /// The `[training]` section; every key has a default.
    #[serde(default)]
    pub training: TrainingConfig,
}

/// `[model]`: the task and the network.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    /// What the network predicts.
    pub task: Task,
    /// The network in `model!`'s grammar, such as
    /// `embed(width = 64) >> bilstm(hidden = 64) >> attention >> softmax`; sizes left open
    /// (`embed`'s rows, `softmax`'s classes) are read off the training data.
    pub network: String,
    /// The token attributes the network reads, by spaCy's names (`["NORM", "PREFIX",
    /// "SUFFIX", "SHAPE"]`, and `"ORTH"` for `static_vectors`): each token a row of their
    /// keys, a column each in this order, for `hash_embed`, `static_vectors` and
    /// `sparse_linear`. Empty (the default): each token its id in the vocabulary, for
    /// `embed`.
    #[serde(
        default,
        with = "values::attr_names",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub attrs: Vec<Attr>,
}

/// What a pipeline predicts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Task {
    /// A class per text (`textcat`): the network ends in one vector of probabilities per text.
    Textcat,
    /// A tag per token (`tagger`): the network ends in a vector of probabilities per token.
    Tagger,
}

impl Task {
    /// The task's name in a config: `textcat` or `tagger`.
    pub fn name(self) -> &'static str {
        match self {
            Task::Textcat => "textcat",
            Task::Tagger => "tagger",
        }
    }

    /// The format of the task's data files.
    pub fn format(self) -> Format {
        match self {
            Task::Textcat => Format::Texts,
            Task::Tagger => Format::Tagged,
        }
    }
}

/// `[data]`: the files. Relative paths are relative to the folder the command runs in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataConfig {
    /// The format of every file; by default the task's (`tsv` for `textcat`, `conll` for
    /// `tagger`), and no other is allowed (yet).
    #[serde(
        default,
        with = "values::format_name",
        skip_serializing_if = "Option::is_none"
    )]
    pub format: Option<Format>,
    /// The training examples, which also give the vocabulary and the labels.
    pub train: PathBuf,
    /// The examples evaluated during training, which pick the model kept.
    pub dev: PathBuf,
    /// Examples scored once at the end, with the model kept; optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test: Option<PathBuf>,
}

/// `[training]`: how to train. Every key has a default (those of [`Settings`] and
/// [`Adam`](crate::Adam)).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrainingConfig {
    /// The most passes over the training examples; at least 1.
    #[serde(deserialize_with = "values::at_least_one")]
    pub epochs: usize,
    /// The size of a batch: a whole number, or a schedule of sizes such as
    /// `"compounding(start = 4, stop = 32, compound = 1.001)"`.
    pub batch_size: Setting,
    /// What `batch_size` counts: `examples` or `words` (spaCy's batching by words).
    pub batch_by: BatchBy,
    /// Adam's learning rate (its peak, under a schedule); finite and above 0.
    #[serde(deserialize_with = "values::positive")]
    pub learn_rate: f64,
    /// How the learning rate changes with the step: Thinc's schedule as text, without its
    /// rate, which is `learn_rate`: `"warmup_linear(warmup_steps = 250, total_steps = 5000)"`,
    /// `"decaying(decay = 1e-4)"`, `"slanted_triangular(num_steps = 5000)"`. None: constant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    /// Steps between two evaluations on dev; none: after every epoch.
    #[serde(
        deserialize_with = "values::some_at_least_one",
        skip_serializing_if = "Option::is_none"
    )]
    pub eval_every: Option<usize>,
    /// Evaluations without a better dev score after which training stops; none: never.
    #[serde(
        deserialize_with = "values::some_at_least_one",
        skip_serializing_if = "Option::is_none"
    )]
    pub patience: Option<usize>,
    /// The dev score that picks the model kept: `accuracy` or `macro_f1`.
    pub score: ScoreName,
    /// Evaluate and keep the moving averages of the weights (Thinc's `use_averages`).
    pub averages: bool,
    /// Seeds the weights and the order of the examples.
    pub seed: u64,
    /// Threads of the pool; at least 1.
    #[serde(deserialize_with = "values::at_least_one")]
    pub threads: usize,
    /// The largest global gradient norm; gradients above it are scaled down. None: no
    /// clipping.
    #[serde(
        deserialize_with = "values::some_positive",
        skip_serializing_if = "Option::is_none"
    )]
    pub grad_clip: Option<f64>,
    /// L2 penalty on the weights, added to the gradient; 0: none.
    #[serde(deserialize_with = "values::non_negative")]
    pub l2: f64,
}

impl Default for TrainingConfig {
    fn default() -> Self {
        let settings = Settings::default();
        TrainingConfig {
            epochs: settings.epochs,
            batch_size: Setting::Number(32.0),
            batch_by: BatchBy::Examples,
            learn_rate: 0.001,
            schedule: None,
            eval_every: None,
            patience: None,
            score: ScoreName::Accuracy,
            averages: false,
            seed: 0,
            threads: 1,
            grad_clip: None,
            l2: 0.0,
        }
    }
}

/// What a batch size counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BatchBy {
    /// Examples (texts, or sentences).
    Examples,
    /// Words: batches of about so many tokens.
    Words,
}

/// The name of a [`Score`] in a config.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScoreName {
    /// [`Score::Accuracy`].
    Accuracy,
    /// [`Score::MacroF1`].
    MacroF1,
}

/// A setting given as a number or as a schedule's text.
#[derive(Clone, Debug, PartialEq)]
pub enum Setting {
    /// A constant.
    Number(f64),
    /// A schedule, such as `compounding(start = 4, stop = 32, compound = 1.001)`.
    Schedule(Schedule),
}

impl Config {
    /// Reads the config file at `path`; errors name the file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Config> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?;
        text.parse().map_err(|error| in_file(path, error))
    }

    /// The config with `setting`, written `section.key=value`, changed (the command line's
    /// `--set`). The value is read as TOML (`3`, `true`, `"text"`), or else as a string, so
    /// that `model.network=embed >> softmax` needs no quotes. The whole config is checked again.
    ///
    /// ```
    /// use weft_runtime::pipeline::Config;
    /// let config = Config::starter(weft_runtime::pipeline::Task::Textcat).parse::<Config>()?;
    /// let config = config.with("training.epochs=2")?.with("model.network=embed >> reduce_mean >> softmax")?;
    /// assert_eq!(config.training.epochs, 2);
    /// assert_eq!(config.model.network, "embed >> reduce_mean >> softmax");
    /// let error = config.with("training.epoch=2").unwrap_err().to_string();
    /// assert!(error.starts_with("--set training.epoch=2: unknown field `epoch`"), "{error}");
    /// # Ok::<(), weft_runtime::Error>(())
    /// ```
    pub fn with(&self, setting: &str) -> Result<Config> {
        let wrong = |message: String| Error::Config {
            place: format!("--set {setting}"),
            message,
        };
        let (key, value) = setting
            .split_once('=')
            .ok_or_else(|| wrong("expected section.key=value".into()))?;
        let (section, key) = key
            .trim()
            .split_once('.')
            .ok_or_else(|| wrong("expected section.key=value".into()))?;
        let value = value.trim();
        let value = toml::from_str::<toml::Table>(&format!("v = {value}"))
            .ok()
            .and_then(|mut table| table.remove("v"))
            .unwrap_or_else(|| toml::Value::String(value.to_owned()));
        let mut table = toml::Table::try_from(self).map_err(|e| wrong(e.to_string()))?;
        let section = table
            .entry(section)
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        let toml::Value::Table(section) = section else {
            return Err(wrong(format!("`{section}` is not a section")));
        };
        section.insert(key.to_owned(), value);
        let config: Config = table
            .try_into()
            .map_err(|e: toml::de::Error| wrong(e.message().trim_end().to_owned()))?;
        config.check().map_err(|e| wrong(e.to_string()))?;
        Ok(config)
    }

    /// The config as TOML text, which [`str::parse`] reads back to the same config.
    pub fn to_toml(&self) -> String {
        // Every field is a string, number, bool or table: serializing cannot fail.
        toml::to_string(self).unwrap_or_default()
    }

    /// The settings of the training loop.
    pub fn settings(&self) -> Result<Settings> {
        let training = &self.training;
        let size = match &training.batch_size {
            Setting::Number(n) => Schedule::Constant { rate: *n },
            Setting::Schedule(schedule) => *schedule,
        };
        let learn_rate = match &training.schedule {
            None => Schedule::Constant {
                rate: training.learn_rate,
            },
            Some(text) => Schedule::with_rate(text, training.learn_rate)?,
        };
        let settings = Settings {
            epochs: training.epochs,
            batch_size: match training.batch_by {
                BatchBy::Examples => BatchSize::Examples(size),
                BatchBy::Words => BatchSize::Words(size),
            },
            learn_rate,
            eval_every: training.eval_every,
            patience: training.patience,
            score: match training.score {
                ScoreName::Accuracy => Score::Accuracy,
                ScoreName::MacroF1 => Score::MacroF1,
            },
            averages: training.averages,
            seed: training.seed,
            checkpoint: None,
        };
        settings.validate()?;
        Ok(settings)
    }

    /// The format of the data files.
    pub fn format(&self) -> Format {
        self.data.format.unwrap_or(self.model.task.format())
    }

    /// What deserializing cannot check on its own: the network, the schedule, the format.
    fn check(&self) -> Result<()> {
        crate::io::Network::parse(&self.model.network).map_err(|error| Error::Config {
            place: "model.network".into(),
            message: error.to_string(),
        })?;
        self.settings().map_err(|error| Error::Config {
            place: "training".into(),
            message: error.to_string(),
        })?;
        if self.format() != self.model.task.format() {
            return Err(Error::Config {
                place: "data.format".into(),
                message: format!(
                    "a {} reads `{}` files, not `{}`",
                    self.model.task.name(),
                    self.model.task.format().name(),
                    self.format().name()
                ),
            });
        }
        Ok(())
    }

    /// A commented config for `task` whose data are the shipped examples (under
    /// `examples/data`, for a command run from the workspace root).
    pub fn starter(task: Task) -> String {
        let (network, train, dev, epochs) = match task {
            Task::Textcat => (
                "embed(width = 64) >> bilstm(hidden = 64) >> attention >> softmax",
                "examples/data/rt_polarity.train.tsv",
                "examples/data/rt_polarity.dev.tsv",
                5,
            ),
            Task::Tagger => (
                "embed(width = 64) >> bilstm(hidden = 64) >> softmax",
                "examples/data/twt_upos.train.conll",
                "examples/data/twt_upos.dev.conll",
                15,
            ),
        };
        include_str!("starter.toml")
            .replace("{task}", task.name())
            .replace("{network}", network)
            .replace("{format}", task.format().name())
            .replace("{train}", train)
            .replace("{dev}", dev)
            .replace("{epochs}", &epochs.to_string())
    }
}

impl std::str::FromStr for Config {
    type Err = Error;

    /// Reads a config from TOML text; errors show the line (see [`Config`]).
    fn from_str(text: &str) -> Result<Config> {
        let config: Config = toml::from_str(text).map_err(|error| Error::Config {
            place: "the config".into(),
            message: error.to_string().trim_end().to_owned(),
        })?;
        config.check()?;
        Ok(config)
    }
}

/// `error`, read from the file at `path`, as an error naming it.
fn in_file(path: &Path, error: Error) -> Error {
    match error {
        Error::Config { place, message } if place == "the config" => Error::Config {
            place: path.display().to_string(),
            message,
        },
        Error::Config { place, message } => Error::Config {
            place: format!("{}: {place}", path.display()),
            message,
        },
        other => other,
    }
}
