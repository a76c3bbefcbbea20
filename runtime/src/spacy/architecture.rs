//! The architecture of a spaCy tagger, read from its pipeline's `config.cfg`: what weft builds
//! ([`Tok2VecArchitecture`], [`TaggerArchitecture`]) and the refusal of what it does not.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::config::SpacyConfig;
use crate::error::Result;
use crate::text::Attr;

/// The architectures weft builds, by the names spaCy's registry gives them.
const TAGGER: &str = "spacy.Tagger.v2";
const TOK2VEC: &str = "spacy.Tok2Vec.v2";
const LISTENER: &str = "spacy.Tok2VecListener.v1";
const EMBED: &str = "spacy.MultiHashEmbed.v2";
const ENCODE: &str = "spacy.MaxoutWindowEncoder.v2";

/// The seed of the first attribute's table: MultiHashEmbed.v2 gives attribute `i` the seed
/// `8 + i`.
pub(crate) const FIRST_SEED: usize = 8;

/// The pieces of the maxout that mixes the embeddings: MultiHashEmbed.v2 fixes it at 3.
pub(crate) const EMBED_PIECES: usize = 3;

/// A spaCy tok2vec of the architecture weft builds: `spacy.Tok2Vec.v2` of a
/// `spacy.MultiHashEmbed.v2` and a `spacy.MaxoutWindowEncoder.v2`.
///
/// The network maps each token to a vector of `width`: one hash embedding (`rows[i]` rows of
/// `width`, seed `8 + i`) of each of the `attrs`, and with static vectors the token's vector
/// projected to `width`, concatenated, then a maxout (3 pieces) back to `width` and a layer
/// norm; then `depth` residual layers of the window encoder, each a maxout (`pieces` pieces) of
/// the token's vector and its `window` neighbours on each side, then a layer norm.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tok2VecArchitecture {
    /// The embedded attributes, in order (`NORM`, `PREFIX`, `SUFFIX`, `SHAPE`, ...).
    pub attrs: Vec<Attr>,
    /// The rows of each attribute's table, in the order of `attrs`.
    pub rows: Vec<usize>,
    /// The width of the embeddings and of every token's vector.
    pub width: usize,
    /// The encoder's residual layers.
    pub depth: usize,
    /// The neighbours on each side that each encoder layer reads.
    pub window: usize,
    /// The encoder's maxout pieces.
    pub pieces: usize,
    /// The table of static vectors (`include_static_vectors = true`), read from this file or
    /// spaCy vocabulary folder ([`Vectors::read`](crate::text::Vectors::read)): the
    /// pipeline's `vocab/`. `None` without static vectors.
    pub vectors: Option<PathBuf>,
}

impl Tok2VecArchitecture {
    /// The attributes of the columns of the network's keys: `attrs`, then with static vectors
    /// [`Attr::Orth`], the key of each token's vector.
    pub fn key_attrs(&self) -> Vec<Attr> {
        let vectors = self.vectors.as_ref().map(|_| Attr::Orth);
        self.attrs.iter().copied().chain(vectors).collect()
    }
}

/// A spaCy tagger of the architecture weft builds: `spacy.Tagger.v2` over a
/// [`Tok2VecArchitecture`], its own or that of a tok2vec component it listens to
/// (`spacy.Tok2VecListener.v1`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaggerArchitecture {
    /// The tagger's component name in the pipeline (`tagger`): its folder.
    pub component: String,
    /// The tok2vec component the tagger listens to (its folder), or `None` when the tagger
    /// holds its tok2vec.
    pub listens_to: Option<String>,
    /// The tok2vec's architecture.
    pub tok2vec: Tok2VecArchitecture,
    /// Whether prediction gives probabilities (`normalize = true`) rather than the output
    /// layer's scores before the softmax (`false`, spaCy's default); the tags are the same.
    pub normalize: bool,
}

impl TaggerArchitecture {
    /// The architecture of the tagger of the pipeline whose `config.cfg` is at `path`: the
    /// first component of factory `tagger`. An error naming the file, the section and what is
    /// wrong when it has none, or one weft does not build (naming the architecture).
    ///
    /// ```
    /// use weft_runtime::spacy::TaggerArchitecture;
    /// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/spacy_tagger/listener/config.cfg");
    /// let tagger = TaggerArchitecture::read(path.as_ref())?;
    /// assert_eq!(tagger.listens_to.as_deref(), Some("tok2vec"));
    /// assert_eq!((tagger.tok2vec.width, tagger.tok2vec.depth), (16, 4));
    /// # Ok::<(), weft_runtime::Error>(())
    /// ```
    pub fn read(path: &Path) -> Result<TaggerArchitecture> {
        Self::of(&SpacyConfig::read(path)?)
    }

    /// The architecture of the tagger of `config`, as [`read`](Self::read).
    pub(crate) fn of(config: &SpacyConfig) -> Result<TaggerArchitecture> {
        let component = tagger_component(config)?;
        let model = format!("components.{component}.model");
        expect_architecture(config, &model, &[TAGGER])?;
        let normalize = match config.get(&model, "normalize")? {
            None => false,
            Some(Value::Bool(normalize)) => normalize,
            Some(other) => {
                return Err(config.error(format!("[{model}] normalize = {other}: not a boolean")));
            }
        };
        let inner = format!("{model}.tok2vec");
        let (listens_to, tok2vec) = match expect_architecture(config, &inner, &[TOK2VEC, LISTENER])?
        {
            LISTENER => {
                let upstream = listened_to(config, &inner)?;
                let tok2vec =
                    Tok2VecArchitecture::of(config, &format!("components.{upstream}.model"))?;
                let width = config.count(&inner, "width")?;
                if width != tok2vec.width {
                    return Err(config.error(format!(
                        "[{inner}] width = {width}, but the tok2vec `{upstream}` gives vectors of {}",
                        tok2vec.width
                    )));
                }
                (Some(upstream), tok2vec)
            }
            _ => (None, Tok2VecArchitecture::of(config, &inner)?),
        };
        Ok(TaggerArchitecture {
            component,
            listens_to,
            tok2vec,
            normalize,
        })
    }
}

