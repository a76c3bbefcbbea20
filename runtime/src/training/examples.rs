//! [`Examples`]: texts as token ids with their truths, and the batches training reads of them.

use std::ops::Range;

use crate::data::{Ids, Ragged};
use crate::error::{Error, Result};

/// Examples as token ids, each with its truth `T`: a class (text classification), or a tag per
/// token (tagging).
///
/// ```
/// use weft_runtime::training::Examples;
/// let examples = Examples::new(vec![vec![4, 8], vec![15]], vec![1, 0])?;
/// let (x, truths) = examples.batch(&[1, 0]);
/// assert_eq!(x.lengths(), &[1, 2]);
/// assert_eq!(truths, [0, 1]);
/// # Ok::<(), weft_runtime::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Examples<T> {
    ids: Vec<Vec<u32>>,
    truths: Vec<T>,
}

impl<T: Clone> Examples<T> {
    /// The examples with token ids `ids` and truths `truths`, one each: an error when the
    /// counts differ.
    pub fn new(ids: Vec<Vec<u32>>, truths: Vec<T>) -> Result<Self> {
        if ids.len() != truths.len() {
            return Err(Error::shape(
                "examples",
                format!("a truth for each of the {} texts", ids.len()),
                format!("{} truths", truths.len()),
            ));
        }
        Ok(Examples { ids, truths })
    }

    /// The number of examples.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The token ids of each example.
    pub fn ids(&self) -> &[Vec<u32>] {
        &self.ids
    }

    /// The truth of each example.
    pub fn truths(&self) -> &[T] {
        &self.truths
    }

    /// The examples at `indices`, packed, with their truths.
    pub fn batch(&self, indices: &[usize]) -> (Ragged<Ids>, Vec<T>) {
        let x = Ragged::from_sequences(indices.iter().map(|&i| &self.ids[i]));
        (x, indices.iter().map(|&i| self.truths[i].clone()).collect())
    }

    /// Every example, packed: what `initialize` reads the vocabulary's size off.
    pub fn inputs(&self) -> Ragged<Ids> {
        Ragged::from_sequences(&self.ids)
    }

    /// The words (tokens) of all examples.
    pub fn words(&self) -> usize {
        self.ids.iter().map(Vec::len).sum()
    }
}

/// How big a training batch is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum BatchSize {
    /// This many examples.
    Examples(usize),
    /// About this many words: examples are added while the batch holds fewer; an example
    /// longer than this is a batch of its own. Batches of long texts then hold fewer texts, and
    /// every step does about the same work (spaCy's `batch_by_words`).
    Words(usize),
}

impl BatchSize {
    /// The batches of `order` (indices of `examples`), as ranges of `order`.
    ///
    /// # Panics
    /// When the size is 0: the settings of training refuse it first.
    pub fn cut<T: Clone>(self, order: &[usize], examples: &Examples<T>) -> Vec<Range<usize>> {
        let mut batches = Vec::new();
        let mut start = 0;
        match self {
            BatchSize::Examples(n) => {
                assert!(n > 0, "a batch holds at least one example");
                while start < order.len() {
                    let end = (start + n).min(order.len());
                    batches.push(start..end);
                    start = end;
                }
            }
            BatchSize::Words(n) => {
                assert!(n > 0, "a batch holds at least one word");
                let mut words = 0;
                for (i, &example) in order.iter().enumerate() {
                    let length = examples.ids[example].len();
                    if i > start && words + length > n {
                        batches.push(start..i);
                        (start, words) = (i, 0);
                    }
                    words += length;
                }
                if start < order.len() {
                    batches.push(start..order.len());
                }
            }
        }
        batches
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_by_words_hold_about_as_many_words_and_a_long_text_alone() {
        let lengths = [3, 3, 3, 9, 2, 2];
        let ids = lengths.iter().map(|&n| vec![1; n]).collect();
        let examples = Examples::new(ids, vec![0; 6]).unwrap();
        let order: Vec<usize> = (0..6).collect();
        assert_eq!(
            BatchSize::Words(6).cut(&order, &examples),
            [0..2, 2..3, 3..4, 4..6]
        );
        assert_eq!(BatchSize::Examples(4).cut(&order, &examples), [0..4, 4..6]);
        assert!(BatchSize::Words(6).cut(&[], &examples).is_empty());
    }

    #[test]
    fn examples_need_one_truth_each() {
        let err = Examples::new(vec![vec![1], vec![2]], vec![0]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "examples: expected a truth for each of the 2 texts, found 1 truths"
        );
    }
}
