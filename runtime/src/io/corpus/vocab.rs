//! Tokens and labels as ids: a [`Vocab`] of the training tokens, the [`Labels`] of the training
//! examples.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use super::parse_error;
use crate::error::{Error, Result, listed};

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

    /// The vocabulary whose token `i` (from 0) has id `i + 1`, as [`tokens`](Self::tokens)
    /// lists them: an error naming a token listed twice.
    ///
    /// ```
    /// use weft_runtime::corpus::Vocab;
    /// let vocab = Vocab::from_tokens(["b", "a", "b", "c"]);
    /// let listed = Vocab::from_list(vocab.tokens().into_iter().map(String::from))?;
    /// assert_eq!(listed.tokens(), ["b", "a", "c"]);
    /// assert!(Vocab::from_list(["a".to_string(), "a".to_string()]).is_err());
    /// # Ok::<(), weft_runtime::Error>(())
    /// ```
    pub fn from_list(tokens: impl IntoIterator<Item = String>) -> Result<Self> {
        let mut ids = HashMap::new();
        for (i, token) in tokens.into_iter().enumerate() {
            let id = u32::try_from(i + 1).map_err(|_| {
                Error::out_of_range("a vocabulary's size", "below 2^32 tokens", i + 1)
            })?;
            if let Some(first) = ids.insert(token.clone(), id) {
                return Err(Error::out_of_range(
                    "a vocabulary's tokens",
                    "each listed once",
                    format!("`{token}` as ids {first} and {id}"),
                ));
            }
        }
        Ok(Vocab { ids })
    }

    /// The known tokens in id order (id 1 first).
    pub fn tokens(&self) -> Vec<&str> {
        let mut tokens = vec![""; self.ids.len()];
        for (token, &id) in &self.ids {
            tokens[id as usize - 1] = token;
        }
        tokens
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

    /// The labels `names`, in this order, which must be sorted, each once (as
    /// [`names`](Self::names) lists them): an error naming the first out of order.
    pub fn from_list(names: impl IntoIterator<Item = String>) -> Result<Self> {
        let names: Vec<String> = names.into_iter().collect();
        if let Some(pair) = names.windows(2).find(|pair| pair[0] >= pair[1]) {
            return Err(Error::out_of_range(
                "labels",
                "sorted, each once",
                format!("`{}` before `{}`", pair[0], pair[1]),
            ));
        }
        Ok(Labels { names })
    }

    /// The index of `name`, if it is one of the labels.
    pub fn index(&self, name: &str) -> Option<usize> {
        self.names.binary_search_by(|n| n.as_str().cmp(name)).ok()
    }

    /// The index of `name`, read at line `line` of `path`: an error naming the place, how many
    /// labels there are and the first ten of them when it is none of them (a dev label the
    /// training data lacks, say).
    ///
    /// ```
    /// use weft_runtime::corpus::Labels;
    /// let labels = Labels::from_names(["fresh", "rotten"]);
    /// assert_eq!(labels.index_at("rotten", "dev.tsv".as_ref(), 3).unwrap(), 1);
    /// let err = labels.index_at("meh", "dev.tsv".as_ref(), 7).unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "dev.tsv:7: `meh` is not one of the 2 training labels: fresh, rotten"
    /// );
    /// ```
    pub fn index_at(&self, name: &str, path: &Path, line: usize) -> Result<usize> {
        self.index(name).ok_or_else(|| {
            let (count, names) = (self.names.len(), listed(&self.names));
            let message = format!("`{name}` is not one of the {count} training labels: {names}");
            parse_error(path, line, message)
        })
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
