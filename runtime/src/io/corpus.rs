//! Reading labelled text, and turning tokens and labels into ids.
//!
//! Two plain-text formats, both UTF-8:
//! - **texts** ([`read_texts`]): `label<TAB>token token token`, one text per line, tokens
//!   separated by single spaces; blank lines are skipped.
//! - **tagged tokens** ([`read_tagged`]): `token<TAB>tag`, one token per line, a blank line
//!   after each sentence (CoNLL-style).
//!
//! A malformed line is an [`Error::Parse`] naming the file and the line.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use crate::error::{Error, Result};

/// One labelled text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabelledText {
    /// The text's class.
    pub label: String,
    /// Its tokens.
    pub tokens: Vec<String>,
}

/// One sentence of tagged tokens.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TaggedSentence {
    /// The tokens.
    pub tokens: Vec<String>,
    /// One tag per token.
    pub tags: Vec<String>,
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_owned(),
        source,
    })
}

fn parse_error(path: &Path, line: usize, message: impl Into<String>) -> Error {
    Error::Parse {
        path: path.to_owned(),
        line,
        message: message.into(),
    }
}

/// Reads `label<TAB>tokens` lines.
///
/// ```
/// let dir = std::env::temp_dir().join("weft-doc-read-texts");
/// std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("texts.tsv");
/// std::fs::write(&path, "fresh\ta fine film .\n\nrotten\tdull\n").unwrap();
/// let texts = weft_runtime::corpus::read_texts(&path).unwrap();
/// assert_eq!(texts[0].tokens, ["a", "fine", "film", "."]);
/// std::fs::write(&path, "fresh\tgood\nno tab here\n").unwrap();
/// let err = weft_runtime::corpus::read_texts(&path).unwrap_err().to_string();
/// assert!(err.ends_with("texts.tsv:2: expected `label<TAB>tokens`, found no tab"), "{err}");
/// ```
pub fn read_texts(path: impl AsRef<Path>) -> Result<Vec<LabelledText>> {
    let path = path.as_ref();
    let mut texts = Vec::new();
    for (i, line) in read(path)?.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let Some((label, text)) = line.split_once('\t') else {
            return Err(parse_error(
                path,
                i + 1,
                "expected `label<TAB>tokens`, found no tab",
            ));
        };
        if label.is_empty() {
            return Err(parse_error(
                path,
                i + 1,
                "the label before the tab is empty",
            ));
        }
        let tokens: Vec<String> = text
            .split(' ')
            .filter(|t| !t.is_empty())
            .map(String::from)
            .collect();
        if tokens.is_empty() {
            return Err(parse_error(
                path,
                i + 1,
                "the text after the tab has no tokens",
            ));
        }
        texts.push(LabelledText {
            label: label.to_owned(),
            tokens,
        });
    }
    Ok(texts)
}

/// Reads `token<TAB>tag` lines, sentences separated by blank lines.
///
/// ```
/// let dir = std::env::temp_dir().join("weft-doc-read-tagged");
/// std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("tags.conll");
/// std::fs::write(&path, "Ali\tNOUN\ngeldi\tVERB\n\nEvet\tADV\n").unwrap();
/// let sentences = weft_runtime::corpus::read_tagged(&path).unwrap();
/// assert_eq!(sentences.len(), 2);
/// assert_eq!(sentences[0].tags, ["NOUN", "VERB"]);
/// ```
pub fn read_tagged(path: impl AsRef<Path>) -> Result<Vec<TaggedSentence>> {
    let path = path.as_ref();
    let mut sentences = Vec::new();
    let mut current = TaggedSentence::default();
    for (i, line) in read(path)?.lines().enumerate() {
        if line.trim().is_empty() {
            if !current.tokens.is_empty() {
                sentences.push(std::mem::take(&mut current));
            }
            continue;
        }
        let mut fields = line.split('\t');
        let (Some(token), Some(tag), None) = (fields.next(), fields.next(), fields.next()) else {
            return Err(parse_error(
                path,
                i + 1,
                format!(
                    "expected `token<TAB>tag`, found {} fields",
                    line.split('\t').count()
                ),
            ));
        };
        if token.is_empty() || tag.is_empty() {
            return Err(parse_error(path, i + 1, "empty token or tag"));
        }
        current.tokens.push(token.to_owned());
        current.tags.push(tag.to_owned());
    }
    if !current.tokens.is_empty() {
        sentences.push(current);
    }
    Ok(sentences)
}

