//! Pipelines: a trained network with what it needs to read text (its config, vocabulary and
//! labels), saved as one folder, loaded with no Rust expression of the network, predicting from
//! strings; and [`train`], which makes one from a [`Config`].
//!
//! A pipeline's folder holds:
//!
//! | file | what |
//! |---|---|
//! | `config.toml` | the [`Config`] it was trained with: its task and its network's text |
//! | `vocab.txt` | the known tokens, one per line, line `i` (from 1) for id `i` (0: unknown); a network over the keys of token attributes (the config's `attrs`) does not read it |
//! | `labels.txt` | the labels (classes or tags), one per line, in class order |
//! | `model.weft` | the weights, as [`Params::to_disk`] saves them (`docs/format.md`) |
//! | `meta.json` | the weft version and the CRC-32 of the three text files |
//!
//! It is written whole or not at all: into a temporary folder beside it, which then takes its
//! place. Loading checks every file: the text files against their checksums (a vocabulary
//! changed by hand would silently give other ids), the weights against the network the config
//! builds, sized by the vocabulary and the labels.
//!
//! What it may use: `io`, `training`, `model`, `data`.

mod config;
mod data;
mod prediction;
mod train;

use std::path::Path;

use crate::corpus::{LabelledText, Labels, TaggedSentence, Vocab};
use crate::data::{Batch, Data, Floats2, Ids, Keys, Ragged};
use crate::error::{Error, Result};
use crate::io::Network;
use crate::io::disk::read_regular;
use crate::io::folder::write_folder;
use crate::model::{Boxed, DataSizes, Model, Params};
use crate::training::{Scores, Sequence, Tagging, TextClassification, evaluate};
use data::Example;

pub use config::{
    BatchBy, Config, DataConfig, ModelConfig, ScoreName, Setting, Task, TrainingConfig,
};
pub use data::Corpus;
pub use prediction::Prediction;
pub use train::{Progress, Start, Trained, read_log, resume, train, train_data_parallel};

/// A trained network, its config, vocabulary and labels: see the [module](self) for its folder.
///
/// ```no_run
/// use weft_runtime::pipeline::{Pipeline, Prediction};
/// let pipeline = Pipeline::from_disk("training/model-best")?;
/// for prediction in pipeline.predict(&["a gorgeous , witty , seductive movie ."])? {
///     println!("{}", prediction.to_json());
/// }
/// println!("{}", pipeline.evaluate("examples/data/rt_polarity.dev.tsv")?.accuracy);
/// # Ok::<(), weft_runtime::Error>(())
/// ```
pub struct Pipeline {
    config: Config,
    vocab: Vocab,
    labels: Labels,
    model: Component,
}

/// The network, of the type its task's output gives it.
pub(crate) enum Component {
    /// A vector of class probabilities per text.
    Textcat(Net<Floats2>),
    /// A vector of tag probabilities per token.
    Tagger(Net<Ragged<Floats2>>),
}

/// The network, of the type its input gives it.
pub(crate) enum Net<Out> {
    /// Each token its id in the vocabulary.
    Ids(Boxed<Ragged<Ids>, Out>),
    /// Each token a row of the keys of the config's attributes.
    Keys(Boxed<Ragged<Keys>, Out>),
}

/// The files of a pipeline's folder, but `meta.json`.
const CONFIG: &str = "config.toml";
const VOCAB: &str = "vocab.txt";
const LABELS: &str = "labels.txt";
const WEIGHTS: &str = "model.weft";
const META: &str = "meta.json";

impl Pipeline {
    /// The untrained pipeline of `config`, with `vocab` and `labels`: its network is built by
    /// the config's text, sized by the vocabulary's rows and the number of labels.
    pub fn new(config: Config, vocab: Vocab, labels: Labels) -> Result<Pipeline> {
        let model = match config.model.task {
            Task::Textcat => Component::Textcat(Net::build(&config, &vocab, &labels)?),
            Task::Tagger => Component::Tagger(Net::build(&config, &vocab, &labels)?),
        };
        Ok(Pipeline {
            config,
            vocab,
            labels,
            model,
        })
    }

