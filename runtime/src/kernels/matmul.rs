//! The matrix products of the layers, and where each runs: on [`Packed`] for outputs that fit
//! one of its panels, on the register-tiled kernel of `crate::kernels::product` on AVX-512 or
//! AVX2, on matrixmultiply (through ndarray) elsewhere; split among the pool's threads when
//! large.

use ndarray::linalg::general_mat_mul;
use ndarray::{Array2, ArrayView1, ArrayView2, ArrayViewMut2, Axis};
use rayon::prelude::*;

use crate::kernels::gemm::Packed;
use crate::kernels::ops::ROWS_PER_TASK;
use crate::kernels::threads::{join, threads};

/// `a · b` in a new row-major array.
pub(crate) fn matmul(a: ArrayView2<'_, f32>, b: ArrayView2<'_, f32>) -> Array2<f32> {
    let mut c = Array2::zeros((a.nrows(), b.ncols()));
    add_matmul(&mut c.view_mut(), a, b);
    c
}

/// Layers with at most this many outputs multiply on [`Packed`]: one panel.
const PACKED_OUTPUTS: usize = 16;

/// `x · wᵀ + b` for weights stored `(out, in)`.
///
/// With outputs that fit one panel of [`Packed`] (an output layer over classes) the product
/// runs there, reading `x` where it is; matrixmultiply would first copy all of `x` into its own
/// layout, a pass over `x` that costs about what the product does when the outputs are few.
/// Otherwise it is [`affine_t`] over `wᵀ` copied row-major (`k · n` floats, once a call), where
/// [`Packed`] would load a register of `w` for every twelve values of `x` it broadcasts and be
/// bound by the loads.
pub(crate) fn affine(
    x: ArrayView2<'_, f32>,
    w: ArrayView2<'_, f32>,
    b: ArrayView1<'_, f32>,
) -> Array2<f32> {
    if w.nrows() > PACKED_OUTPUTS {
        return affine_t(x, w.t().as_standard_layout().view(), b);
    }
    let (k, n) = (x.ncols(), w.nrows());
    let mut out = bias_rows(x.nrows(), b);
    let x = x.as_standard_layout();
    let x = x.as_slice().expect("standard layout");
    let w = Packed::new(w.t());
    let out_all = out.as_slice_mut().expect("standard layout");
    by_rows(x, k, out_all, n, |x, out| w.mul_add(x, out));
    out
}

/// `x · w_t + b` for weights given transposed, `(in, out)`: on [`add_matmul`], a task of rows
/// at a time. On AVX-512 or AVX2 its kernel reads `x` and `w_t` where they are; matrixmultiply,
/// which ndarray uses, would first copy both into its own layout, and has no AVX-512 kernel
/// (the maxouts of spaCy's CNN tagger, 288 and 384 inputs to 288 outputs, ran 1.2-1.5x faster).
pub(crate) fn affine_t(
    x: ArrayView2<'_, f32>,
    w_t: ArrayView2<'_, f32>,
    b: ArrayView1<'_, f32>,
) -> Array2<f32> {
    let (k, n) = w_t.dim();
    let mut out = bias_rows(x.nrows(), b);
    let x = x.as_standard_layout();
    let x = x.as_slice().expect("standard layout");
    let out_all = out.as_slice_mut().expect("standard layout");
    by_rows(x, k, out_all, n, |x, out| {
        let rows = out.len() / n.max(1);
        let x = ArrayView2::from_shape((rows, k), x).expect("rows of k");
        let mut out = ArrayViewMut2::from_shape((rows, n), out).expect("rows of n");
        add_matmul(&mut out, x, w_t);
    });
    out
}

/// `m` rows, each a copy of `b`.
fn bias_rows(m: usize, b: ArrayView1<'_, f32>) -> Array2<f32> {
    let n = b.len();
    let mut out = Vec::with_capacity(m * n);
    let b = b.to_vec();
    (0..m).for_each(|_| out.extend_from_slice(&b));
    Array2::from_shape_vec((m, n), out).expect("m rows of n")
}

/// `product(x, out)` on the rows of the row-major `x` (`k` columns) and `out` (`n` columns): at
/// once, or on the thread pool when it has more than one thread and the rows are more than
/// [`ROWS_PER_TASK`]: in tasks of at most that many rows, as many as a multiple of the threads,
/// all of about the same rows (600 rows on two threads go as four tasks of 150, not as 256, 256
/// and 88, of which one thread would do 344).
fn by_rows(
    x: &[f32],
    k: usize,
    out: &mut [f32],
    n: usize,
    product: impl Fn(&[f32], &mut [f32]) + Sync,
) {
    let (m, threads) = (out.len().checked_div(n).unwrap_or(0), threads());
    if k == 0 || m <= ROWS_PER_TASK || threads == 1 {
        product(x, out);
    } else {
        let rows = m.div_ceil(m.div_ceil(threads * ROWS_PER_TASK) * threads);
        let tasks = out.par_chunks_mut(rows * n).zip(x.par_chunks(rows * k));
        tasks.for_each(|(out, x)| product(x, out));
    }
}

