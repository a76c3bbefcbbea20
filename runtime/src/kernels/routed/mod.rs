//! Maxout's backward products over the winning pieces alone.
//!
//! Output `o` of row `t` of a maxout is one of its `pieces` pieces, `won[t, o]`, so the gradient
//! of the affine map under it is zero at every other piece. Of the dense backward products,
//! `d_z · W` and `d_zᵀ · x` over all `O·pieces` rows of `W`, only one row in `pieces` adds
//! anything; these kernels read and write the winning rows alone, a `pieces`-th of the
//! multiply-adds (a third for spaCy's maxouts):
//!
//! - [`add_routed_products`]: `d_x[t] += Σ_o d_y[t, o] · W[o·pieces + won[t, o]]`, in tiles of
//!   four rows of `d_x` by two registers of columns, held in registers while `o` goes on. Per
//!   `o`, four broadcasts, eight loads from `W` and eight FMAs. The column tile of `W` is first
//!   copied to rows of the tile's width (288 rows of 32 columns are 36 KB, in the first-level
//!   cache): rows of 288 floats apart map to a fraction of the cache's sets, and evicted each
//!   other (without the copy, the backward pass was no faster than the dense products).
//! - [`add_routed_gradients`]: `G[o·pieces + won[t, o]] += d_y[t, o] · x[t]`, by blocks of 32
//!   rows of `x` (36 KB): for each output, the block's rows sorted by the piece that won, each
//!   piece's sum over its rows in registers, added once into its row of `G`.
//!
//! What it gains is bounded by loads: a dense product loads one value of `W` for many FMAs,
//! these one for each FMA (no two rows of `d_x` read the same rows of `W`). On the AMD EPYC VM
//! the products ran at about 55 GFLOP/s of the multiply-adds done, the gradients about 33,
//! against about 95 for the dense products; a maxout's backward pass of 900 rows, 288 → 3 × 96,
//! went from 2.85 ms to 2.2 ms.
//!
//! Row `o·pieces + p` of `W` (and of its gradient `G`) is piece `p` of output `o`, Thinc's
//! order. All operands are row-major slices: `d_x` and `x` `(n, I)`, `d_y` `(n, O)`, `won`
//! `(n, O)`, `W` and `G` `(O·pieces, I)`. Large calls split among the pool's threads: by rows
//! of `d_x`, and by outputs of `G` (whose rows each output owns).

use rayon::prelude::*;

use crate::kernels::ops::ROWS_PER_TASK;
use crate::kernels::threads::threads;

/// The gradient of a maxout's outputs and the piece each came from.
#[derive(Clone, Copy)]
pub(crate) struct Routes<'a> {
    /// `d_y` `(n, outputs)`, row-major.
    pub d_y: &'a [f32],
    /// `won[t·outputs + o]`: the piece (below `pieces`) that output `o` of row `t` came from.
    pub won: &'a [u32],
    /// Outputs per row.
    pub outputs: usize,
    /// Pieces per output.
    pub pieces: usize,
}

impl Routes<'_> {
    /// Rows of `d_y` (none when it has no outputs).
    fn rows(&self) -> usize {
        self.d_y.len().checked_div(self.outputs).unwrap_or(0)
    }

    /// Panics unless the shapes agree with `width` columns of `W` and of `x`, and every piece is
    /// below `pieces`: the kernels' reads and writes stay inside the slices. False when there are
    /// no outputs: nothing to add (and no rows of `d_y` to count those of `x` by).
    fn check(&self, w_len: usize, x_len: usize, width: usize) -> bool {
        if self.outputs == 0 {
            return false;
        }
        let n = self.rows();
        assert_eq!(self.d_y.len(), n * self.outputs, "d_y of {n} rows");
        assert_eq!(self.won.len(), self.d_y.len(), "a winner for each output");
        assert_eq!(
            w_len,
            self.outputs * self.pieces * width,
            "W of its outputs' pieces"
        );
        assert_eq!(x_len, n * width, "a row for each row of d_y");
        let pieces = u32::try_from(self.pieces).unwrap_or(u32::MAX);
        assert!(
            self.won.iter().all(|&p| p < pieces),
            "a piece past {pieces}"
        );
        true
    }
}

/// Multiply-adds below which a call runs on one thread.
const PARALLEL_MULTIPLY_ADDS: usize = 1 << 19;