    /// Loads the pipeline saved in the folder `dir`, checking every file (see the
    /// [module](self)); errors name the file.
    pub fn from_disk(dir: impl AsRef<Path>) -> Result<Pipeline> {
        let dir = dir.as_ref();
        let read = |name: &str| read_regular(&dir.join(name), "pipeline's file");
        let meta = read(META)?;
        let (config, vocab, labels) = (read(CONFIG)?, read(VOCAB)?, read(LABELS)?);
        check_meta(
            &dir.join(META),
            &meta,
            &[(CONFIG, &config), (VOCAB, &vocab), (LABELS, &labels)],
        )?;
        let text = |name: &str, bytes: Vec<u8>| {
            String::from_utf8(bytes).map_err(|_| Error::Config {
                place: dir.join(name).display().to_string(),
                message: "not UTF-8".into(),
            })
        };
        let config: Config = text(CONFIG, config)?
            .parse()
            .map_err(|error| in_pipeline(dir, CONFIG, error))?;
        let vocab = Vocab::from_list(lines(&text(VOCAB, vocab)?))
            .map_err(|error| in_pipeline(dir, VOCAB, error))?;
        let labels = Labels::from_list(lines(&text(LABELS, labels)?))
            .map_err(|error| in_pipeline(dir, LABELS, error))?;
        let mut pipeline = Pipeline::new(config, vocab, labels)?;
        match &mut pipeline.model {
            Component::Textcat(net) => net.load(&dir.join(WEIGHTS))?,
            Component::Tagger(net) => net.load(&dir.join(WEIGHTS))?,
        }
        Ok(pipeline)
    }

    /// Saves the pipeline as the folder `dir`, whole (see the [module](self)). A folder there
    /// is replaced only if it holds a saved pipeline.
    pub fn to_disk(&self, dir: impl AsRef<Path>) -> Result<()> {
        let weights = match &self.model {
            Component::Textcat(net) => net.to_bytes()?,
            Component::Tagger(net) => net.to_bytes()?,
        };
        save(
            dir.as_ref(),
            &self.config,
            &self.vocab,
            &self.labels,
            &weights,
        )
    }

    /// The predictions for `texts`, each a string of tokens separated by white space (a
    /// sentence, for a tagger): a class and every class's probability per text, or a tag per
    /// token. A text without tokens is an error that says which, for a text classifier (a
    /// tagger gives it no tags).
    pub fn predict<S: AsRef<str>>(&self, texts: &[S]) -> Result<Vec<Prediction>> {
        let tokens: Vec<Vec<String>> = (texts.iter())
            .map(|text| {
                text.as_ref()
                    .split_whitespace()
                    .map(str::to_owned)
                    .collect()
            })
            .collect();
        match &self.model {
            Component::Textcat(net) => {
                if let Some(empty) = tokens.iter().position(Vec::is_empty) {
                    return Err(Error::shape(
                        format!("text {} of {}", empty + 1, texts.len()),
                        "at least one token",
                        "none",
                    ));
                }
                prediction::classes(&net.predict(self, &tokens)?, &self.labels)
            }
            Component::Tagger(net) => {
                prediction::tags(&net.predict(self, &tokens)?, &tokens, &self.labels)
            }
        }
    }

    /// Every score of the pipeline on the examples of the data file at `path`, read in the
    /// config's format: a label the pipeline does not know is an error at its line.
    pub fn evaluate(&self, path: impl AsRef<Path>) -> Result<Scores> {
        let path = path.as_ref();
        match &self.model {
            Component::Textcat(net) => {
                let task = TextClassification::new(self.labels.names());
                net.evaluate(self, &task, &LabelledText::read(path)?, path)
            }
            Component::Tagger(net) => {
                let task = Tagging::new(self.labels.names());
                net.evaluate(self, &task, &TaggedSentence::read(path)?, path)
            }
        }
    }

