//! [`Unwritten`]: an array written in place a row at a time, by one writer or by several on
//! disjoint parts, without being zeroed first; and [`RowWriter`], the writer of a part.
//!
//! The LSTM writes its hidden states this way: each step writes the rows of its tokens and reads
//! the rows of the step before, and the two directions of a BiLSTM (and the parts of a batch)
//! write their own parts of one array on several threads. Zeroing the array first would cost a
//! pass over it.
//!
//! Every row records whether it has been written: a row is read only once written, and the
//! array is handed out only once every row of every part has been.

use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicUsize, Ordering};

use ndarray::{Array2, ArrayViewMut2, Axis};

/// A `(rows, width)` array being written by [`RowWriter`]s: see the module doc.
pub(crate) struct Unwritten {
    array: Array2<MaybeUninit<f32>>,
    /// The floats of the finished parts.
    finished: AtomicUsize,
    /// Whether [`writer`](Self::writer) has lent the array out: it does so once.
    lent: bool,
}

impl Unwritten {
    /// An array of `rows` rows of `width` floats, none written yet.
    pub(crate) fn new(rows: usize, width: usize) -> Self {
        Unwritten {
            array: Array2::uninit((rows, width)),
            finished: AtomicUsize::new(0),
            lent: false,
        }
    }

    /// The writer of the whole array, which can be cut into writers of parts.
    ///
    /// # Panics
    /// On a second call: parts of two writers could overlap.
    pub(crate) fn writer(&mut self) -> RowWriter<'_> {
        assert!(!self.lent, "an unwritten array has one writer");
        self.lent = true;
        RowWriter {
            written: vec![false; self.array.nrows()],
            view: self.array.view_mut(),
            finished: &self.finished,
        }
    }

    /// The array, every float written.
    ///
    /// # Panics
    /// Unless every part of the array has been written and [`finish`](RowWriter::finish)ed.
    pub(crate) fn into_array(self) -> Array2<f32> {
        let finished = self.finished.into_inner();
        assert_eq!(finished, self.array.len(), "floats written of the array");
        // SAFETY: the writer's parts are disjoint (`split_at` cuts one in two), and each part
        // counted in `finished` had every row written: together they cover the array.
        unsafe { self.array.assume_init() }
    }
}

/// The writer of a part of an [`Unwritten`] array: `rows` rows of `width` contiguous floats.
/// A row can be read once written.
pub(crate) struct RowWriter<'a> {
    view: ArrayViewMut2<'a, MaybeUninit<f32>>,
    /// Whether each row has been written.
    written: Vec<bool>,
    finished: &'a AtomicUsize,
}

impl<'a> RowWriter<'a> {
    /// The number of rows.
    pub(crate) fn rows(&self) -> usize {
        self.view.nrows()
    }

    /// The floats of a row.
    pub(crate) fn width(&self) -> usize {
        self.view.ncols()
    }

    /// Row `r`, written earlier.
    ///
    /// # Panics
    /// If row `r` is not written yet, or there is none.
    pub(crate) fn row(&self, r: usize) -> &[f32] {
        assert!(self.written[r], "row {r} is read before it is written");
        let row = self.view.row(r);
        let row = row.to_slice().expect("contiguous rows");
        // SAFETY: the row is written, so every float of it is initialized; `MaybeUninit<f32>`
        // has the layout of `f32`.
        unsafe { std::slice::from_raw_parts(row.as_ptr().cast::<f32>(), row.len()) }
    }

    /// Writes `values` into row `r`.
    ///
    /// # Panics
    /// If there is no row `r`, or `values` is not a row's width.
    pub(crate) fn write_row(&mut self, r: usize, values: &[f32]) {
        let mut row = self.view.row_mut(r);
        let row = row.as_slice_mut().expect("contiguous rows");
        assert_eq!(values.len(), row.len(), "a row's width of values");
        for (to, &v) in row.iter_mut().zip(values) {
            to.write(v);
        }
        self.written[r] = true;
    }

    /// Cuts the part in two at `index` along `axis`: rows `..index` and `index..`
    /// (`Axis(0)`), or columns `..index` and `index..` (`Axis(1)`).
    ///
    /// # Panics
    /// If `index` is past the end of `axis`.
    pub(crate) fn split_at(self, axis: Axis, index: usize) -> (Self, Self) {
        let (a, b) = self.view.split_at(axis, index);
        let (written_a, written_b) = match axis {
            Axis(0) => {
                let (a, b) = self.written.split_at(index);
                (a.to_vec(), b.to_vec())
            }
            _ => (self.written.clone(), self.written),
        };
        let finished = self.finished;
        let part = |view, written| RowWriter {
            view,
            written,
            finished,
        };
        (part(a, written_a), part(b, written_b))
    }

