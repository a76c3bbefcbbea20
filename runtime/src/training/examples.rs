//! [`Examples`]: texts as token ids (or rows of keys) with their truths, and the batches
//! training reads of them.

use std::ops::Range;

use crate::data::{Batch, Ids, Keys, Ragged};
use crate::error::{Error, Result};
use crate::training::schedules::Schedule;

/// The input of one example: a sequence of rows (tokens), which batches pack into a
/// [`Ragged`] of [`Sequence::Rows`]. Token ids (`Vec<u32>`) and rows of keys ([`Keys`], a row of
/// attribute keys per token) are sequences.
pub trait Sequence: Clone + Send + Sync {
    /// What a batch of sequences packs: [`Ids`] or [`Keys`].
    type Rows: Batch;

    /// The number of rows (tokens).
    fn len(&self) -> usize;

    /// Whether it has no rows.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sequences, packed: the rows of all, one after the other, with their lengths.
    ///
    /// # Panics
    /// When the sequences differ in their keys per row ([`Examples::new`] refuses them).
    fn pack<'a>(sequences: impl IntoIterator<Item = &'a Self>) -> Ragged<Self::Rows>
    where
        Self: 'a;

    /// The keys per row: examples must agree on it.
    fn columns(&self) -> usize {
        1
    }

    /// Its rows as bytes (little-endian), for a checkpoint's fingerprint of the examples.
    fn bytes(&self) -> Vec<u8>;
}

impl Sequence for Vec<u32> {
    type Rows = Ids;

    fn len(&self) -> usize {
        Vec::len(self)
    }

    fn pack<'a>(sequences: impl IntoIterator<Item = &'a Self>) -> Ragged<Ids> {
        Ragged::from_sequences(sequences)
    }

    fn bytes(&self) -> Vec<u8> {
        self.iter().flat_map(|id| id.to_le_bytes()).collect()
    }
}

impl Sequence for Keys {
    type Rows = Keys;

    fn len(&self) -> usize {
        self.rows()
    }

    fn pack<'a>(sequences: impl IntoIterator<Item = &'a Self>) -> Ragged<Keys> {
        let (mut keys, mut lengths, mut columns) = (Vec::new(), Vec::new(), 1);
        for sequence in sequences {
            keys.extend_from_slice(sequence.as_slice());
            lengths.push(sequence.rows());
            columns = sequence.columns();
        }
        let table = Keys::table(columns, keys).expect("examples agree on their columns");
        Ragged::new(table, lengths).expect("the lengths count the rows")
    }

    fn columns(&self) -> usize {
        Keys::columns(self)
    }

    fn bytes(&self) -> Vec<u8> {
        let columns = (self.columns() as u64).to_le_bytes();
        let keys = self.as_slice().iter().flat_map(|key| key.to_le_bytes());
        columns.into_iter().chain(keys).collect()
    }
}

/// Examples, each an input `S` (token ids, by default, or rows of keys) with its truth `T`: a
/// class (text classification), or a tag per token (tagging).
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
pub struct Examples<T, S = Vec<u32>> {
    sequences: Vec<S>,
    truths: Vec<T>,
}

impl<T: Clone, S: Sequence> Examples<T, S> {
    /// The examples with inputs `sequences` and truths `truths`, one each: an error when the
    /// counts differ, or when the sequences differ in their keys per row.
    pub fn new(sequences: Vec<S>, truths: Vec<T>) -> Result<Self> {
        if sequences.len() != truths.len() {
            return Err(Error::shape(
                "examples",
                format!("a truth for each of the {} texts", sequences.len()),
                format!("{} truths", truths.len()),
            ));
        }
        let columns = sequences.first().map_or(1, S::columns);
        if let Some(i) = sequences.iter().position(|s| s.columns() != columns) {
            return Err(Error::shape(
                format!("example {i}"),
                format!("rows of {columns} keys, as the first example's"),
                format!("rows of {}", sequences[i].columns()),
            ));
        }
        Ok(Examples { sequences, truths })
    }

    /// The number of examples.
    pub fn len(&self) -> usize {
        self.sequences.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.sequences.is_empty()
    }

    /// The input of each example.
    pub fn sequences(&self) -> &[S] {
        &self.sequences
    }

    /// The truth of each example.
    pub fn truths(&self) -> &[T] {
        &self.truths
    }

    /// The examples at `indices`, packed, with their truths.
    pub fn batch(&self, indices: &[usize]) -> (Ragged<S::Rows>, Vec<T>) {
        let x = S::pack(indices.iter().map(|&i| &self.sequences[i]));
        (x, indices.iter().map(|&i| self.truths[i].clone()).collect())
    }

    /// Every example, packed: what `initialize` reads the vocabulary's size off.
    pub fn inputs(&self) -> Ragged<S::Rows> {
        S::pack(&self.sequences)
    }

    /// The words (tokens) of all examples.
    pub fn words(&self) -> usize {
        self.sequences.iter().map(S::len).sum()
    }
}

