//! [`Ragged`]: a batch of sequences of different lengths, packed without padding.

use crate::data::{Accumulate, Columns, Data, Dim, Floats2, Ids, Rows, Values};
use crate::error::{Error, Result};

/// A batch of sequences packed without padding: [`data`](Self::data) holds the rows of sequence
/// 0, then those of sequence 1, and so on; `lengths()[i]` is the number of rows of sequence `i`.
///
/// The lengths always add up to the rows of the data: [`new`](Self::new) checks it, and the
/// fields are private, so the rows and the lengths are changed together or not at all
/// ([`into_parts`](Self::into_parts), then `new`).
///
/// ```
/// use weft_runtime::{Ids, Ragged};
/// let batch = Ragged::from_sequences(&[vec![4, 2, 7], vec![], vec![1]]);
/// assert_eq!(batch.data(), &Ids(vec![4, 2, 7, 1]));
/// assert_eq!(batch.lengths(), &[3, 0, 1]);
/// assert_eq!(batch.ranges().collect::<Vec<_>>(), vec![0..3, 3..3, 3..4]);
/// ```
///
/// The rows cannot be changed alone:
///
/// ```compile_fail,E0616
/// use weft_runtime::{Ids, Ragged};
/// let mut batch = Ragged::from_sequences(&[vec![4, 2, 7]]);
/// batch.data = Ids(vec![4]);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Ragged<T> {
    data: T,
    lengths: Vec<usize>,
}

impl<T: Rows> Ragged<T> {
    /// Packs `data` with sequence `lengths`; an error unless the lengths add up to the rows.
    ///
    /// ```
    /// use weft_runtime::{Ids, Ragged};
    /// assert!(Ragged::new(Ids(vec![7, 8]), vec![2, 0]).is_ok());
    /// let error = Ragged::new(Ids(vec![7]), vec![usize::MAX, 2]).unwrap_err();
    /// assert_eq!(
    ///     error.to_string(),
    ///     "Ragged lengths: expected a sum of 1 (the rows of the data), found a sum beyond usize",
    /// );
    /// ```
    pub fn new(data: T, lengths: Vec<usize>) -> Result<Self> {
        let total = lengths
            .iter()
            .try_fold(0usize, |sum, &len| sum.checked_add(len));
        if total != Some(data.rows()) {
            let found = match total {
                Some(total) => format!("{total}"),
                None => "a sum beyond usize".to_owned(),
            };
            return Err(Error::shape(
                "Ragged lengths",
                format!("a sum of {} (the rows of the data)", data.rows()),
                found,
            ));
        }
        Ok(Ragged { data, lengths })
    }
}

impl<T> Ragged<T> {
    /// Packs data whose rows the caller knows to match `lengths`.
    pub(crate) fn wrap(data: T, lengths: Vec<usize>) -> Self {
        Ragged { data, lengths }
    }

    /// Every row of every sequence, sequence after sequence.
    pub fn data(&self) -> &T {
        &self.data
    }

    /// The length of each sequence.
    pub fn lengths(&self) -> &[usize] {
        &self.lengths
    }

    /// Number of sequences.
    pub fn len(&self) -> usize {
        self.lengths.len()
    }

    /// True when the batch holds no sequences.
    pub fn is_empty(&self) -> bool {
        self.lengths.is_empty()
    }

    /// The row range of each sequence within [`data`](Self::data).
    pub fn ranges(&self) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
        self.lengths.iter().scan(0, |start, &len| {
            let range = *start..*start + len;
            *start += len;
            Some(range)
        })
    }

    /// Splits into the packed data and the lengths (to change the data, say, and pack it again
    /// with [`new`](Self::new)).
    pub fn into_parts(self) -> (T, Vec<usize>) {
        (self.data, self.lengths)
    }
}

impl Ragged<Ids> {
    /// Packs sequences of token ids.
    pub fn from_sequences<S: AsRef<[u32]>>(sequences: impl IntoIterator<Item = S>) -> Self {
        let (mut ids, mut lengths) = (Vec::new(), Vec::new());
        for sequence in sequences {
            ids.extend_from_slice(sequence.as_ref());
            lengths.push(sequence.as_ref().len());
        }
        Ragged::wrap(Ids(ids), lengths)
    }
}

impl<T: Data> Data for Ragged<T> {
    type Grad = Ragged<T::Grad>;
}

impl<T: Accumulate> Accumulate for Ragged<T> {
    /// Panics when the lengths differ, naming the first difference (not the lengths, a list as
    /// long as the batch).
    fn accumulate(&mut self, other: &Self) {
        let (a, b) = (&self.lengths, &other.lengths);
        if let Some(i) = (a.iter().zip(b)).position(|(x, y)| x != y) {
            panic!(
                "sum of ragged values whose sequence {i} has {} rows and {}",
                a[i], b[i]
            );
        }
        assert!(
            a.len() == b.len(),
            "sum of ragged values of {} sequences and {}",
            a.len(),
            b.len()
        );
        self.data.accumulate(&other.data);
    }
}

/// The rows of a ragged batch are its sequences: a `Ragged<Ragged<T>>` packs sequences of
/// sequences, such as documents of sentences ([`Documents`](crate::Documents)).
impl<T: Data> Rows for Ragged<T> {
    fn rows(&self) -> usize {
        self.len()
    }
}

impl<T: Values> Values for Ragged<T> {
    fn values(&self) -> &[f32] {
        self.data.values()
    }
    fn values_mut(&mut self) -> &mut [f32] {
        self.data.values_mut()
    }
}

impl<W: Dim> Columns for Ragged<Floats2<W>> {
    type Width = W;
    type Of<O: Dim> = Ragged<Floats2<O>>;
    type Layout = Vec<usize>;

    fn unpack(self) -> (ndarray::Array2<f32>, Vec<usize>) {
        (self.data.unpack().0, self.lengths)
    }

    fn pack(rows: ndarray::Array2<f32>, lengths: Vec<usize>) -> Self {
        let rows = Floats2::pack(rows, ());
        Ragged::new(rows, lengths).expect("the lengths of the rows unpacked")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Const;

    /// The message of the panic summing ragged values of lengths `a` and `b`, one column each.
    fn refusal(a: &[usize], b: &[usize]) -> String {
        let ragged = |lengths: &[usize]| {
            let rows = lengths.iter().sum();
            Ragged::new(Floats2::zeros(rows, Const::<1>), lengths.to_vec()).unwrap()
        };
        let (mut a, b) = (ragged(a), ragged(b));
        let panic = std::panic::catch_unwind(move || a.accumulate(&b)).unwrap_err();
        *panic.downcast::<String>().unwrap()
    }

    #[test]
    fn a_sum_of_other_lengths_names_the_first_difference_not_the_lengths() {
        let long = vec![1; 100_000];
        let mut other = long.clone();
        other[70_000] = 2;
        assert_eq!(
            refusal(&long, &other),
            "sum of ragged values whose sequence 70000 has 1 rows and 2"
        );
        assert_eq!(
            refusal(&long, &long[1..]),
            "sum of ragged values of 100000 sequences and 99999"
        );
    }
}
