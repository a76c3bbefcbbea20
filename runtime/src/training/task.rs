//! [`Task`]: what a network is trained to do, as the training loop needs to know it: the truth
//! of an example, the loss of an output, and the classes an output predicts.
//!
//! - [`TextClassification`]: a class per text; the network outputs one row of class
//!   probabilities per text (`Floats2`).
//! - [`Tagging`]: a tag per token; the network outputs a row of tag probabilities per token
//!   (`Ragged<Floats2>`).

use std::marker::PhantomData;

use crate::data::{Data, Dim, Floats2, Grad, Ragged};
use crate::error::Result;
use crate::training::losses::{CategoricalCrossentropy, SequenceCategoricalCrossentropy};

/// What a network is trained to do.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a training task",
    label = "not a task",
    note = "`TextClassification` (a class per text) and `Tagging` (a tag per token) are tasks; or implement `weft::training::Task`"
)]
pub trait Task: Sync {
    /// What the network outputs.
    type Out: Data;
    /// The truth of one example.
    type Truth: Clone + Send + Sync;

    /// The names of the classes (or tags), by index.
    fn labels(&self) -> &[String];

    /// The gradient of `out` and the mean loss, for the truths of its examples.
    fn loss(&self, out: &Self::Out, truths: &[Self::Truth]) -> Result<(Grad<Self::Out>, f32)>;

    /// The classes `out` predicts, in the order of [`classes`](Self::classes) over its
    /// examples: an error when a score is not finite.
    fn predict(&self, out: &Self::Out) -> Result<Vec<usize>>;

    /// The classes of one example's truth: one for a text, one per token for a sentence.
    fn classes(truth: &Self::Truth) -> &[usize];
}

/// A class per text, from a row of class probabilities per text.
///
/// ```
/// use weft_runtime::{Const, Floats2};
/// use weft_runtime::training::{Task, TextClassification};
/// let task = TextClassification::new(["rotten", "fresh"]);
/// let probs = Floats2::<Const<2>>::from_rows(&[[0.2, 0.8], [0.9, 0.1]]);
/// assert_eq!(task.predict(&probs)?, [1, 0]);
/// let (_, loss) = task.loss(&probs, &[1, 0])?;
/// assert!((loss - -(0.8f32.ln() + 0.9f32.ln()) / 2.0).abs() < 1e-6);
/// # Ok::<(), weft_runtime::Error>(())
/// ```
pub struct TextClassification<W: Dim = usize> {
    labels: Vec<String>,
    width: PhantomData<fn() -> W>,
}

impl<W: Dim> TextClassification<W> {
    /// Text classification, for class rows of width `W`, the classes named `labels` by index.
    pub fn new<S: Into<String>>(labels: impl IntoIterator<Item = S>) -> Self {
        TextClassification {
            labels: labels.into_iter().map(Into::into).collect(),
            width: PhantomData,
        }
    }
}

impl<W: Dim> Task for TextClassification<W> {
    type Out = Floats2<W>;
    type Truth = usize;
    fn labels(&self) -> &[String] {
        &self.labels
    }

    fn loss(&self, out: &Floats2<W>, truths: &[usize]) -> Result<(Floats2<W>, f32)> {
        CategoricalCrossentropy.get_grad(out, truths)
    }

    fn predict(&self, out: &Floats2<W>) -> Result<Vec<usize>> {
        out.argmax()
    }

    fn classes(truth: &usize) -> &[usize] {
        std::slice::from_ref(truth)
    }
}

/// A tag per token, from a row of tag probabilities per token.
///
/// ```
/// use weft_runtime::{Const, Floats2, Ragged};
/// use weft_runtime::training::{Tagging, Task};
/// let rows = Floats2::<Const<2>>::from_rows(&[[0.2, 0.8], [0.9, 0.1], [0.3, 0.7]]);
/// let probs = Ragged::new(rows, vec![2, 1])?;
/// assert_eq!(Tagging::new(["NOUN", "VERB"]).predict(&probs)?, [1, 0, 1]);
/// # Ok::<(), weft_runtime::Error>(())
/// ```
pub struct Tagging<W: Dim = usize> {
    labels: Vec<String>,
    width: PhantomData<fn() -> W>,
}

impl<W: Dim> Tagging<W> {
    /// Tagging, for tag rows of width `W`, the tags named `labels` by index.
    pub fn new<S: Into<String>>(labels: impl IntoIterator<Item = S>) -> Self {
        Tagging {
            labels: labels.into_iter().map(Into::into).collect(),
            width: PhantomData,
        }
    }
}

impl<W: Dim> Task for Tagging<W> {
    type Out = Ragged<Floats2<W>>;
    type Truth = Vec<usize>;
    fn labels(&self) -> &[String] {
        &self.labels
    }

    fn loss(&self, out: &Self::Out, truths: &[Vec<usize>]) -> Result<(Self::Out, f32)> {
        SequenceCategoricalCrossentropy.get_grad(out, truths)
    }

    fn predict(&self, out: &Self::Out) -> Result<Vec<usize>> {
        out.data().argmax()
    }

    fn classes(truth: &Vec<usize>) -> &[usize] {
        truth
    }
}
