//! [`Corpus`]: the examples of a task as read from its files. `Example` is what the texts
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
fn vocab_and_labels<E: Example>(train: &[E]) -> (Vocab, Labels) {
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

/// A task's data files read as ids: the vocabulary and the labels of the training file, and
/// every file's examples as ids of them. A label of dev or test that the training file lacks is
/// an error at its line.
///
/// ```
/// use weft_runtime::pipeline::Corpus;
/// let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/data");
/// let train = data.join("rt_polarity.train.tsv");
/// let corpus = Corpus::texts(&train, &data.join("rt_polarity.dev.tsv"), None)?;
/// assert_eq!(corpus.labels.names(), ["fresh", "rotten"]);
/// assert_eq!(corpus.train.len(), 10201);
/// assert!(Corpus::tagged(&train, &train, None).is_err()); // texts are no tagged tokens
/// # Ok::<(), weft_runtime::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Corpus<T> {
    /// The token ids of the training file's tokens.
    pub vocab: Vocab,
    /// The training file's classes, or tags.
    pub labels: Labels,
    /// The training examples.
    pub train: Examples<T>,
    /// The dev examples.
    pub dev: Examples<T>,
    /// The test examples, when there is a test file.
    pub test: Option<Examples<T>>,
}

impl Corpus<usize> {
    /// Texts (`label<TAB>tokens`, [`read_texts`]) of a text classifier.
    pub fn texts(train: &Path, dev: &Path, test: Option<&Path>) -> Result<Self> {
        Corpus::read::<LabelledText>(train, dev, test)
    }
}

impl Corpus<Vec<usize>> {
    /// Tagged sentences (`token<TAB>tag`, [`read_tagged`]) of a tagger.
    pub fn tagged(train: &Path, dev: &Path, test: Option<&Path>) -> Result<Self> {
        Corpus::read::<TaggedSentence>(train, dev, test)
    }
}

impl<T: Clone> Corpus<T> {
    /// The files read as examples `E`.
    pub(crate) fn read<E: Example<Truth = T>>(
        train: &Path,
        dev: &Path,
        test: Option<&Path>,
    ) -> Result<Self> {
        let train_examples = E::read(train)?;
        let (vocab, labels) = vocab_and_labels(&train_examples);
        let encoded = |path: &Path| encode(&E::read(path)?, &vocab, &labels, path);
        let train = encode(&train_examples, &vocab, &labels, train)?;
        let dev = encoded(dev)?;
        let test = test.map(encoded).transpose()?;
        Ok(Corpus {
            vocab,
            labels,
            train,
            dev,
            test,
        })
    }
}
