//! Small numeric kernels shared by the layers.

/// Defines a function whose body is compiled twice: for AVX2 + FMA, used when the CPU has them
/// (checked at run time by `Avx2::detect`, so not with the portable kernels asked for), and for
/// the baseline target otherwise. For hot loops that the compiler vectorizes on its own: eight
/// lanes instead of four. The call of the AVX2 version is unsafe code of this module's, allowed
/// wherever the macro is used.
macro_rules! multiversion {
    ($(#[$attr:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $(-> $ret:ty)? $body:block) => {
        $(#[$attr])*
        $vis fn $name($($arg: $ty),*) $(-> $ret)? {
            #[inline(always)]
            fn kernel($($arg: $ty),*) $(-> $ret)? $body
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2,fma")]
                fn avx2($($arg: $ty),*) $(-> $ret)? {
                    kernel($($arg),*)
                }
                if crate::kernels::simd::Avx2::detect().is_some() {
                    // SAFETY: the CPU has the features `avx2` is compiled for.
                    #[allow(unsafe_code)]
                    return unsafe { avx2($($arg),*) };
                }
            }
            kernel($($arg),*)
        }
    };
}
pub(crate) use multiversion;

use std::mem::MaybeUninit;

use ndarray::{Array2, ArrayView2, ArrayViewMut2, Axis};
use rayon::prelude::*;

use crate::kernels::threads::threads;

/// Rows per task when a row-wise kernel runs on the thread pool.
pub(crate) const ROWS_PER_TASK: usize = 256;

/// The `n` rows `row(0), …, row(n - 1)` of the row-major `table` of `width` columns, as an
/// `(n, width)` array: a table lookup. On the thread pool by tasks of [`ROWS_PER_TASK`] rows,
/// when it has more than one thread.
pub(crate) fn gather_rows(
    table: &[f32],
    width: usize,
    n: usize,
    row: impl Fn(usize) -> usize + Sync,
) -> Array2<f32> {
    let mut out = Array2::uninit((n, width));
    let copy = |(task, rows): (usize, &mut [MaybeUninit<f32>])| {
        for (i, out) in rows.chunks_exact_mut(width).enumerate() {
            let r = row(task * ROWS_PER_TASK + i);
            for (out, &v) in out.iter_mut().zip(&table[r * width..(r + 1) * width]) {
                out.write(v);
            }
        }
    };
    let all = out.as_slice_mut().expect("standard layout");
    let tasks = ROWS_PER_TASK * width.max(1);
    if n > ROWS_PER_TASK && threads() > 1 {
        all.par_chunks_mut(tasks).enumerate().for_each(copy);
    } else {
        all.chunks_mut(tasks).enumerate().for_each(copy);
    }
    // SAFETY: the tasks cover `out`, and each wrote all its rows (`table` holds every row
    // asked for, or slicing it panicked).
    unsafe { out.assume_init() }
}

/// Adds the column sums of `a` into `acc` (bias gradients).
pub(crate) fn add_column_sums(acc: &mut [f32], a: ArrayView2<'_, f32>) {
    for row in a.axis_iter(Axis(0)) {
        for (g, &v) in acc.iter_mut().zip(row) {
            *g += v;
        }
    }
}

/// The rows of each token's window, for rows of `width` floats packed as sequences of
/// `lengths`: row `t` of the result, `2·window + 1` times as wide, holds rows
/// `t - window ..= t + window` of `x` side by side, those of the token's own sequence, and zeros
/// in the place of the others (Thinc's `seq2col`). A window's rows within its sequence are
/// consecutive in `x` and in the result: one copy per token, and each float is written once
/// (no zeroing of the whole first).
pub(crate) fn seq2col(x: &[f32], width: usize, lengths: &[usize], window: usize) -> Vec<f32> {
    let wide = (2 * window + 1) * width;
    let mut out = Vec::with_capacity(lengths.iter().sum::<usize>() * wide);
    for_each_window(lengths, window, |_, rows, slot| {
        let end = out.len() + wide;
        out.resize(out.len() + slot * width, 0.0);
        out.extend_from_slice(&x[rows.start * width..rows.end * width]);
        out.resize(end, 0.0);
    });
    out
}

/// The gradient of [`seq2col`]: adds to each row of `d_x` the parts of `d_out` that copied it.
pub(crate) fn backprop_seq2col(
    d_out: &[f32],
    width: usize,
    lengths: &[usize],
    window: usize,
    d_x: &mut [f32],
) {
    for_each_window(lengths, window, |t, rows, slot| {
        let wide = (2 * window + 1) * width;
        let d_out = &d_out[t * wide + slot * width..][..rows.len() * width];
        let d_x = &mut d_x[rows.start * width..rows.end * width];
        d_x.iter_mut().zip(d_out).for_each(|(d, &g)| *d += g);
    });
}

/// Calls `f(t, rows, slot)` for each token `t` of sequences of `lengths`: `rows` are the
/// tokens of its window within its sequence, the first of them at position `slot` of the
/// window.
fn for_each_window(
    lengths: &[usize],
    window: usize,
    mut f: impl FnMut(usize, std::ops::Range<usize>, usize),
) {
    let mut start = 0;
    for &len in lengths {
        let end = start + len;
        for t in start..end {
            let first = t.saturating_sub(window).max(start);
            let last = t.saturating_add(window).saturating_add(1).min(end);
            f(t, first..last, first + window - t);
        }
        start = end;
    }
}

/// The logistic sigmoid.
pub(crate) fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// Softmax of each row, in place. Probabilities are floored at the smallest normal `f32`, so
/// `1 / p` is finite and a cross-entropy gradient through the softmax's Jacobian stays exact.
/// On the thread pool by tasks of [`ROWS_PER_TASK`] rows, when it has more than one thread.
pub(crate) fn softmax_rows(mut x: ArrayViewMut2<'_, f32>) {
    let (rows, width) = x.dim();
    match x.as_slice_mut() {
        Some(all) if rows > ROWS_PER_TASK && threads() > 1 => {
            let tasks = all.par_chunks_mut(ROWS_PER_TASK * width.max(1));
            tasks.for_each(|rows| softmax_in_place(rows, width));
        }
        Some(all) => softmax_in_place(all, width),
        None => x
            .axis_iter_mut(Axis(0))
            .for_each(|mut row| softmax_in_place(row.as_slice_mut().expect("a row"), width)),
    }
}

multiversion! {
    /// Softmax of each `width`-float row of `x` (`x.len()` a multiple of `width`), in place,
    /// floored as in [`softmax_rows`]; a row holding NaN or +inf comes out NaN. Nothing when
    /// `width` is 0. Each pass is a loop of its own over all the rows, so that the
    /// exponentials vectorize however narrow the rows (a tagger's 14 classes, say).
    pub(crate) fn softmax_in_place(x: &mut [f32], width: usize) {
        if width == 0 {
            return;
        }
        debug_assert_eq!(x.len() % width, 0, "whole rows");
        for row in x.chunks_exact_mut(width) {
            let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            row.iter_mut().for_each(|v| *v -= max);
        }
        x.iter_mut().for_each(|v| *v = crate::kernels::activations::exp(*v));
        for row in x.chunks_exact_mut(width) {
            let sum: f32 = row.iter().sum();
            // Not `max`, which would floor a NaN too: a row with a NaN (or +inf) logit stays NaN.
            row.iter_mut().for_each(|v| {
                let p = *v / sum;
                *v = if p < f32::MIN_POSITIVE { f32::MIN_POSITIVE } else { p };
            });
        }
    }
}

/// Whether `value` takes the place of `best` in a search for the largest value: when it is
/// larger, or NaN. A NaN once found stays: the largest of values that hold a NaN is NaN.
#[inline(always)]
pub(crate) fn beats(value: f32, best: f32) -> bool {
    // `|`, not `||`: both compared, no branch, so that loops of it run on registers.
    (value > best) | value.is_nan()
}

/// The vector-Jacobian product of softmax: `d_x = y ⊙ (d_y - ⟨d_y, y⟩)`, over `d` in place.
pub(crate) fn softmax_backward_in_place(y: &[f32], d: &mut [f32]) {
    let dot: f32 = y.iter().zip(d.iter()).map(|(a, b)| a * b).sum();
    for (g, &p) in d.iter_mut().zip(y) {
        *g = p * (*g - dot);
    }
}

/// `a · b`, with 32 independent sums: the loop vectorizes into four chains of additions.
#[inline(always)]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 32];
    let (a_chunks, b_chunks) = (a.chunks_exact(32), b.chunks_exact(32));
    let (a_rest, b_rest) = (a_chunks.remainder(), b_chunks.remainder());
    let tail: f32 = a_rest.iter().zip(b_rest).map(|(a, b)| a * b).sum();
    for (a, b) in a_chunks.zip(b_chunks) {
        for ((lane, &a), &b) in lanes.iter_mut().zip(a).zip(b) {
            *lane += a * b;
        }
    }
    lanes.iter().sum::<f32>() + tail
}

