//! The examples of a pipeline's task as read from its files: [`Example`] is what the texts
//! (`tsv`) and the tagged sentences (`conll`) share, so that reading, the vocabulary, the labels
//! and the ids are written once for both.

use std::path::Path;

use crate::corpus::{LabelledText, Labels, TaggedSentence, Vocab, read_tagged, read_texts};
use crate::error::Result;
use crate::training::Examples;

/// An example of a data file: its tokens, and its label or its tags.
pub(crate) trait Example: Sized {
    /// What the task predicts of it: a class, or a tag per token.
    type Truth: Clone + Send + Sync;

    /// The examples of the file at `path`.
    fn read(path: &Path) -> Result<Vec<Self>>;

    /// Its tokens.
    fn tokens(&self) -> &[String];

    /// Its label, or its tags.
    fn names(&self) -> impl Iterator<Item = &str>;

    /// Its truth, as indices of `labels`: an error at its line when a name is none of them.
    fn truth(&self, labels: &Labels, path: &Path) -> Result<Self::Truth>;
}

impl Example for LabelledText {
    type Truth = usize;

    fn read(path: &Path) -> Result<Vec<Self>> {
        read_texts(path)
    }

    fn tokens(&self) -> &[String] {
        &self.tokens
    }

    fn names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.label.as_str())
    }

    fn truth(&self, labels: &Labels, path: &Path) -> Result<usize> {
        labels.index_at(&self.label, path, self.line)
    }
}

impl Example for TaggedSentence {
    type Truth = Vec<usize>;

    fn read(path: &Path) -> Result<Vec<Self>> {
        read_tagged(path)
    }

    fn tokens(&self) -> &[String] {
        &self.tokens
    }

    fn names(&self) -> impl Iterator<Item = &str> {
        self.tags.iter().map(String::as_str)
    }

    fn truth(&self, labels: &Labels, path: &Path) -> Result<Vec<usize>> {
        let lines = self.line..;
        (self.tags.iter().zip(lines))
            .map(|(tag, line)| labels.index_at(tag, path, line))
            .collect()
    }
}

/// The vocabulary and the labels of training examples.
pub(crate) fn vocab_and_labels<E: Example>(train: &[E]) -> (Vocab, Labels) {
    let vocab = Vocab::from_tokens(train.iter().flat_map(|e| e.tokens()));
    let labels = Labels::from_names(train.iter().flat_map(|e| e.names()));
    (vocab, labels)
}

/// `examples`, read from `path`, as ids of `vocab` with truths of `labels`.
pub(crate) fn encode<E: Example>(
    examples: &[E],
    vocab: &Vocab,
    labels: &Labels,
    path: &Path,
) -> Result<Examples<E::Truth>> {
    let truths = (examples.iter())
        .map(|e| e.truth(labels, path))
        .collect::<Result<_>>()?;
    let ids = examples.iter().map(|e| vocab.encode(e.tokens())).collect();
    Examples::new(ids, truths)
}
