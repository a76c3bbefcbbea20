//! The kernels of `routed` on vector registers, written once for AVX-512 and AVX2.

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
