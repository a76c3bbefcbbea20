//! [`Corpus`]: the examples of a task as read from its files. `Example` is what the texts
//! (`tsv`) and the tagged sentences (`conll`) share, so that reading, the vocabulary, the labels
//! and the ids are written once for both.

use std::path::Path;

use crate::corpus::{LabelledText, Labels, TaggedSentence, Vocab, read_tagged, read_texts};
use crate::data::Keys;
use crate::error::Result;
use crate::text::{Attr, Token};
use crate::training::{Examples, Sequence};

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

/// `examples`, read from `path`, with inputs by `input` of their tokens and truths of `labels`.
pub(crate) fn encode<E: Example, S: Sequence>(
    examples: &[E],
    labels: &Labels,
    path: &Path,
    input: impl Fn(&[String]) -> Result<S>,
) -> Result<Examples<E::Truth, S>> {
    let truths = (examples.iter())
        .map(|e| e.truth(labels, path))
        .collect::<Result<_>>()?;
    let inputs = examples
        .iter()
        .map(|e| input(e.tokens()))
        .collect::<Result<_>>()?;
    Examples::new(inputs, truths)
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
pub struct Corpus<T, S = Vec<u32>> {
    /// The token ids of the training file's tokens.
    pub vocab: Vocab,
    /// The training file's classes, or tags.
    pub labels: Labels,
    /// The training examples.
    pub train: Examples<T, S>,
    /// The dev examples.
    pub dev: Examples<T, S>,
    /// The test examples, when there is a test file.
    pub test: Option<Examples<T, S>>,
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

impl Corpus<usize, Keys> {
    /// Texts (`label<TAB>tokens`, [`read_texts`]) of a text classifier that reads token
    /// attributes: each text a row of keys per token, the keys of `attrs` ([`Attr::table`]),
    /// with a space after each token but the last (spaCy's `Doc` of the words). An error when
    /// `attrs` is empty.
    pub fn texts_keys(
        train: &Path,
        dev: &Path,
        test: Option<&Path>,
        attrs: &[Attr],
    ) -> Result<Self> {
        Corpus::read_with::<LabelledText>(train, dev, test, keys_of(attrs))
    }
}

impl Corpus<Vec<usize>, Keys> {
    /// Tagged sentences (`token<TAB>tag`, [`read_tagged`]) of a tagger that reads token
    /// attributes, as [`Corpus::texts_keys`] reads texts.
    ///
    /// ```
    /// use weft_runtime::pipeline::Corpus;
    /// use weft_runtime::text::Attr;
    /// let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/data");
    /// let (train, dev) = (data.join("twt_upos.train.conll"), data.join("twt_upos.dev.conll"));
    /// let corpus = Corpus::tagged_keys(&train, &dev, None, &[Attr::Norm, Attr::Shape])?;
    /// assert_eq!(corpus.dev.sequences()[0].columns(), 2);
    /// assert!(Corpus::tagged_keys(&train, &dev, None, &[]).is_err());
    /// # Ok::<(), weft_runtime::Error>(())
    /// ```
    pub fn tagged_keys(
        train: &Path,
        dev: &Path,
        test: Option<&Path>,
        attrs: &[Attr],
    ) -> Result<Self> {
        Corpus::read_with::<TaggedSentence>(train, dev, test, keys_of(attrs))
    }
}

/// Each token its id in `vocab` (0 when unknown).
pub(crate) fn ids(vocab: &Vocab, tokens: &[String]) -> Result<Vec<u32>> {
    Ok(vocab.encode(tokens))
}

/// The keys of `attrs` of tokens given as words, with a space after each but the last.
pub(crate) fn keys_of(attrs: &[Attr]) -> impl Fn(&Vocab, &[String]) -> Result<Keys> + '_ {
    |_, words| {
        let tokens: Vec<Token> = (words.iter().enumerate())
            .map(|(i, text)| Token {
                text,
                space_after: i + 1 < words.len(),
            })
            .collect();
        Attr::table(attrs, &tokens)
    }
}

impl<T: Clone> Corpus<T> {
    /// The files read as examples `E`, as token ids.
    pub(crate) fn read<E: Example<Truth = T>>(
        train: &Path,
        dev: &Path,
        test: Option<&Path>,
    ) -> Result<Self> {
        Corpus::read_with::<E>(train, dev, test, ids)
    }
}

impl<T: Clone, S: Sequence> Corpus<T, S> {
    /// The files read as examples `E`, with inputs by `input` of the training vocabulary and
    /// their tokens.
    pub(crate) fn read_with<E: Example<Truth = T>>(
        train: &Path,
        dev: &Path,
        test: Option<&Path>,
        input: impl Fn(&Vocab, &[String]) -> Result<S>,
    ) -> Result<Self> {
        let train_examples = E::read(train)?;
        let (vocab, labels) = vocab_and_labels(&train_examples);
        let input = |tokens: &[String]| input(&vocab, tokens);
        let encoded = |path: &Path| encode(&E::read(path)?, &labels, path, input);
        let train = encode(&train_examples, &labels, train, input)?;
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