impl Tok2VecArchitecture {
    /// The tok2vec of the section `model` (a `spacy.Tok2Vec.v2`, with `embed` and `encode`).
    fn of(config: &SpacyConfig, model: &str) -> Result<Tok2VecArchitecture> {
        expect_architecture(config, model, &[TOK2VEC])?;
        let (embed, encode) = (format!("{model}.embed"), format!("{model}.encode"));
        expect_architecture(config, &embed, &[EMBED])?;
        expect_architecture(config, &encode, &[ENCODE])?;
        let vectors = match config.get(&embed, "include_static_vectors")? {
            Some(Value::Bool(true)) => Some(config.folder().join("vocab")),
            None | Some(Value::Bool(false)) => None,
            Some(other) => {
                let message = format!("[{embed}] include_static_vectors = {other}: not a boolean");
                return Err(config.error(message));
            }
        };
        let attrs = strings(config, &embed, "attrs")?
            .iter()
            .map(|name| {
                let attr = Attr::ALL.into_iter().find(|attr| attr.name() == name);
                attr.ok_or_else(|| {
                    let known: Vec<&str> = Attr::ALL.iter().map(|a| a.name()).collect();
                    config.error(format!(
                        "[{embed}] attrs: the attribute {name} is not supported (weft embeds {})",
                        known.join(", ")
                    ))
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let rows = counts(config, &embed, "rows")?;
        if rows.len() != attrs.len() || attrs.is_empty() {
            return Err(config.error(format!(
                "[{embed}] {} attrs and {} rows: one table of rows per attribute expected",
                attrs.len(),
                rows.len()
            )));
        }
        let width = config.count(&encode, "width")?;
        let embed_width = config.count(&embed, "width")?;
        if embed_width != width {
            return Err(config.error(format!(
                "[{embed}] width = {embed_width}, but [{encode}] width = {width}: the encoder takes the embeddings as they are"
            )));
        }
        Ok(Tok2VecArchitecture {
            attrs,
            rows,
            width,
            depth: config.count(&encode, "depth")?,
            window: config.count(&encode, "window_size")?,
            pieces: config.count(&encode, "maxout_pieces")?,
            vectors,
        })
    }
}

/// The name of the first component of factory `tagger`, in the order of `[nlp] pipeline`.
fn tagger_component(config: &SpacyConfig) -> Result<String> {
    let pipeline = strings(config, "nlp", "pipeline")?;
    for name in &pipeline {
        if config.get(&format!("components.{name}"), "factory")? == Some(Value::from("tagger")) {
            return Ok(name.clone());
        }
    }
    Err(config.error(format!(
        "no component of factory `tagger` in the pipeline [{}]",
        pipeline.join(", ")
    )))
}

/// The tok2vec component a listener's section names: its `upstream`, or with `*` the one
/// component of factory `tok2vec`.
fn listened_to(config: &SpacyConfig, listener: &str) -> Result<String> {
    let upstream = config.string(listener, "upstream")?;
    let pipeline = strings(config, "nlp", "pipeline")?;
    let mut tok2vecs = Vec::new();
    for name in pipeline {
        if config.get(&format!("components.{name}"), "factory")? == Some(Value::from("tok2vec")) {
            tok2vecs.push(name);
        }
    }
    let found: Vec<String> = match upstream.as_str() {
        "*" => tok2vecs,
        name => tok2vecs.into_iter().filter(|t| t == name).collect(),
    };
    match <[String; 1]>::try_from(found) {
        Ok([name]) => Ok(name),
        Err(found) => Err(config.error(format!(
            "[{listener}] upstream = \"{upstream}\" names {} components of factory `tok2vec` in the pipeline, not one",
            found.len()
        ))),
    }
}

/// The section's `@architectures`, one of `allowed`; an error naming it otherwise.
fn expect_architecture(
    config: &SpacyConfig,
    section: &str,
    allowed: &[&'static str],
) -> Result<&'static str> {
    if !config.has_section(section) {
        return Err(config.error(format!("no section [{section}]")));
    }
    let name = config.string(section, "@architectures")?;
    allowed.iter().copied().find(|a| *a == name).ok_or_else(|| {
        config.error(format!(
            "[{section}]: the architecture {name} is not supported (weft builds {})",
            allowed.join(" or ")
        ))
    })
}

/// A list of strings.
fn strings(config: &SpacyConfig, section: &str, key: &str) -> Result<Vec<String>> {
    let value = config.require(section, key)?;
    let items = value.as_array().and_then(|items| {
        items
            .iter()
            .map(|item| item.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
    });
    items.ok_or_else(|| {
        config.error(format!(
            "[{section}] {key} = {value}: not a list of strings"
        ))
    })
}

/// A list of counts.
fn counts(config: &SpacyConfig, section: &str, key: &str) -> Result<Vec<usize>> {
    let value = config.require(section, key)?;
    let items = value.as_array().and_then(|items| {
        items
            .iter()
            .map(|item| item.as_u64().and_then(|n| usize::try_from(n).ok()))
            .collect::<Option<Vec<_>>>()
    });
    items.ok_or_else(|| config.error(format!("[{section}] {key} = {value}: not a list of counts")))
}