/// `d_x[t] += Σ_o d_y[t, o] · w[o·pieces + won[t, o]]` for every row `t`; `d_x` `(n, width)`,
/// `w` `(outputs·pieces, width)`.
///
/// # Panics
/// If the shapes disagree or a piece is out of range (a bug in the caller).
pub(crate) fn add_routed_products(d_x: &mut [f32], routes: Routes<'_>, w: &[f32], width: usize) {
    if !routes.check(w.len(), d_x.len(), width) {
        return;
    }
    let task = |(task, d_x): (usize, &mut [f32])| {
        let first = task * ROWS_PER_TASK;
        let rows = d_x.len() / width.max(1);
        let part = Routes {
            d_y: &routes.d_y[first * routes.outputs..(first + rows) * routes.outputs],
            won: &routes.won[first * routes.outputs..(first + rows) * routes.outputs],
            ..routes
        };
        products(d_x, part, w, width);
    };
    let work = d_x.len() * routes.outputs;
    let chunks = ROWS_PER_TASK * width.max(1);
    if threads() > 1 && work >= PARALLEL_MULTIPLY_ADDS {
        d_x.par_chunks_mut(chunks).enumerate().for_each(task);
    } else {
        task((0, d_x));
    }
}

/// `g[o·pieces + won[t, o]] += d_y[t, o] · x[t]` for every row `t` and output `o`; `x`
/// `(n, width)`, `g` `(outputs·pieces, width)`.
///
/// # Panics
/// If the shapes disagree or a piece is out of range (a bug in the caller).
pub(crate) fn add_routed_gradients(g: &mut [f32], routes: Routes<'_>, x: &[f32], width: usize) {
    if !routes.check(g.len(), x.len(), width) {
        return;
    }
    let outputs_per_task = threads().max(1);
    let outputs_per_task = routes.outputs.div_ceil(outputs_per_task).max(1);
    let task = |(task, g): (usize, &mut [f32])| {
        let first = task * outputs_per_task;
        let outputs = first..first + g.len() / (routes.pieces * width).max(1);
        gradients(g, routes, outputs, x, width);
    };
    let work = x.len() * routes.outputs;
    if threads() > 1 && work >= PARALLEL_MULTIPLY_ADDS {
        let chunks = (outputs_per_task * routes.pieces * width).max(1);
        g.par_chunks_mut(chunks).enumerate().for_each(task);
    } else {
        task((0, g));
    }
}

/// [`add_routed_products`] on one thread, on the widest registers the CPU has.
fn products(d_x: &mut [f32], routes: Routes<'_>, w: &[f32], width: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        use crate::kernels::simd::{Avx2, Avx512};
        let p = Products {
            d_x: d_x.as_mut_ptr(),
            w: w.as_ptr(),
            width,
            routes,
        };
        if let Some(s) = Avx512::detect() {
            // SAFETY: `s` is the token of AVX-512F; `check` held the shapes and pieces.
            return unsafe { simd::products_avx512(s, &p) };
        }
        if let Some(s) = Avx2::detect() {
            // SAFETY: `s` is the token of AVX2 and FMA; as above.
            return unsafe { simd::products_avx2(s, &p) };
        }
    }
    products_portable(d_x, routes, w, width);
}

/// [`products`] in plain arithmetic.
fn products_portable(d_x: &mut [f32], routes: Routes<'_>, w: &[f32], width: usize) {
    let outputs = routes.outputs.max(1);
    let rows = routes
        .d_y
        .chunks_exact(outputs)
        .zip(routes.won.chunks_exact(outputs));
    for (d_x, (d_y, won)) in d_x.chunks_exact_mut(width.max(1)).zip(rows) {
        for (o, (&d, &p)) in d_y.iter().zip(won).enumerate() {
            let row = (o * routes.pieces + p as usize) * width;
            for (d_x, &w) in d_x.iter_mut().zip(&w[row..row + width]) {
                *d_x += d * w;
            }
        }
    }
}

/// [`add_routed_gradients`] on one thread for the outputs `outputs` (whose rows `g` holds), on
/// the widest registers the CPU has.
fn gradients(
    g: &mut [f32],
    routes: Routes<'_>,
    outputs: std::ops::Range<usize>,
    x: &[f32],
    width: usize,
) {
    #[cfg(target_arch = "x86_64")]
    {
        use crate::kernels::simd::{Avx2, Avx512};
        let p = Gradients {
            g: g.as_mut_ptr(),
            x: x.as_ptr(),
            width,
            outputs: outputs.clone(),
            routes,
        };
        if let Some(s) = Avx512::detect() {
            // SAFETY: `s` is the token of AVX-512F; `check` held the shapes and pieces, and `g`
            // holds the rows of `outputs`.
            return unsafe { simd::gradients_avx512(s, &p) };
        }
        if let Some(s) = Avx2::detect() {
            // SAFETY: `s` is the token of AVX2 and FMA; as above.
            return unsafe { simd::gradients_avx2(s, &p) };
        }
    }
    gradients_portable(g, routes, outputs, x, width);
}

