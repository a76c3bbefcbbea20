//! [`Tagger`]: a trained spaCy pipeline's tagger, loaded into weft's network of the same
//! architecture.

use std::path::{Path, PathBuf};

use ndarray::Array2;

use super::architecture::TaggerArchitecture;
use super::lookups::Norms;
use super::network::Output;
use super::thinc_model::ThincModel;
use super::weights::{copy_weights, model_params, tagger_weights, weights_of};
use crate::data::{Floats2, Keys, Ragged};
use crate::error::{Error, Result};
use crate::io::Network;
use crate::model::{Boxed, DataSizes, Model};
use crate::text::{Attr, Token, string_id};

/// The network of a [`Tagger`]: a table of keys (a row per token, a column per attribute) of
/// a batch of sentences to a row of scores per token.
pub type TaggerModel = Boxed<Ragged<Keys>, Ragged<Floats2>>;

/// A spaCy pipeline's tagger (its `tok2vec` and `tagger`), loaded into weft.
///
/// ```no_run
/// use weft_runtime::spacy::Tagger;
/// use weft_runtime::text::Token;
/// let tagger = Tagger::load("en_core_web_sm-3.8.0")?;
/// let words = ["I", "like", "green", "eggs", "."];
/// let tokens: Vec<Token> = words
///     .iter()
///     .enumerate()
///     .map(|(i, text)| Token { text, space_after: i + 2 < words.len() })
///     .collect();
/// let tagged = tagger.tag(&[&tokens])?;
/// assert_eq!(tagged[0].tags, ["PRP", "VBP", "JJ", "NNS", "."]);
/// # Ok::<(), weft_runtime::Error>(())
/// ```
pub struct Tagger {
    architecture: TaggerArchitecture,
    labels: Vec<String>,
    norms: Norms,
    model: TaggerModel,
}

/// The tags of one sentence.
#[derive(Clone, Debug, PartialEq)]
pub struct TaggedSentence<'t> {
    /// Each token's tag: the label of its highest score.
    pub tags: Vec<&'t str>,
    /// The scores, `(tokens, labels)`, columns in the order of [`Tagger::labels`]: what
    /// spaCy's `tagger.model.predict` gives (the scores before the softmax, or with
    /// `normalize = true` the probabilities).
    pub scores: Array2<f32>,
}

impl Tagger {
    /// Loads the tagger of the spaCy pipeline in the folder `dir` (as `nlp.to_disk` writes
    /// it): the architecture from `config.cfg` (the first component of factory `tagger`, a
    /// `spacy.Tagger.v2` over a `spacy.Tok2Vec.v2` of its own or of the tok2vec component it
    /// listens to), the labels from `<tagger>/cfg`, the weights from `<tagger>/model` and
    /// `<tok2vec>/model`, and the norms of `vocab/lookups.bin` when there is one.
    ///
    /// An error names the file and what is wrong: a missing file, a malformed one, an
    /// architecture weft does not build (naming it), a parameter of another shape than the
    /// config says.
    pub fn load(dir: impl AsRef<Path>) -> Result<Tagger> {
        let dir = dir.as_ref();
        let architecture = TaggerArchitecture::read(&dir.join("config.cfg"))?;
        let component = dir.join(&architecture.component);
        let labels = read_labels(&component.join("cfg"))?;
        let tagger = ThincModel::read(&component.join("model"))?;
        let tok2vec = match &architecture.listens_to {
            Some(upstream) => &ThincModel::read(&dir.join(upstream).join("model"))?,
            None => &tagger,
        };
        let lookups = dir.join("vocab").join("lookups.bin");
        let norms = match lookups.exists() {
            true => Norms::read(&lookups)?,
            false => Norms::default(),
        };
        let output = match architecture.normalize {
            true => Output::Probabilities,
            false => Output::Scores,
        };
        let weights = tagger_weights(&architecture, tok2vec, &tagger, labels.len())?;
        let mut model = build(&architecture, labels.len(), output)?;
        copy_weights(&mut model, &weights)?;
        Ok(Tagger {
            architecture,
            labels,
            norms,
            model,
        })
    }

