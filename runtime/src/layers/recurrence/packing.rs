//! The packed layout of a ragged batch ([`Packing`], see the module doc above), and the rows of
//! a matrix gathered into it and scattered back.

use ndarray::{Array2, ArrayView2, ArrayViewMut2};

use super::Direction;

/// The time-major packed layout of a ragged batch (see the module doc).
pub(crate) struct Packing {
    /// `batch_sizes[t]`: the number of sequences longer than `t`; non-increasing.
    pub(super) batch_sizes: Vec<usize>,
    /// `offsets[t]`: the first packed row of block `t`; `offsets[T]` is the number of tokens.
    pub(super) offsets: Vec<usize>,
    /// Packed row → token row, forward direction.
    forward: Vec<usize>,
    /// Packed row → token row, backward direction.
    backward: Vec<usize>,
}

impl Packing {
    /// The layout of sequences of these `lengths`, stored one after the other.
    pub(crate) fn new(lengths: &[usize]) -> Self {
        let mut starts = Vec::with_capacity(lengths.len());
        let mut total = 0;
        for &len in lengths {
            starts.push(total);
            total += len;
        }
        let mut order: Vec<usize> = (0..lengths.len()).filter(|&s| lengths[s] > 0).collect();
        order.sort_by_key(|&s| std::cmp::Reverse(lengths[s]));
        let steps = order.first().map_or(0, |&s| lengths[s]);

        let mut batch_sizes = Vec::with_capacity(steps);
        let mut offsets = Vec::with_capacity(steps + 1);
        let mut forward = Vec::with_capacity(total);
        let mut backward = Vec::with_capacity(total);
        let mut running = order.len();
        for t in 0..steps {
            while lengths[order[running - 1]] <= t {
                running -= 1;
            }
            batch_sizes.push(running);
            offsets.push(forward.len());
            for &s in &order[..running] {
                forward.push(starts[s] + t);
                backward.push(starts[s] + lengths[s] - 1 - t);
            }
        }
        offsets.push(forward.len());
        Packing {
            batch_sizes,
            offsets,
            forward,
            backward,
        }
    }

    /// Packed row → token row for `direction`.
    pub(crate) fn rows(&self, direction: Direction) -> &[usize] {
        match direction {
            Direction::Forward => &self.forward,
            Direction::Backward => &self.backward,
        }
    }

    /// Number of time steps: the longest length.
    pub(super) fn steps(&self) -> usize {
        self.batch_sizes.len()
    }

    /// The packed rows of block `t`: their first row and how many.
    pub(super) fn block(&self, t: usize) -> (usize, usize) {
        (self.offsets[t], self.batch_sizes[t])
    }
}

/// `packed[p] = src[rows[p]]`: the rows of `src` in packed order.
pub(crate) fn gather(src: ArrayView2<'_, f32>, rows: &[usize]) -> Array2<f32> {
    let width = src.ncols();
    let mut out = Vec::with_capacity(rows.len() * width);
    for &r in rows {
        let row = src.row(r);
        match row.as_slice() {
            Some(slice) => out.extend_from_slice(slice),
            None => out.extend(row.iter().copied()),
        }
    }
    Array2::from_shape_vec((rows.len(), width), out).expect("one row per index")
}

/// `dst[rows[p]] = packed[p]` (or `+=` when `add`): packed rows back to token order.
pub(crate) fn scatter(
    packed: ArrayView2<'_, f32>,
    rows: &[usize],
    mut dst: ArrayViewMut2<'_, f32>,
    add: bool,
) {
    debug_assert_eq!(packed.nrows(), rows.len());
    for (src, &r) in packed.rows().into_iter().zip(rows) {
        let mut dst = dst.row_mut(r);
        match (src.as_slice(), dst.as_slice_mut()) {
            (Some(src), Some(dst)) if add => dst.iter_mut().zip(src).for_each(|(d, s)| *d += s),
            (Some(src), Some(dst)) => dst.copy_from_slice(src),
            _ if add => dst += &src,
            _ => dst.assign(&src),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packing_is_time_major_longest_first() {
        // Sequences (token rows): 0: [0, 1], 1: [], 2: [2, 3, 4], 3: [5].
        let packing = Packing::new(&[2, 0, 3, 1]);
        assert_eq!(packing.batch_sizes, [3, 2, 1]);
        assert_eq!(packing.offsets, [0, 3, 5, 6]);
        assert_eq!(packing.rows(Direction::Forward), [2, 0, 5, 3, 1, 4]);
        assert_eq!(packing.rows(Direction::Backward), [4, 1, 5, 3, 0, 2]);
    }

    #[test]
    fn packing_of_nothing_is_empty() {
        for lengths in [&[][..], &[0, 0]] {
            let packing = Packing::new(lengths);
            assert_eq!(packing.steps(), 0);
            assert!(packing.rows(Direction::Backward).is_empty());
            assert_eq!(packing.offsets, [0]);
        }
    }

    #[test]
    fn gather_then_scatter_is_the_identity() {
        let packing = Packing::new(&[2, 0, 3, 1]);
        let x = Array2::from_shape_fn((6, 2), |(r, c)| (10 * r + c) as f32);
        for direction in [Direction::Forward, Direction::Backward] {
            let rows = packing.rows(direction);
            let packed = gather(x.view(), rows);
            let mut back = Array2::zeros((6, 2));
            scatter(packed.view(), rows, back.view_mut(), false);
            assert_eq!(back, x);
            scatter(packed.view(), rows, back.view_mut(), true);
            assert_eq!(back, &x * 2.0);
        }
    }
}
