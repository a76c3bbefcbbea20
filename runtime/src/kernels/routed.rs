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
mod simd {
    use super::{Gradients, Products};
    use crate::kernels::simd::{Avx2, Avx512, Simd};

    /// Registers of columns per tile of `d_x`.
    const Q: usize = 2;
    /// Registers of columns per tile of `g`.
    const Q_GRADIENTS: usize = 6;

    /// [`products`] compiled for AVX-512.
    ///
    /// # Safety
    /// `s`'s instruction set is the CPU's; `p` holds operands of the shapes `check` held, and
    /// nothing else reads `d_x` meanwhile.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn products_avx512(s: Avx512, p: &Products<'_>) {
        // SAFETY: as the caller promises.
        unsafe { products(s, p) }
    }

    /// [`products`] compiled for AVX2 and FMA.
    ///
    /// # Safety
    /// As [`products_avx512`].
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn products_avx2(s: Avx2, p: &Products<'_>) {
        // SAFETY: as the caller promises.
        unsafe { products(s, p) }
    }

    /// [`gradients`] compiled for AVX-512.
    ///
    /// # Safety
    /// As [`products_avx512`], for `g`.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn gradients_avx512(s: Avx512, p: &Gradients<'_>) {
        // SAFETY: as the caller promises.
        unsafe { gradients(s, p) }
    }

    /// [`gradients`] compiled for AVX2 and FMA.
    ///
    /// # Safety
    /// As [`products_avx512`], for `g`.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn gradients_avx2(s: Avx2, p: &Gradients<'_>) {
        // SAFETY: as the caller promises.
        unsafe { gradients(s, p) }
    }

    /// Columns in each register of the tile from column `n0` (`0..=LANES`; 0 masks them all).
    #[inline(always)]
    fn widths<S: Simd, const Q: usize>(width: usize, n0: usize) -> [usize; Q] {
        std::array::from_fn(|q| (width - n0).saturating_sub(q * S::LANES).min(S::LANES))
    }

    /// Every column tile, four rows at a time.
    ///
    /// # Safety
    /// As [`products_avx512`].
    #[inline(always)]
    unsafe fn products<S: Simd>(s: S, p: &Products<'_>) {
        let (rows, tile) = (p.routes.rows(), Q * S::LANES);
        let w_rows = p.routes.outputs * p.routes.pieces;
        // The column tile of `W`, its rows `tile` floats apart: rows `width` floats apart
        // would fall in a fraction of the cache's sets (a row of 288 floats is 18 lines) and
        // evict each other.
        let mut w_tile = vec![0.0; w_rows * tile];
        for n0 in (0..p.width).step_by(tile) {
            let columns = tile.min(p.width - n0);
            for (r, packed) in w_tile.chunks_exact_mut(tile).enumerate() {
                // SAFETY: row `r` of `W` has `width` columns, `n0 + columns` of them at most.
                let row = unsafe { std::slice::from_raw_parts(p.w.add(r * p.width + n0), columns) };
                packed[..columns].copy_from_slice(row);
            }
            let widths = widths::<S, Q>(p.width, n0);
            let mut t = 0;
            while t < rows {
                // SAFETY: rows `t..` and the columns of `widths` from `n0` are inside.
                t += unsafe {
                    match rows - t {
                        1 => products_tile::<S, 1>(s, p, &w_tile, t, n0, widths),
                        2 => products_tile::<S, 2>(s, p, &w_tile, t, n0, widths),
                        3 => products_tile::<S, 3>(s, p, &w_tile, t, n0, widths),
                        _ => products_tile::<S, 4>(s, p, &w_tile, t, n0, widths),
                    }
                };
            }
        }
    }

    /// Adds the winning rows of `W` into rows `t..t + R` of `d_x`, in the columns of `widths`
    /// from `n0`; returns `R`.
    ///
    /// # Safety
    /// As [`products_avx512`], with rows `t..t + R` inside.
    #[inline(always)]
    unsafe fn products_tile<S: Simd, const R: usize>(
        s: S,
        p: &Products<'_>,
        w_tile: &[f32],
        t: usize,
        n0: usize,
        widths: [usize; Q],
    ) -> usize {
        let (outputs, pieces, lanes) = (p.routes.outputs, p.routes.pieces, S::LANES);
        // Registers past the last column are never dereferenced (a width of 0 masks every
        // lane), so their addresses only wrap.
        let at = |row: *const f32, q: usize| row.wrapping_add(n0 + q * lanes);
        let d_x = |r: usize| p.d_x.wrapping_add((t + r) * p.width);
        let (d_y, won) = (p.routes.d_y.as_ptr(), p.routes.won.as_ptr());
        // SAFETY: the rows and columns are inside the operands, as the caller promises; each
        // piece is below `pieces`, so each row of `W` read is one of its rows.
        unsafe {
            let mut acc: [[S::V; Q]; R] = std::array::from_fn(|r| {
                std::array::from_fn(|q| s.load_first(at(d_x(r), q), widths[q]))
            });
            for o in 0..outputs {
                for (r, acc) in acc.iter_mut().enumerate() {
                    let i = (t + r) * outputs + o;
                    let v = s.splat(*d_y.add(i));
                    let row = (o * pieces + *won.add(i) as usize) * Q * lanes;
                    let row = w_tile.as_ptr().add(row);
                    for (q, acc) in acc.iter_mut().enumerate() {
                        let w = s.load_first(row.add(q * lanes), widths[q]);
                        *acc = s.mul_add(v, w, *acc);
                    }
                }
            }
            for (r, acc) in acc.into_iter().enumerate() {
                for (q, acc) in acc.into_iter().enumerate() {
                    s.store_first(at(d_x(r), q).cast_mut(), acc, widths[q]);
                }
            }
        }
        R
    }

    /// Rows of `x` per block: 32 rows of 288 columns are 36 KB, which stay in the first-level
    /// cache while every output sums its pieces over them.
    const BLOCK: usize = 32;

    /// For each block of rows of `x` and each output: the rows sorted by the piece that won,
    /// then, a column tile at a time, each piece's sum of `d_y[t, o] · x[t]` over its rows
    /// (in registers, two sums of alternate rows so that the FMAs do not wait on each other),
    /// added into the piece's row of `g`.
    ///
    /// # Safety
    /// As [`gradients_avx512`].
    #[inline(always)]
    unsafe fn gradients<S: Simd>(s: S, p: &Gradients<'_>) {
        let (outputs, pieces, lanes) = (p.routes.outputs, p.routes.pieces, S::LANES);
        let tile = Q_GRADIENTS * lanes;
        // The block's rows by piece (`rows[starts[p]..starts[p + 1]]`) and their `d_y[t, o]`.
        let (mut rows, mut d) = ([0usize; BLOCK], [0f32; BLOCK]);
        let mut starts = vec![0usize; pieces + 1];
        for t0 in (0..p.routes.rows()).step_by(BLOCK) {
            let block = t0..(t0 + BLOCK).min(p.routes.rows());
            for o in p.outputs.clone() {
                let piece = |t: usize| p.routes.won[t * outputs + o] as usize;
                starts.fill(0);
                for t in block.clone() {
                    starts[piece(t) + 1] += 1;
                }
                for q in 1..=pieces {
                    starts[q] += starts[q - 1];
                }
                for t in block.clone() {
                    let at = &mut starts[piece(t)];
                    (rows[*at], d[*at]) = (t, p.routes.d_y[t * outputs + o]);
                    *at += 1;
                }
                // `starts[q]` is now the end of piece `q`'s rows.
                let mut start = 0;
                for (piece, &end) in starts[..pieces].iter().enumerate() {
                    let (rows, d) = (&rows[start..end], &d[start..end]);
                    start = end;
                    if rows.is_empty() {
                        continue;
                    }
                    let g_row = ((o - p.outputs.start) * pieces + piece) * p.width;
                    for n0 in (0..p.width).step_by(tile) {
                        let widths = widths::<S, Q_GRADIENTS>(p.width, n0);
                        // SAFETY: the rows of `x` and of `g` are inside, as the caller
                        // promises; so are the columns of `widths` from `n0`.
                        unsafe { sum_rows(s, p, rows, d, p.g.add(g_row), n0, widths) };
                    }
                }
            }
        }
    }

    /// Adds `Σ_i d[i] · x[rows[i]]` into `g_row`, in the columns of `widths` from `n0`.
    ///
    /// # Safety
    /// As [`gradients_avx512`], with `rows` rows of `x` and `g_row` a row of `g`.
    #[inline(always)]
    unsafe fn sum_rows<S: Simd>(
        s: S,
        p: &Gradients<'_>,
        rows: &[usize],
        d: &[f32],
        g_row: *mut f32,
        n0: usize,
        widths: [usize; Q_GRADIENTS],
    ) {
        // Two sums, of alternate rows, so that the FMAs do not wait on each other. (Named
        // arrays, not indexed by the row, and no closures of register operations: either would
        // put the sums in memory or each operation in a call.)
        let (mut even, mut odd) = ([s.splat(0.0); Q_GRADIENTS], [s.splat(0.0); Q_GRADIENTS]);
        let x = |row: usize| p.x.wrapping_add(row * p.width + n0);
        for (rows, d) in rows.chunks_exact(2).zip(d.chunks_exact(2)) {
            // SAFETY: rows of `x` and the columns of `widths`, as the caller promises.
            unsafe {
                add_row(s, &mut even, x(rows[0]), d[0], widths);
                add_row(s, &mut odd, x(rows[1]), d[1], widths);
            }
        }
        if let (Some(&row), Some(&d)) = (rows.last(), d.last())
            && rows.len() % 2 == 1
        {
            // SAFETY: as above.
            unsafe { add_row(s, &mut even, x(row), d, widths) };
        }
        for (q, (even, odd)) in even.into_iter().zip(odd).enumerate() {
            let g = g_row.wrapping_add(n0 + q * S::LANES);
            // SAFETY: as the caller promises.
            unsafe {
                let sum = s.add(s.load_first(g, widths[q]), s.add(even, odd));
                s.store_first(g, sum, widths[q]);
            }
        }
    }

    /// `sum += d · x`, over the registers of `widths` from `x`.
    ///
    /// # Safety
    /// `s`'s instruction set is the CPU's; the columns of `widths` from `x` are readable.
    #[inline(always)]
    unsafe fn add_row<S: Simd>(
        s: S,
        sum: &mut [S::V; Q_GRADIENTS],
        x: *const f32,
        d: f32,
        widths: [usize; Q_GRADIENTS],
    ) {
        let v = s.splat(d);
        for (q, sum) in sum.iter_mut().enumerate() {
            // SAFETY: as the caller promises.
            let x = unsafe { s.load_first(x.wrapping_add(q * S::LANES), widths[q]) };
            *sum = s.mul_add(v, x, *sum);
        }
    }
}

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