/// Token ids: row 0 for unknown tokens, known tokens from 1 by descending frequency, ties in
/// alphabetical order (the same ids on every run).
///
/// ```
/// use weft_runtime::corpus::Vocab;
/// let vocab = Vocab::from_tokens(["b", "a", "b", "c"]);
/// assert_eq!(vocab.id("b"), 1);
/// assert_eq!(vocab.id("a"), 2);
/// assert_eq!(vocab.id("zebra"), 0);
/// assert_eq!(vocab.rows(), 4);
/// ```
#[derive(Clone, Debug, Default)]
pub struct Vocab {
    ids: HashMap<String, u32>,
}

impl Vocab {
    /// The vocabulary of `tokens`.
    pub fn from_tokens<S: AsRef<str>>(tokens: impl IntoIterator<Item = S>) -> Self {
        let mut counts: HashMap<String, usize> = HashMap::new();
        for token in tokens {
            *counts.entry(token.as_ref().to_owned()).or_default() += 1;
        }
        let mut words: Vec<(String, usize)> = counts.into_iter().collect();
        words.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let ids = words
            .into_iter()
            .enumerate()
            .map(|(i, (word, _))| (word, i as u32 + 1))
            .collect();
        Vocab { ids }
    }

    /// The id of `token`: 0 when unknown.
    pub fn id(&self, token: &str) -> u32 {
        self.ids.get(token).copied().unwrap_or(0)
    }

    /// The ids of `tokens`.
    pub fn encode<S: AsRef<str>>(&self, tokens: &[S]) -> Vec<u32> {
        tokens.iter().map(|t| self.id(t.as_ref())).collect()
    }

    /// Rows an embedding table needs: the known tokens plus the unknown row.
    pub fn rows(&self) -> usize {
        self.ids.len() + 1
    }
}

/// Class names and their indices, in sorted order.
///
/// ```
/// use weft_runtime::corpus::Labels;
/// let labels = Labels::from_names(["rotten", "fresh", "rotten"]);
/// assert_eq!(labels.names(), ["fresh", "rotten"]);
/// assert_eq!(labels.index("rotten"), Some(1));
/// assert_eq!(labels.index("meh"), None);
/// ```
#[derive(Clone, Debug, Default)]
pub struct Labels {
    names: Vec<String>,
}

impl Labels {
    /// The distinct names, sorted.
    pub fn from_names<S: AsRef<str>>(names: impl IntoIterator<Item = S>) -> Self {
        let set: BTreeSet<String> = names.into_iter().map(|n| n.as_ref().to_owned()).collect();
        Labels {
            names: set.into_iter().collect(),
        }
    }

    /// The index of `name`, if it is one of the labels.
    pub fn index(&self, name: &str) -> Option<usize> {
        self.names.binary_search_by(|n| n.as_str().cmp(name)).ok()
    }

    /// The names, in index order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Number of labels.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// True when there are no labels.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(name: &str, text: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("weft-corpus-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn malformed_lines_name_file_and_line() {
        let path = write("a.tsv", "x\tgood\n\tno label\n");
        let err = read_texts(&path).unwrap_err().to_string();
        assert!(
            err.ends_with("a.tsv:2: the label before the tab is empty"),
            "{err}"
        );
        let path = write("b.tsv", "x\tgood\ny\t \n");
        let err = read_texts(&path).unwrap_err().to_string();
        assert!(
            err.ends_with("b.tsv:2: the text after the tab has no tokens"),
            "{err}"
        );
        let path = write("c.conll", "a\tX\n\nb\tY\textra\n");
        let err = read_tagged(&path).unwrap_err().to_string();
        assert!(
            err.ends_with("c.conll:3: expected `token<TAB>tag`, found 3 fields"),
            "{err}"
        );
        let err = read_texts(write("d", "").with_extension("missing")).unwrap_err();
        assert!(matches!(err, Error::Io { .. }));
    }
}
