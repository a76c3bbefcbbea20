//! [`Batch`]: data whose items can be cut into parts and joined back, for
//! [`Model::predict_parallel`](crate::Model::predict_parallel).
//!
//! The items of a [`Floats2`], [`Ids`] or [`Keys`] batch are its rows; those of a [`Ragged`]
//! batch are its sequences (the documents of a [`Documents`](crate::Documents) batch). A batch
//! is cut into runs of consecutive items holding about as many rows each (tokens, however deep
//! they are packed), and the parts' outputs are joined in the same order.

use ndarray::s;

use crate::data::{Data, Dim, Floats2, Ids, Keys, Ragged};

/// A batch that [`Model::predict_parallel`](crate::Model::predict_parallel) can cut into parts
/// of consecutive items (rows, or the sequences of a [`Ragged`] batch) and join back.
/// Implemented for [`Floats2`], [`Ids`], [`Keys`] and [`Ragged`] of any of them.
///
/// ```
/// use weft_runtime::{Batch, Ids, Ragged};
/// fn takes_batches<B: Batch>() {}
/// takes_batches::<Ragged<Ids>>();
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be cut into parts: it is not a weft batch",
    label = "not a batch",
    note = "`predict_parallel` cuts `Floats2`, `Ids`, `Keys` and `Ragged` batches of them, and no other type; run other data with `predict`"
)]
pub trait Batch: Data + split::Split {}

impl<T: Data + split::Split> Batch for T {}

/// The cutting and joining, out of users' reach: every part comes from this module's own cuts.
pub(crate) mod split {
    /// How a batch is cut and joined.
    pub trait Split: Sized {
        /// The number of items.
        fn items(&self) -> usize;
        /// The rows of each item: what a part's work is proportional to.
        fn sizes(&self) -> Vec<usize>;
        /// Cuts after each item index of `ends`; the last end is the number of items.
        fn split_at(self, ends: &[usize]) -> Vec<Self>;
        /// Joins parts cut from one batch (or computed from such parts), in order.
        fn concat(parts: Vec<Self>) -> Self;
    }
}

use split::Split;

/// Cuts `batch` into at most `parts` runs of consecutive items of about equal rows.
pub(crate) fn split<B: Split>(batch: B, parts: usize) -> Vec<B> {
    let ends = cuts(&batch.sizes(), parts);
    batch.split_at(&ends)
}

/// Where to cut items of `sizes` rows into at most `parts` runs of consecutive items: the end of
/// each run. A run ends at the first item that brings it to its share of the rows; only a batch
/// without rows has a run without rows, and it is the only run.
pub(crate) fn cuts(sizes: &[usize], parts: usize) -> Vec<usize> {
    let total: usize = sizes.iter().sum();
    let mut ends = Vec::with_capacity(parts);
    let mut sum = 0;
    for (i, size) in sizes.iter().enumerate() {
        sum += size;
        let share = total * (ends.len() + 1);
        if ends.len() + 1 < parts && *size > 0 && sum < total && sum * parts >= share {
            ends.push(i + 1);
        }
    }
    ends.push(sizes.len());
    ends
}

/// `(start, end)` of each run that `ends` cuts `0..` into.
fn runs(ends: &[usize]) -> impl Iterator<Item = (usize, usize)> + '_ {
    ends.iter().scan(0, |start, &end| {
        let run = (*start, end);
        *start = end;
        Some(run)
    })
}

impl<W: Dim> Split for Floats2<W> {
    fn items(&self) -> usize {
        self.rows()
    }

    fn sizes(&self) -> Vec<usize> {
        vec![1; self.rows()]
    }

    fn split_at(self, ends: &[usize]) -> Vec<Self> {
        let array = self.view();
        let parts = runs(ends).map(|(start, end)| array.slice(s![start..end, ..]).to_owned());
        parts.map(Floats2::wrap).collect()
    }

    fn concat(parts: Vec<Self>) -> Self {
        let width = parts
            .first()
            .map_or(W::CONST.unwrap_or(0), |p| p.view().ncols());
        let rows = parts.iter().map(Floats2::rows).sum();
        let mut all = ndarray::Array2::zeros((rows, width));
        let mut start = 0;
        for part in &parts {
            let end = start + part.rows();
            all.slice_mut(s![start..end, ..]).assign(&part.view());
            start = end;
        }
        Floats2::wrap(all)
    }
}

