//! `acc += a · b` for a row-major `b` `(K, N)` and an `a` `(M, K)` of any strides, `aᵀ` among
//! them: the forward products of dense and maxout layers, `x · Wᵀ` over the weights copied
//! transposed; the products of backward passes, `dz · W` with the weights as they are stored;
//! and the weight gradients `dzᵀ · x` summed over a batch.
//!
//! A tile of `acc`, `R` rows by four registers of columns, stays in registers while the kernel
//! walks `t` along `K`: per `t`, four loads from row `t` of `b`, `R` broadcasts of `a[r][t]` and
//! `4R` FMAs, the shape of the LSTM's fused step (`R` is 6 with AVX-512, 2 with AVX2). A last
//! column tile of fewer columns has only the registers they need (and up to six rows when
//! fewer registers leave room), so that narrow products (decomposable attention's scores of a
//! premise against a hypothesis of some 16 tokens) do not multiply zeros. `t` goes
//! in blocks of [`K_BLOCK`], so that the block of `b` under a column tile stays in cache while
//! every row tile reads it. Nothing is copied or packed. matrixmultiply, which ndarray uses,
//! first copies both operands into its own layout and has no AVX-512 kernel; [`Packed`]
//! broadcasts twelve values for each register of `b` it loads, so that loads, not FMAs, bound
//! it. For the LSTM's weight gradients this runs faster than matrixmultiply.
//!
//! [`Packed`]: crate::kernels::gemm::Packed

use ndarray::{ArrayView2, ArrayViewMut2};

use crate::kernels::simd::{Avx2, Avx512, Simd};

/// Rows of `a` and `b` per pass over the tiles: 64 KB of `b` under an AVX-512 column tile.
const K_BLOCK: usize = 256;

/// `acc += a · b` on the widest registers the CPU has, for `acc` `(M, N)`, `a` `(M, K)` and
/// `b` `(K, N)`; false (and nothing done) when it has neither AVX-512 nor AVX2, when a row of
/// `b` or `acc` is not contiguous, or when a stride is negative.
///
/// # Panics
/// If the shapes disagree (a bug in the caller).
pub(crate) fn add_matmul(
    acc: &mut ArrayViewMut2<'_, f32>,
    a: ArrayView2<'_, f32>,
    b: ArrayView2<'_, f32>,
) -> bool {
    let ((m, k), n) = (a.dim(), b.ncols());
    assert_eq!((b.nrows(), acc.dim()), (k, (m, n)), "shapes of a · b");
    // Contiguous rows going forward; ndarray may give an axis of length 1 any stride.
    let row_stride = |strides: &[isize], (rows, cols): (usize, usize)| {
        let contiguous = cols <= 1 || strides[1] == 1;
        let stride = if rows <= 1 {
            Some(0)
        } else {
            usize::try_from(strides[0]).ok()
        };
        stride.filter(|_| contiguous)
    };
    let stride = |s: isize, len: usize| {
        if len <= 1 {
            Some(0)
        } else {
            usize::try_from(s).ok()
        }
    };
    let strides = (
        row_stride(acc.strides(), (m, n)),
        stride(a.strides()[0], m),
        stride(a.strides()[1], k),
        row_stride(b.strides(), (k, n)),
    );
    let (Some(acc_stride), Some(a_row), Some(a_column), Some(b_stride)) = strides else {
        return false;
    };
    let p = Operands {
        acc: acc.as_mut_ptr(),
        acc_stride,
        a: a.as_ptr(),
        a_row,
        a_column,
        b: b.as_ptr(),
        b_stride,
        k,
        m,
        n,
    };
    if let Some(s) = Avx512::detect() {
        // SAFETY: the CPU has AVX-512F (`s` is its token); the pointers and strides are those of
        // the views, of the shapes checked above, and `acc` is borrowed mutably.
        unsafe { avx512(s, &p) };
    } else if let Some(s) = Avx2::detect() {
        // SAFETY: the CPU has AVX2 and FMA (`s` is their token); the operands as above.
        unsafe { avx2(s, &p) };
    } else {
        return false;
    }
    true
}

/// The operands: element `(i, j)` of `a` at `a + i · a_row + j · a_column`; `acc` and `b`
/// row-major, element `(i, j)` of `b` at `b + i · b_stride + j`.
struct Operands {
    acc: *mut f32,
    acc_stride: usize,
    a: *const f32,
    a_row: usize,
    a_column: usize,
    b: *const f32,
    b_stride: usize,
    k: usize,
    m: usize,
    n: usize,
}

/// The kernel compiled for AVX-512.
///
/// # Safety
/// `p` describes valid operands; `acc` is not read by anything else meanwhile.
#[target_feature(enable = "avx512f")]
unsafe fn avx512(s: Avx512, p: &Operands) {
    // SAFETY: this function enables the instruction set `run` is inlined for, whose token `s`
    // is; the caller promises the operands.
    unsafe { run(s, p) }
}