multiversion! {
    /// `out[i] = x_i · q` for the rows `x_i` of `x`, `q.len()` floats each.
    pub(crate) fn dot_rows(x: &[f32], q: &[f32], out: &mut [f32]) {
        for (row, out) in x.chunks_exact(q.len().max(1)).zip(out) {
            *out = dot(row, q);
        }
    }
}

multiversion! {
    /// `out += Σ_i a_i x_i` over the rows `x_i` of `x`, `out.len()` floats each.
    pub(crate) fn add_scaled_rows(out: &mut [f32], a: &[f32], x: &[f32]) {
        for (&a, row) in a.iter().zip(x.chunks_exact(out.len().max(1))) {
            for (out, &v) in out.iter_mut().zip(row) {
                *out += a * v;
            }
        }
    }
}

multiversion! {
    /// `Σ x²` in `f64`, with eight independent sums so the loop vectorizes (a single running sum
    /// is a chain of dependent additions, each waiting for the one before).
    pub(crate) fn sum_of_squares(x: &[f32]) -> f64 {
        let mut lanes = [0.0f64; 8];
        let chunks = x.chunks_exact(8);
        let rest = chunks.remainder();
        for chunk in chunks {
            for (lane, &v) in lanes.iter_mut().zip(chunk) {
                *lane += f64::from(v) * f64::from(v);
            }
        }
        let tail: f64 = rest.iter().map(|&v| f64::from(v) * f64::from(v)).sum();
        lanes.iter().sum::<f64>() + tail
    }
}