/// [`gradients`] in plain arithmetic.
fn gradients_portable(
    g: &mut [f32],
    routes: Routes<'_>,
    outputs: std::ops::Range<usize>,
    x: &[f32],
    width: usize,
) {
    let o0 = outputs.start;
    let rows = x
        .chunks_exact(width.max(1))
        .zip(routes.d_y.chunks_exact(routes.outputs.max(1)));
    for (t, (x, d_y)) in rows.enumerate() {
        for o in outputs.clone() {
            let p = routes.won[t * routes.outputs + o] as usize;
            let row = ((o - o0) * routes.pieces + p) * width;
            for (g, &x) in g[row..row + width].iter_mut().zip(x) {
                *g += d_y[o] * x;
            }
        }
    }
}

/// The operands of [`products`], as pointers.
#[cfg(target_arch = "x86_64")]
struct Products<'a> {
    d_x: *mut f32,
    w: *const f32,
    width: usize,
    routes: Routes<'a>,
}

/// The operands of [`gradients`], as pointers: `g` points at the first row of output
/// `outputs.start`.
#[cfg(target_arch = "x86_64")]
struct Gradients<'a> {
    g: *mut f32,
    x: *const f32,
    width: usize,
    outputs: std::ops::Range<usize>,
    routes: Routes<'a>,
}

#[cfg(target_arch = "x86_64")]
mod simd;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::rng::Rng;

    /// The dense products of a maxout's backward pass, `d_z` zero but at the winning pieces.
    fn dense(
        routes: Routes<'_>,
        w: &[f32],
        x: &[f32],
        width: usize,
    ) -> (ndarray::Array2<f32>, ndarray::Array2<f32>) {
        let (n, rows) = (routes.rows(), routes.outputs * routes.pieces);
        let mut d_z = ndarray::Array2::zeros((n, rows));
        for t in 0..n {
            for o in 0..routes.outputs {
                let i = t * routes.outputs + o;
                d_z[[t, o * routes.pieces + routes.won[i] as usize]] = routes.d_y[i];
            }
        }
        let w = ndarray::ArrayView2::from_shape((rows, width), w).unwrap();
        let x = ndarray::ArrayView2::from_shape((n, width), x).unwrap();
        (d_z.dot(&w), d_z.t().dot(&x))
    }

    /// Both kernels against the dense products, on each instruction set the CPU has and the
    /// portable code, over shapes with partial tiles of rows and columns, on one thread and
    /// split among three.
    #[test]
    fn routed_products_add_what_dense_ones_do() {
        let mut rng = Rng::new(5);
        for (n, outputs, pieces, width) in [(9, 7, 3, 37), (300, 96, 3, 288), (3, 2, 1, 5)] {
            let mut random =
                |len: usize| -> Vec<f32> { (0..len).map(|_| rng.uniform(-1.0, 1.0)).collect() };
            let d_y = random(n * outputs);
            let w = random(outputs * pieces * width);
            let x = random(n * width);
            let (start_x, start_g) = (random(n * width), random(outputs * pieces * width));
            let won: Vec<u32> = (0..n * outputs).map(|i| (i * 7 % pieces) as u32).collect();
            let routes = Routes {
                d_y: &d_y,
                won: &won,
                outputs,
                pieces,
            };
            let (d_x, g) = dense(routes, &w, &x, width);
            for (threads, portable) in [(1, false), (3, false), (1, true)] {
                let (found_x, found_g) = crate::with_threads(threads, || {
                    let (mut found_x, mut found_g) = (start_x.clone(), start_g.clone());
                    if portable {
                        products_portable(&mut found_x, routes, &w, width);
                        gradients_portable(&mut found_g, routes, 0..outputs, &x, width);
                    } else {
                        add_routed_products(&mut found_x, routes, &w, width);
                        add_routed_gradients(&mut found_g, routes, &x, width);
                    }
                    (found_x, found_g)
                })
                .unwrap();
                for (found, start, dense) in [(found_x, &start_x, &d_x), (found_g, &start_g, &g)] {
                    for ((f, s), d) in found.iter().zip(start).zip(dense) {
                        assert!((f - s - d).abs() < 1e-4, "{n}x{outputs}x{pieces}x{width}");
                    }
                }
            }
        }
    }

    #[test]
    #[should_panic(expected = "a piece past 3")]
    fn a_piece_out_of_range_is_refused() {
        let routes = Routes {
            d_y: &[1.0],
            won: &[3],
            outputs: 1,
            pieces: 3,
        };
        add_routed_products(&mut [0.0; 2], routes, &[0.0; 6], 2);
    }
}