/// The kernel compiled for AVX2 and FMA.
///
/// # Safety
/// As [`avx512`].
#[target_feature(enable = "avx2,fma")]
unsafe fn avx2(s: Avx2, p: &Operands) {
    // SAFETY: this function enables the instruction set `run` is inlined for, whose token `s`
    // is; the caller promises the operands.
    unsafe { run(s, p) }
}

/// Every tile, a block of rows at a time.
///
/// # Safety
/// As [`avx512`].
#[inline(always)]
unsafe fn run<S: Simd>(s: S, p: &Operands) {
    for k0 in (0..p.k).step_by(K_BLOCK) {
        let k_range = k0..p.k.min(k0 + K_BLOCK);
        for n0 in (0..p.n).step_by(4 * S::LANES) {
            // Columns per register of the tile: the last tile may be partial, and holds only
            // the registers its columns need.
            let widths = std::array::from_fn(|q| (p.n - n0).saturating_sub(q * S::LANES));
            let widths = widths.map(|w: usize| w.min(S::LANES));
            let columns = Columns {
                k_range: k_range.clone(),
                n0,
                widths,
            };
            // SAFETY: the columns are inside the operands.
            unsafe {
                match (p.n - n0).div_ceil(S::LANES) {
                    1 => columns.add::<S, 1>(s, p),
                    2 => columns.add::<S, 2>(s, p),
                    3 => columns.add::<S, 3>(s, p),
                    _ => columns.add::<S, 4>(s, p),
                }
            }
        }
    }
}

/// A column tile of `acc` and the part of `K` summed into it.
struct Columns {
    k_range: std::ops::Range<usize>,
    n0: usize,
    /// Columns in each of the four registers (`0..=LANES`).
    widths: [usize; 4],
}

impl Columns {
    /// Adds `a[r][t] · b[t]` for `t` in `k_range` into every row of `acc`, in tiles of `Q`
    /// registers of columns (those of `widths` that hold any) and as many rows as the registers
    /// hold, up to six: `R × Q` sums, `Q` registers of `b` and a broadcast.
    ///
    /// # Safety
    /// As [`avx512`], with `n0 < n`, `k_range` within `0..k` and `widths` those of the columns
    /// from `n0`, the registers past `Q` empty.
    #[inline(always)]
    unsafe fn add<S: Simd, const Q: usize>(&self, s: S, p: &Operands) {
        let rows_per_tile = ((S::REGISTERS - 1 - Q) / Q).min(6);
        let mut m0 = 0;
        while m0 < p.m {
            // Tiles as even as possible: 13 rows go 5, 4, 4 rather than 6, 6, 1 (arms above
            // `rows_per_tile` are never reached).
            let rest = p.m - m0;
            // SAFETY: the tile is inside the operands.
            m0 += unsafe {
                match rest.div_ceil(rest.div_ceil(rows_per_tile)) {
                    1 => self.tile::<S, 1, Q>(s, p, m0),
                    2 => self.tile::<S, 2, Q>(s, p, m0),
                    3 => self.tile::<S, 3, Q>(s, p, m0),
                    4 => self.tile::<S, 4, Q>(s, p, m0),
                    5 => self.tile::<S, 5, Q>(s, p, m0),
                    _ => self.tile::<S, 6, Q>(s, p, m0),
                }
            };
        }
    }

    /// Adds `a[r][t] · b[t]` for `t` in `k_range` into rows `m0..m0 + R` of `acc`, over the
    /// `Q` registers of columns from `n0`; returns `R`.
    ///
    /// # Safety
    /// As [`add`](Self::add), with `m0 + R <= m`.
    #[inline(always)]
    unsafe fn tile<S: Simd, const R: usize, const Q: usize>(
        &self,
        s: S,
        p: &Operands,
        m0: usize,
    ) -> usize {
        let (lanes, widths) = (S::LANES, self.widths);
        // Registers past the last column are never dereferenced (a width of 0 masks every
        // lane), so their addresses only wrap.
        let at = |row: *const f32, q: usize| row.wrapping_add(self.n0 + q * lanes);
        let acc_row = |r: usize| p.acc.wrapping_add((m0 + r) * p.acc_stride);
        // SAFETY: rows `m0..m0 + R` of `acc`, `k_range` of `a` and `b`, and the columns of
        // `widths` from `n0` are inside the operands, as the caller promises.
        unsafe {
            let mut acc: [[S::V; Q]; R] = std::array::from_fn(|r| {
                std::array::from_fn(|q| s.load_first(at(acc_row(r), q), widths[q]))
            });
            for t in self.k_range.clone() {
                let b = p.b.add(t * p.b_stride);
                let b: [S::V; Q] = std::array::from_fn(|q| s.load_first(at(b, q), widths[q]));
                let a = p.a.add(t * p.a_column + m0 * p.a_row);
                for (r, acc) in acc.iter_mut().enumerate() {
                    let v = s.splat(*a.add(r * p.a_row));
                    for (acc, b) in acc.iter_mut().zip(b) {
                        *acc = s.mul_add(v, b, *acc);
                    }
                }
            }
            for (r, acc) in acc.into_iter().enumerate() {
                for (q, acc) in acc.into_iter().enumerate() {
                    s.store_first(at(acc_row(r), q).cast_mut(), acc, widths[q]);
                }
            }
        }
        R
    }
}