    /// Each token's id in its vocabulary.
    fn ids(&self, tokens: &[String]) -> Result<Vec<u32>> {
        data::ids(&self.vocab, tokens)
    }

    /// Each token's keys of the config's attributes.
    fn keys(&self, tokens: &[String]) -> Result<Keys> {
        data::keys_of(&self.config.model.attrs)(&self.vocab, tokens)
    }

    /// The config it was trained with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Its vocabulary.
    pub fn vocab(&self) -> &Vocab {
        &self.vocab
    }

    /// Its labels: the classes, or the tags.
    pub fn labels(&self) -> &Labels {
        &self.labels
    }
}

impl<Out: Probabilities + Batch> Net<Out> {
    /// The network of `config`'s text over ids, or over keys when the config names attributes.
    fn build(config: &Config, vocab: &Vocab, labels: &Labels) -> Result<Net<Out>> {
        let attrs = &config.model.attrs;
        let empty = [String::new()];
        Ok(match attrs.is_empty() {
            true => {
                let probe = Vec::pack([&data::ids(vocab, &empty)?]);
                Net::Ids(build(config, vocab, labels, probe)?)
            }
            false => {
                let probe = Keys::pack([&data::keys_of(attrs)(vocab, &empty)?]);
                Net::Keys(build(config, vocab, labels, probe)?)
            }
        })
    }

    /// Its weights, saved ([`Params::to_bytes`]).
    fn to_bytes(&self) -> Result<Vec<u8>> {
        match self {
            Net::Ids(model) => model.to_bytes(),
            Net::Keys(model) => model.to_bytes(),
        }
    }

    /// Loads its weights from the file at `path` ([`Params::from_disk`]).
    fn load(&mut self, path: &Path) -> Result<()> {
        match self {
            Net::Ids(model) => model.from_disk(path),
            Net::Keys(model) => model.from_disk(path),
        }
    }

    /// The outputs for texts of `tokens`, read as `pipeline` reads them.
    fn predict(&self, pipeline: &Pipeline, tokens: &[Vec<String>]) -> Result<Out> {
        Ok(match self {
            Net::Ids(model) => model.predict_parallel(packed(tokens, |t| pipeline.ids(t))?),
            Net::Keys(model) => model.predict_parallel(packed(tokens, |t| pipeline.keys(t))?),
        })
    }

    /// The scores of `task` on `examples` of the file at `path`.
    fn evaluate<E, T>(
        &self,
        pipeline: &Pipeline,
        task: &T,
        examples: &[E],
        path: &Path,
    ) -> Result<Scores>
    where
        E: Example,
        T: crate::training::Task<Truth = E::Truth, Out = Out>,
    {
        let labels = &pipeline.labels;
        match self {
            Net::Ids(model) => {
                let examples = data::encode(examples, labels, path, |t| pipeline.ids(t))?;
                evaluate(model, task, &examples)
            }
            Net::Keys(model) => {
                let examples = data::encode(examples, labels, path, |t| pipeline.keys(t))?;
                evaluate(model, task, &examples)
            }
        }
    }
}

/// The sequences `input` makes of each text's tokens, packed.
fn packed<S: Sequence>(
    tokens: &[Vec<String>],
    input: impl Fn(&[String]) -> Result<S>,
) -> Result<Ragged<S::Rows>> {
    let sequences = tokens
        .iter()
        .map(|t| input(t))
        .collect::<Result<Vec<_>>>()?;
    Ok(S::pack(&sequences))
}

/// The network of `config`'s text, sized by the rows of `vocab` and the number of `labels`: an
/// error when it outputs another number of probabilities than there are labels (a `softmax`
/// given its classes in the config, and data of other labels), which could train but never
/// name a prediction. `probe`, an input of one token, is what it predicts to tell.
fn build<Rows: Batch, Out: Probabilities>(
    config: &Config,
    vocab: &Vocab,
    labels: &Labels,
    probe: Ragged<Rows>,
) -> Result<Boxed<Ragged<Rows>, Out>> {
    let network = Network::parse(&config.model.network).map_err(|error| Error::Config {
        place: "model.network".into(),
        message: error.to_string(),
    })?;
    let model: Boxed<Ragged<Rows>, Out> =
        network.build(&DataSizes::given(Some(vocab.rows()), Some(labels.len())))?;
    let width = model.predict(probe).width();
    if width != labels.len() {
        return Err(Error::Config {
            place: "model.network".into(),
            message: format!(
                "the network outputs {width} probabilities, but the training data have {} \
                 labels: leave softmax's classes to the data",
                labels.len()
            ),
        });
    }
    Ok(model)
}