    /// Ends the writing of this part.
    ///
    /// # Panics
    /// Unless every row of it has been written.
    pub(crate) fn finish(self) {
        let unwritten = self.written.iter().position(|&written| !written);
        assert!(unwritten.is_none(), "row {unwritten:?} is never written");
        self.finished.fetch_add(self.view.len(), Ordering::Relaxed);
    }
}

/// The rows written through pointers, by the LSTM's fused step kernels (x86-64 only).
#[cfg(target_arch = "x86_64")]
impl RowWriter<'_> {
    /// Whether row `r` has been written.
    ///
    /// # Panics
    /// If there is no row `r`.
    pub(crate) fn is_written(&self, r: usize) -> bool {
        self.written[r]
    }

    /// The first float of row 0; row `r` starts `r · stride()` floats on. For kernels that
    /// write rows through pointers, and then say so with
    /// [`assume_written`](Self::assume_written).
    pub(crate) fn as_mut_ptr(&mut self) -> *mut f32 {
        self.view.as_mut_ptr().cast()
    }

    /// The distance from one row to the next, in floats.
    pub(crate) fn stride(&self) -> usize {
        usize::try_from(self.view.strides()[0]).expect("rows go forward")
    }

    /// Records the `rows` as written.
    ///
    /// # Safety
    /// Every float of each of the `rows` has been written (through
    /// [`as_mut_ptr`](Self::as_mut_ptr)).
    ///
    /// # Panics
    /// If one of the `rows` does not exist.
    pub(crate) unsafe fn assume_written(&mut self, rows: &[usize]) {
        for &r in rows {
            self.written[r] = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use ndarray::array;

    use super::*;

    #[test]
    fn parts_written_row_by_row_make_the_array() {
        let mut out = Unwritten::new(3, 3);
        let (mut top, bottom) = out.writer().split_at(Axis(0), 1);
        let (mut left, mut right) = bottom.split_at(Axis(1), 2);
        top.write_row(0, &[1.0, 2.0, 3.0]);
        left.write_row(1, &[7.0, 8.0]);
        left.write_row(0, &[4.0, 5.0]);
        assert_eq!(left.row(1), &[7.0, 8.0]);
        right.write_row(0, &[6.0]);
        right.write_row(1, &[9.0]);
        top.finish();
        left.finish();
        right.finish();
        let expected = array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]];
        assert_eq!(out.into_array(), expected);
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn rows_written_through_the_pointer_count_once_assumed() {
        let mut out = Unwritten::new(2, 2);
        let mut writer = out.writer();
        let (p, stride) = (writer.as_mut_ptr(), writer.stride());
        for r in 0..2 {
            for c in 0..2 {
                // SAFETY: rows 0 and 1 of two floats, `stride` apart.
                unsafe { p.add(r * stride + c).write((10 * r + c) as f32) };
            }
        }
        assert!(!writer.is_written(1));
        // SAFETY: both rows were written just above.
        unsafe { writer.assume_written(&[1, 0]) };
        assert_eq!(writer.row(1), &[10.0, 11.0]);
        writer.finish();
        assert_eq!(out.into_array(), array![[0.0, 1.0], [10.0, 11.0]]);
    }

    #[test]
    #[should_panic(expected = "row 1 is read before it is written")]
    fn a_row_is_not_read_before_it_is_written() {
        let mut out = Unwritten::new(2, 1);
        out.writer().row(1);
    }

    #[test]
    #[should_panic(expected = "row Some(1) is never written")]
    fn a_part_is_not_finished_before_every_row_is_written() {
        let mut out = Unwritten::new(2, 1);
        let mut writer = out.writer();
        writer.write_row(0, &[1.0]);
        writer.finish();
    }

    #[test]
    #[should_panic(expected = "floats written of the array")]
    fn an_array_is_not_handed_out_before_every_part_is_finished() {
        let mut out = Unwritten::new(2, 1);
        let (mut top, _bottom) = out.writer().split_at(Axis(0), 1);
        top.write_row(0, &[1.0]);
        top.finish();
        out.into_array();
    }

    #[test]
    #[should_panic(expected = "an unwritten array has one writer")]
    fn an_array_has_one_writer() {
        let mut out = Unwritten::new(2, 1);
        drop(out.writer());
        out.writer();
    }
}