    /// The architecture read from the pipeline's config.
    pub fn architecture(&self) -> &TaggerArchitecture {
        &self.architecture
    }

    /// The labels (tags), in the order of the scores' columns.
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// The table of norms the pipeline's vocabulary consults (empty when it has none).
    pub fn norms(&self) -> &Norms {
        &self.norms
    }

    /// The network: [`keys`](Self::keys) to scores, as [`tag`](Self::tag) gives them.
    pub fn model(&self) -> &TaggerModel {
        &self.model
    }

    /// The network ending in `softmax`, the weights copied: what spaCy trains (`Tagger.v2`
    /// normalizes in training, whatever `normalize` says), to train on in weft with
    /// [`CategoricalCrossentropy`](crate::losses::CategoricalCrossentropy) and the
    /// [`keys`](Self::keys) of the sentences.
    pub fn training_model(&self) -> Result<TaggerModel> {
        let mut model = build(&self.architecture, self.labels.len(), Output::Probabilities)?;
        copy_weights(&mut model, &weights_of(&model_params(&self.model)))?;
        Ok(model)
    }

    /// The network's input for a batch of sentences: the keys of every token (the sentences'
    /// tokens one after another), a column per attribute of the tok2vec
    /// ([`key_attrs`](super::Tok2VecArchitecture::key_attrs)), as spaCy's
    /// `FeatureExtractor` gives them with the pipeline's vocabulary (its norms).
    pub fn keys(&self, sentences: &[&[Token<'_>]]) -> Result<Ragged<Keys>> {
        let attrs = &self.architecture.tok2vec.key_attrs();
        let tokens = sentences.iter().flat_map(|sentence| sentence.iter());
        let keys = tokens
            .flat_map(|&token| {
                attrs.iter().map(move |&attr| match attr {
                    Attr::Norm => string_id(&self.norms.norm(token.text)),
                    attr => attr.key(token),
                })
            })
            .collect();
        let lengths = sentences.iter().map(|sentence| sentence.len()).collect();
        Ragged::new(Keys::table(attrs.len(), keys)?, lengths)
    }

    /// Tags a batch of sentences: for each, every token's tag and scores. An error when the
    /// network gives a token scores that name no tag (NaN).
    pub fn tag<'t>(&'t self, sentences: &[&[Token<'_>]]) -> Result<Vec<TaggedSentence<'t>>> {
        let scores = self.model.predict(self.keys(sentences)?);
        let (scores, lengths) = scores.into_parts();
        let tags = scores.argmax()?;
        let scores = scores.into_array();
        let mut start = 0;
        let tagged = lengths
            .iter()
            .map(|&length| {
                let range = start..start + length;
                start += length;
                // The network has a class per label.
                let tags = tags[range.clone()].iter();
                TaggedSentence {
                    tags: tags.map(|&tag| self.labels[tag].as_str()).collect(),
                    scores: scores.slice(ndarray::s![range, ..]).to_owned(),
                }
            })
            .collect();
        Ok(tagged)
    }
}

/// The tagger's network of `classes` classes.
fn build(architecture: &TaggerArchitecture, classes: usize, output: Output) -> Result<TaggerModel> {
    let network = Network::parse(&architecture.network(classes, output))?;
    network.build(&DataSizes::given(None, Some(classes)))
}

/// The labels of a tagger's `cfg` (JSON, its `labels`: a list of strings).
fn read_labels(path: &Path) -> Result<Vec<String>> {
    let error = |message: String| Error::Spacy {
        path: PathBuf::from(path),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let cfg: serde_json::Value =
        serde_json::from_str(&text).map_err(|err| error(format!("not JSON: {err}")))?;
    let labels = cfg.get("labels").and_then(|labels| {
        labels
            .as_array()?
            .iter()
            .map(|label| label.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
    });
    match labels {
        Some(labels) if !labels.is_empty() => Ok(labels),
        _ => Err(error("no `labels`, a list of the tags".into())),
    }
}