/// Products of fewer multiply-adds than this run on one thread: about 10 µs of work, several
/// hand-offs to the pool's threads.
const PARALLEL_MULTIPLY_ADDS: usize = 1 << 20;
/// Rows of `acc` per thread at least, when a product is split among threads.
const ROWS_PER_THREAD: usize = 12;

/// `acc += a · b`. On AVX-512 or AVX2, the kernel of `crate::kernels::product`; matrixmultiply
/// elsewhere. A large product is split by rows of `acc` (and `a`) among the pool's threads:
/// the parts share nothing they write. (The backward products of spaCy's CNN tagger ran on one
/// thread before, and two threads trained it no faster than one.)
pub(crate) fn add_matmul(
    acc: &mut ArrayViewMut2<'_, f32>,
    a: ArrayView2<'_, f32>,
    b: ArrayView2<'_, f32>,
) {
    let (m, k) = a.dim();
    let tasks = if m.saturating_mul(k).saturating_mul(b.ncols()) < PARALLEL_MULTIPLY_ADDS {
        1
    } else {
        threads().min(m / ROWS_PER_THREAD)
    };
    add_matmul_in_parts(acc.view_mut(), a, b, tasks);
}

/// [`add_matmul`] in `tasks` parts of consecutive rows, on as many threads of the pool.
fn add_matmul_in_parts(
    mut acc: ArrayViewMut2<'_, f32>,
    a: ArrayView2<'_, f32>,
    b: ArrayView2<'_, f32>,
    tasks: usize,
) {
    if tasks <= 1 {
        #[cfg(target_arch = "x86_64")]
        if crate::kernels::product::add_matmul(&mut acc, a, b) {
            return;
        }
        general_mat_mul(1.0, &a, &b, 1.0, &mut acc);
        return;
    }
    let rows = acc.nrows() * (tasks / 2) / tasks;
    let (top, bottom) = acc.split_at(Axis(0), rows);
    let (a_top, a_bottom) = a.split_at(Axis(0), rows);
    join(
        || add_matmul_in_parts(top, a_top, b, tasks / 2),
        || add_matmul_in_parts(bottom, a_bottom, b, tasks - tasks / 2),
    );
}

/// `acc += aᵀ · b`: how weight gradients are summed over a batch.
pub(crate) fn add_t_matmul(
    acc: &mut ArrayViewMut2<'_, f32>,
    a: ArrayView2<'_, f32>,
    b: ArrayView2<'_, f32>,
) {
    add_matmul(acc, a.t(), b);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::rng::Rng;
    use crate::training::testing::assert_close;

    /// Enough rows for several tasks, so that with more than one thread (the test pool has one
    /// per core) the split runs, and its last task is partial.
    const ROWS: usize = 3 * ROWS_PER_TASK + 7;

    /// A product large enough to be split, in one part and in parts of uneven rows on three
    /// threads, `aᵀ` among the operands, against ndarray's.
    #[test]
    fn a_product_split_among_threads_adds_what_one_thread_does() {
        let mut rng = Rng::new(4);
        let (m, k, n) = (103, 101, 110);
        assert!(m * k * n >= PARALLEL_MULTIPLY_ADDS && m / ROWS_PER_THREAD >= 3);
        let a_t = Array2::from_shape_fn((k, m), |_| rng.uniform(-1.0, 1.0));
        let b = Array2::from_shape_fn((k, n), |_| rng.uniform(-1.0, 1.0));
        let acc = Array2::from_shape_fn((m, n), |_| rng.uniform(-1.0, 1.0));
        let mut expected = acc.clone();
        general_mat_mul(1.0, &a_t.t(), &b, 1.0, &mut expected);
        for threads in [1, 3] {
            let found = crate::with_threads(threads, || {
                let mut found = acc.clone();
                add_t_matmul(&mut found.view_mut(), a_t.view(), b.view());
                found
            });
            assert_close(found.unwrap().view(), expected.view(), 1e-4);
        }
    }

    #[test]
    fn affine_matches_ndarray_over_many_rows() {
        let mut rng = Rng::new(3);
        let shapes = [
            (13, 14),
            (5, PACKED_OUTPUTS + 3),
            (70, 64),
            (300, 288),
            (0, 4),
            (3, 0),
        ];
        for (k, n) in shapes {
            let x = Array2::from_shape_fn((ROWS, k), |_| rng.uniform(-1.0, 1.0));
            let w = Array2::from_shape_fn((n, k), |_| rng.uniform(-1.0, 1.0));
            let b = Array2::from_shape_fn((1, n), |_| rng.uniform(-1.0, 1.0));
            let expected = x.dot(&w.t()) + &b;
            let found = affine(x.view(), w.view(), b.row(0));
            // Sums of `k` products, in another order than ndarray's.
            assert_close(found.view(), expected.view(), 1e-6 * (k as f32).max(10.0));
        }
    }
}