#[cfg(test)]
mod tests {
    use ndarray::{Array2, s};

    use super::*;
    use crate::kernels::rng::Rng;
    use crate::training::testing::{affordable, assert_close};

    /// Each instruction set the CPU has against ndarray's product, for `a` and `aᵀ`, shapes with
    /// partial row and column tiles and more than a block of `K`, strided views, and empty
    /// operands.
    #[test]
    fn every_kernel_adds_a_product() {
        let mut rng = Rng::new(8);
        let mut random =
            |rows, cols| Array2::from_shape_fn((rows, cols), |_| rng.uniform(-1.0, 1.0));
        let shapes = [
            (256, 300, 64),
            (13, 37, 70),
            (9, 11, 20),
            (7, 3, 37),
            (1, 5, 1),
            (5, 0, 5),
            (0, 3, 4),
            (3, 4, 0),
        ];
        let shapes = shapes
            .into_iter()
            .filter(|&(m, k, n)| affordable(m * k * n));
        for ((m, k, n), transposed) in shapes.flat_map(|s| [(s, false), (s, true)]) {
            // Views into wider arrays: rows a stride apart.
            let a = if transposed {
                random(k, m + 2)
            } else {
                random(m, k + 2)
            };
            let a = match transposed {
                true => a.slice(s![.., 1..m + 1]).reversed_axes(),
                false => a.slice(s![.., 1..k + 1]),
            };
            let (b, acc) = (random(k, n + 3), random(m, n + 1));
            let b = b.slice(s![.., ..n]);
            let mut expected = acc.slice(s![.., ..n]).to_owned();
            ndarray::linalg::general_mat_mul(1.0, &a, &b, 1.0, &mut expected);
            let mut kernels: Vec<(&str, Box<dyn Fn(&Operands)>)> = Vec::new();
            if let Some(s) = Avx512::detect() {
                // SAFETY: `s` is the token of AVX-512F; the operands below are those of views.
                kernels.push(("avx512", Box::new(move |p| unsafe { avx512(s, p) })));
            }
            if let Some(s) = Avx2::detect() {
                // SAFETY: `s` is the token of AVX2; the operands below are those of views.
                kernels.push(("avx2", Box::new(move |p| unsafe { avx2(s, p) })));
            }
            for (name, kernel) in kernels {
                let mut found = acc.clone();
                let mut view = found.slice_mut(s![.., ..n]);
                let p = Operands {
                    acc: view.as_mut_ptr(),
                    acc_stride: n + 1,
                    a: a.as_ptr(),
                    a_row: a.strides()[0] as usize,
                    a_column: a.strides()[1] as usize,
                    b: b.as_ptr(),
                    b_stride: n + 3,
                    k,
                    m,
                    n,
                };
                kernel(&p);
                let at = format!("{name}, {m}x{k}x{n}, transposed {transposed}");
                assert_close(found.slice(s![.., ..n]), expected.view(), 1e-4);
                assert_eq!(found.column(n), acc.column(n), "{at}: wrote outside");
            }
        }
    }

    /// `add_matmul` takes views whose rows are contiguous, whatever the strides of their axes
    /// of length 1, and leaves the others (negative strides, strided rows of `b`) untouched.
    #[test]
    fn add_matmul_reads_the_strides_of_views() {
        if Avx512::detect().is_none() && Avx2::detect().is_none() {
            return;
        }
        let a = Array2::from_shape_fn((3, 4), |(i, j)| (i * 4 + j) as f32);
        let b = Array2::from_shape_fn((4, 5), |(i, j)| (i * 5 + j) as f32 / 10.0);
        // A column of `a` (length-1 rows) and a row of `b`, `aᵀ` and `bᵀ` views among them.
        for (a, b) in [
            (a.slice(s![.., 1..2]), b.slice(s![1..2, ..])),
            (a.view(), b.view()),
            (a.t().slice(s![..1, ..]), a.slice(s![.., ..2])),
        ] {
            let mut expected = Array2::ones((a.nrows(), b.ncols()));
            ndarray::linalg::general_mat_mul(1.0, &a, &b, 1.0, &mut expected);
            let mut found = Array2::ones((a.nrows(), b.ncols()));
            assert!(add_matmul(&mut found.view_mut(), a, b));
            assert_close(found.view(), expected.view(), 1e-5);
        }
        let mut acc = Array2::<f32>::ones((3, 5));
        let reversed = a.slice(s![..;-1, ..]);
        assert!(!add_matmul(&mut acc.view_mut(), reversed, b.view()));
        let strided_rows = b.slice(s![.., ..;2]);
        assert!(!add_matmul(
            &mut acc.slice_mut(s![.., ..3]),
            a.view(),
            strided_rows
        ));
        assert_eq!(
            acc,
            Array2::<f32>::ones((3, 5)),
            "nothing done when refused"
        );
    }
}