/// The bits of `|x|`. They order as the magnitudes do, and NaN above infinity above every
/// number: the largest magnitude of many values is an integer `max` of these, which vectorizes
/// (a float `max` that keeps NaN does not).
#[inline(always)]
pub(crate) fn magnitude_bits(x: f32) -> u32 {
    x.to_bits() & 0x7fff_ffff
}

multiversion! {
    /// The largest `|x|` of `x`: NaN when one is NaN, else infinity when one is infinite; 0 for
    /// no values.
    pub(crate) fn largest_magnitude(x: &[f32]) -> f32 {
        f32::from_bits(x.iter().map(|&v| magnitude_bits(v)).fold(0, u32::max))
    }
}

/// [`sum_of_squares`] over halves on the thread pool, down to blocks of 64k values.
pub(crate) fn sum_of_squares_in_parallel(x: &[f32]) -> f64 {
    const BLOCK: usize = 1 << 16;
    if x.len() <= BLOCK || threads() == 1 {
        return sum_of_squares(x);
    }
    let (a, b) = x.split_at(x.len() / 2);
    let (a, b) = crate::kernels::threads::join(
        || sum_of_squares_in_parallel(a),
        || sum_of_squares_in_parallel(b),
    );
    a + b
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::rng::Rng;
    use crate::training::testing::assert_close;

    /// Enough rows for several tasks, so that with more than one thread (the test pool has one
    /// per core) the split runs, and its last task is partial.
    const ROWS: usize = 3 * ROWS_PER_TASK + 7;

    #[test]
    fn the_largest_magnitude_is_nan_then_infinity_then_a_number() {
        let values = [1.0, -7.5, 3.0, f32::MIN_POSITIVE];
        assert_eq!(largest_magnitude(&values), 7.5);
        assert_eq!(largest_magnitude(&[]), 0.0);
        let infinite = [2.0, f32::NEG_INFINITY, -f32::MAX];
        assert_eq!(largest_magnitude(&infinite), f32::INFINITY);
        assert!(largest_magnitude(&[f32::INFINITY, -f32::NAN, 1.0]).is_nan());
    }

    #[test]
    fn gather_rows_reads_every_row_asked_for_in_order() {
        for width in [5, 0] {
            let table: Vec<f32> = (0..50 * width).map(|v| v as f32).collect();
            let row = |i: usize| (i * 7) % 50;
            let found = gather_rows(&table, width, ROWS, row);
            assert_eq!(found.dim(), (ROWS, width));
            for (i, found) in found.rows().into_iter().enumerate() {
                let r = row(i);
                assert_eq!(
                    found.to_vec(),
                    &table[r * width..(r + 1) * width],
                    "row {i}"
                );
            }
        }
    }

    #[test]
    fn row_products_match_sums_in_f64() {
        let mut rng = Rng::new(5);
        for width in [0, 1, 7, 8, 131] {
            let x: Vec<f32> = (0..3 * width).map(|_| rng.uniform(-1.0, 1.0)).collect();
            let q: Vec<f32> = (0..width).map(|_| rng.uniform(-1.0, 1.0)).collect();
            let a = [0.5, -2.0, 1.5];
            let rows = || x.chunks_exact(width.max(1));
            let mut dots = [7.0; 3];
            dot_rows(&x, &q, &mut dots[..if width == 0 { 0 } else { 3 }]);
            let mut sums = vec![1.0; width];
            add_scaled_rows(&mut sums, &a, &x);
            for (i, row) in rows().enumerate() {
                let exact: f64 = row.iter().zip(&q).map(|(&x, &q)| f64::from(x * q)).sum();
                assert!((f64::from(dots[i]) - exact).abs() < 1e-5, "width {width}");
            }
            for (c, &sum) in sums.iter().enumerate() {
                let exact: f64 = 1.0
                    + (0..3)
                        .map(|i| f64::from(a[i] * x[i * width + c]))
                        .sum::<f64>();
                assert!((f64::from(sum) - exact).abs() < 1e-5, "width {width}");
            }
        }
    }

    /// Rows of 5, 14 and 1 classes, and rows that are contiguous in a matrix that is not (the
    /// middle columns of a wider one, `pad` 1): each comes out as its own softmax, and the
    /// columns around stay as they were.
    #[test]
    fn softmax_rows_is_the_softmax_of_each_row() {
        let mut rng = Rng::new(4);
        for (width, pad) in [(5, 0), (14, 0), (1, 0), (5, 1)] {
            let x = Array2::from_shape_fn((ROWS, width), |_| rng.uniform(-30.0, 30.0));
            let mut found = Array2::from_elem((ROWS, width + 2 * pad), 7.0);
            let inner = ndarray::s![.., pad..pad + width];
            found.slice_mut(inner).assign(&x);
            softmax_rows(found.slice_mut(inner));
            let expected = x.map_axis(Axis(1), |row| {
                let max = row.fold(f32::NEG_INFINITY, |m, &v| m.max(v));
                let e = row.mapv(|v| f64::from(v - max).exp());
                (&e / e.sum()).mapv(|p| (p as f32).max(f32::MIN_POSITIVE))
            });
            for (row, want) in found.slice(inner).rows().into_iter().zip(expected) {
                assert_close(
                    row.insert_axis(Axis(0)),
                    want.view().insert_axis(Axis(0)),
                    1e-6,
                );
            }
            let edges = found
                .slice(ndarray::s![.., ..pad])
                .into_iter()
                .chain(found.slice(ndarray::s![.., pad + width..]));
            assert!(edges.into_iter().all(|&v| v == 7.0), "width {width}");
        }
    }
}