/// How big a training batch is: a size, or a [`Schedule`] of sizes (Thinc's `compounding`,
/// say) that the loop asks at each batch, counting the batches of every epoch, floored to a
/// whole number.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum BatchSize {
    /// This many examples.
    Examples(Schedule),
    /// About this many words: examples are added while the batch holds fewer; an example
    /// longer than this is a batch of its own. Batches of long texts then hold fewer texts, and
    /// every step does about the same work (spaCy's `batch_by_words`).
    Words(Schedule),
}

impl BatchSize {
    /// Batches of `n` examples.
    pub fn examples(n: usize) -> Self {
        BatchSize::Examples(Schedule::Constant { rate: n as f64 })
    }

    /// Batches of about `n` words.
    pub fn words(n: usize) -> Self {
        BatchSize::Words(Schedule::Constant { rate: n as f64 })
    }

    /// The sizes' schedule.
    pub fn schedule(&self) -> &Schedule {
        match self {
            BatchSize::Examples(size) | BatchSize::Words(size) => size,
        }
    }

    /// The size of batch `batch` (counting from 0 over all epochs): an error when the
    /// schedule's value is below 1 there.
    fn size(&self, batch: usize) -> Result<usize> {
        let size = self.schedule().value(batch)?;
        if size < 1.0 {
            return Err(Error::out_of_range(
                format!("the batch size at batch {batch}"),
                "at least 1",
                size,
            ));
        }
        Ok(size as usize)
    }

    /// The batches of `order` (indices of `examples`), as ranges of `order`; `first` is the
    /// count of batches cut before, where the schedule of sizes starts.
    pub fn cut<T: Clone, S: Sequence>(
        &self,
        order: &[usize],
        examples: &Examples<T, S>,
        first: usize,
    ) -> Result<Vec<Range<usize>>> {
        let mut batches = Vec::new();
        let mut start = 0;
        while start < order.len() {
            let size = self.size(first + batches.len())?;
            let end = match self {
                BatchSize::Examples(_) => (start + size).min(order.len()),
                BatchSize::Words(_) => {
                    let mut end = start;
                    let mut words = 0;
                    while end < order.len() {
                        let length = examples.sequences[order[end]].len();
                        if end > start && words + length > size {
                            break;
                        }
                        words += length;
                        end += 1;
                    }
                    end
                }
            };
            batches.push(start..end);
            start = end;
        }
        Ok(batches)
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
        let cut = |size: BatchSize| size.cut(&order, &examples, 0).unwrap();
        assert_eq!(cut(BatchSize::words(6)), [0..2, 2..3, 3..4, 4..6]);
        assert_eq!(cut(BatchSize::examples(4)), [0..4, 4..6]);
        assert!(
            BatchSize::words(6)
                .cut(&[], &examples, 0)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn rows_of_keys_batch_as_ids_do_and_must_agree_on_their_columns() {
        let sentence = |keys: Vec<u64>| Keys::table(2, keys).unwrap();
        let inputs = vec![sentence(vec![1, 2, 3, 4]), sentence(vec![5, 6])];
        let examples = Examples::new(inputs, vec![vec![0, 1], vec![1]]).unwrap();
        let (x, truths) = examples.batch(&[1, 0]);
        assert_eq!(x.lengths(), &[1, 2]);
        assert_eq!(x.data().as_slice(), [5, 6, 1, 2, 3, 4]);
        assert_eq!(truths, [vec![1], vec![0, 1]]);
        assert_eq!(examples.words(), 3);
        let mixed = vec![sentence(vec![1, 2]), Keys::new(vec![3])];
        let err = Examples::new(mixed, vec![vec![0], vec![0]]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "example 1: expected rows of 2 keys, as the first example's, found rows of 1"
        );
    }

    #[test]
    fn batch_sizes_follow_their_schedule_across_epochs() {
        let examples = Examples::new(vec![vec![1]; 10], vec![0; 10]).unwrap();
        let order: Vec<usize> = (0..10).collect();
        // compounding(1, 4, 2): 1, 2, 4, 4, ... examples.
        let text = "compounding(start = 1, stop = 4, compound = 2)";
        let growing = BatchSize::Examples(text.parse().unwrap());
        let cut = |first| growing.cut(&order, &examples, first).unwrap();
        assert_eq!(cut(0), [0..1, 1..3, 3..7, 7..10]);
        // The next epoch goes on from the fifth batch.
        assert_eq!(cut(4), [0..4, 4..8, 8..10]);
        // decaying(2, 1): 2, 1, 0.67: a batch of less than one example is an error.
        let shrinking = BatchSize::Examples(Schedule::Decaying {
            base_rate: 2.0,
            decay: 1.0,
            t: 0.0,
        });
        let err = shrinking.cut(&order, &examples, 0).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the batch size at batch 2 must be at least 1, found 0.6666667"
        );
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