/// What a pipeline's network outputs: probabilities of each label, per text or per token.
pub(crate) trait Probabilities: Data {
    /// The number of probabilities in a row.
    fn width(&self) -> usize;
}

impl Probabilities for Floats2 {
    fn width(&self) -> usize {
        self.view().ncols()
    }
}

impl Probabilities for Ragged<Floats2> {
    fn width(&self) -> usize {
        self.data().view().ncols()
    }
}

/// Saves a pipeline of these parts as the folder `dir`, whole.
pub(crate) fn save(
    dir: &Path,
    config: &Config,
    vocab: &Vocab,
    labels: &Labels,
    weights: &[u8],
) -> Result<()> {
    let config = config.to_toml();
    let vocab = joined(vocab.tokens());
    let labels = joined(labels.names());
    let texts = [
        (CONFIG, config.as_bytes()),
        (VOCAB, vocab.as_bytes()),
        (LABELS, labels.as_bytes()),
    ];
    let meta = meta(&texts);
    let mut files = texts.to_vec();
    files.extend([(WEIGHTS, weights), (META, meta.as_bytes())]);
    write_folder(dir, &files, |dir| dir.join(META).is_file())
}

/// `items`, a line each.
fn joined<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> String {
    items.into_iter().fold(String::new(), |mut text, item| {
        text.push_str(item.as_ref());
        text.push('\n');
        text
    })
}

/// The lines of `text`, each ended by `\n`.
fn lines(text: &str) -> Vec<String> {
    text.split_terminator('\n').map(str::to_owned).collect()
}

/// `meta.json`: the version, and the CRC-32 of each text file.
fn meta(files: &[(&str, &[u8])]) -> String {
    let checksums: serde_json::Map<String, serde_json::Value> = (files.iter())
        .map(|(name, bytes)| {
            (
                name.to_string(),
                format!("{:08x}", crc32fast::hash(bytes)).into(),
            )
        })
        .collect();
    let meta = serde_json::json!({ "weft": env!("CARGO_PKG_VERSION"), "crc32": checksums });
    format!("{meta}\n")
}

/// Checks the text files against the checksums of `meta.json` at `path`.
fn check_meta(path: &Path, meta: &[u8], files: &[(&str, &Vec<u8>)]) -> Result<()> {
    let wrong = |message: String| Error::Config {
        place: path.display().to_string(),
        message,
    };
    let meta: serde_json::Value = serde_json::from_slice(meta)
        .map_err(|error| wrong(format!("not the meta.json of a weft pipeline: {error}")))?;
    for (name, bytes) in files {
        let stored = meta["crc32"][name].as_str().ok_or_else(|| {
            wrong(format!(
                "not the meta.json of a weft pipeline: no checksum of {name}"
            ))
        })?;
        let computed = format!("{:08x}", crc32fast::hash(bytes));
        if stored != computed {
            return Err(wrong(format!(
                "{name} was changed since the pipeline was saved: its CRC-32 is {computed}, \
                 the pipeline saved {stored}"
            )));
        }
    }
    Ok(())
}

/// `error`, found in the file `name` of the pipeline in `dir`, as an error naming it.
fn in_pipeline(dir: &Path, name: &str, error: Error) -> Error {
    let place = dir.join(name).display().to_string();
    match error {
        Error::Config { message, .. } => Error::Config { place, message },
        other => Error::Config {
            place,
            message: other.to_string(),
        },
    }
}

#[cfg(test)]
mod tests;