impl Split for Ids {
    fn items(&self) -> usize {
        self.0.len()
    }

    fn sizes(&self) -> Vec<usize> {
        vec![1; self.0.len()]
    }

    fn split_at(self, ends: &[usize]) -> Vec<Self> {
        runs(ends)
            .map(|(start, end)| Ids(self.0[start..end].to_vec()))
            .collect()
    }

    fn concat(parts: Vec<Self>) -> Self {
        Ids(parts.into_iter().flat_map(|part| part.0).collect())
    }
}

impl Split for Keys {
    fn items(&self) -> usize {
        self.rows()
    }

    fn sizes(&self) -> Vec<usize> {
        vec![1; self.rows()]
    }

    fn split_at(self, ends: &[usize]) -> Vec<Self> {
        runs(ends)
            .map(|(start, end)| self.slice(start, end))
            .collect()
    }

    /// The parts of one split, so with one number of columns.
    fn concat(parts: Vec<Self>) -> Self {
        let columns = parts.first().map_or(1, Keys::columns);
        let keys = parts.iter().flat_map(Keys::as_slice).copied().collect();
        Keys::table(columns, keys).expect("the parts of one table have its columns")
    }
}

impl<T: Split> Split for Ragged<T> {
    fn items(&self) -> usize {
        self.len()
    }

    /// The size of a sequence is the sum of its rows' sizes: a document's is its tokens.
    fn sizes(&self) -> Vec<usize> {
        let rows = self.data().sizes();
        self.ranges()
            .map(|range| rows[range].iter().sum())
            .collect()
    }

    fn split_at(self, ends: &[usize]) -> Vec<Self> {
        let (data, lengths) = self.into_parts();
        let row_ends: Vec<usize> = runs(ends)
            .scan(0, |rows, (start, end)| {
                *rows += lengths[start..end].iter().sum::<usize>();
                Some(*rows)
            })
            .collect();
        let parts = data.split_at(&row_ends).into_iter().zip(runs(ends));
        let parts =
            parts.map(|(data, (start, end))| Ragged::wrap(data, lengths[start..end].to_vec()));
        parts.collect()
    }

    fn concat(parts: Vec<Self>) -> Self {
        let lengths = parts
            .iter()
            .flat_map(|p| p.lengths().iter().copied())
            .collect();
        let data = T::concat(parts.into_iter().map(|p| p.into_parts().0).collect());
        Ragged::wrap(data, lengths)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Const;

    #[test]
    fn ragged_batches_split_by_rows_and_join_back() {
        let batch = Ragged::from_sequences([vec![1, 2, 3, 4], vec![5], vec![], vec![6, 7, 8]]);
        let parts = split(batch.clone(), 2);
        let lengths: Vec<&[usize]> = parts.iter().map(|p| p.lengths()).collect();
        assert_eq!(lengths, [&[4][..], &[1, 0, 3]]);
        assert_eq!(parts[1].data(), &Ids(vec![5, 6, 7, 8]));
        assert_eq!(Ragged::concat(parts), batch);
    }

    #[test]
    fn cuts_end_each_run_at_its_share_of_the_rows() {
        let lengths = [3, 0, 4, 1, 2, 6, 0, 0];
        assert_eq!(cuts(&lengths, 4), [3, 4, 8]);
        assert_eq!(cuts(&[2; 8], 4), [2, 4, 6, 8]);
        assert_eq!(cuts(&lengths, 1), [8]);
        assert_eq!(cuts(&[0, 0], 4), [2]);
        assert_eq!(cuts(&[], 4), [0]);
    }

    #[test]
    fn a_batch_splits_into_no_more_parts_than_it_has_rows() {
        let rows = Floats2::<Const<2>>::from_rows(&[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]);
        let parts = split(rows.clone(), 8);
        assert_eq!(
            parts.iter().map(Floats2::rows).collect::<Vec<_>>(),
            [1, 1, 1]
        );
        assert_eq!(Floats2::concat(parts), rows);
        let empty = Ragged::from_sequences([Vec::<u32>::new(), vec![]]);
        let parts = split(empty.clone(), 2);
        assert_eq!(parts.len(), 1);
        assert_eq!(Ragged::concat(parts), empty);
        assert_eq!(Floats2::<Const<2>>::concat(Vec::new()).view().dim(), (0, 2));
    }
}
