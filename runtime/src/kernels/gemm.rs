//! A matrix product for a right-hand side used many times, whatever its layout: the weights of
//! an output layer (stored `(out, in)`, multiplied transposed), and the stacked weights of the
//! LSTM's portable step, multiplied at every time step by a few dozen rows at a time.
//!
//! A general GEMM (matrixmultiply, through ndarray) copies both operands into its own panel
//! layout on every call, which for such products costs about what the arithmetic does. [`Packed`]
//! lays the right-hand side out once in panels of [`NR`] columns; [`Packed::mul_add`] then runs
//! a register-blocked kernel over it: AVX-512, or AVX2 + FMA, when the CPU has them (checked at
//! run time), a portable loop otherwise. (A right-hand side that is row-major already goes to
//! `crate::kernels::product` on those CPUs, which needs no copy.)

use ndarray::ArrayView2;

/// Columns per panel: two 8-wide AVX registers.
const NR: usize = 16;
/// Rows per kernel call: 6 × 2 accumulators, two panel loads and a broadcast fill the 16 AVX
/// registers.
const MR: usize = 6;

/// Sixteen floats on a cache line of their own: what one AVX-512 load reads without straddling
/// two lines (a `Vec<f32>` is only 16-byte aligned, and a load across lines costs two). The
/// packed panels here and the LSTM's fused weights are stored in them.
#[derive(Clone, Copy, Default)]
#[repr(C, align(64))]
pub(crate) struct Line(pub(crate) [f32; NR]);

// `Line::floats` relies on it: the floats fill the line, no padding.
const _: () = assert!(size_of::<Line>() == NR * size_of::<f32>());

impl Line {
    /// Lines enough for `floats` floats, zero.
    pub(crate) fn zeros(floats: usize) -> Vec<Line> {
        vec![Line::default(); floats.div_ceil(NR)]
    }

    /// The floats of `lines`, in order.
    pub(crate) fn floats(lines: &[Line]) -> &[f32] {
        // SAFETY: a `Line` is `repr(C)` around `[f32; NR]`: `NR` floats, no padding.
        unsafe { std::slice::from_raw_parts(lines.as_ptr().cast(), lines.len() * NR) }
    }

    /// The floats of `lines`, in order, writable.
    pub(crate) fn floats_mut(lines: &mut [Line]) -> &mut [f32] {
        // SAFETY: as in `floats`.
        unsafe { std::slice::from_raw_parts_mut(lines.as_mut_ptr().cast(), lines.len() * NR) }
    }
}

/// A `k × n` matrix packed for [`mul_add`](Packed::mul_add): panel `j` holds columns
/// `16j..16j + 16` (zero-padded), one [`Line`] per row.
pub(crate) struct Packed {
    k: usize,
    n: usize,
    panels: Vec<Line>,
}

impl Packed {
    /// Packs `b` (`k × n`, any strides).
    pub(crate) fn new(b: ArrayView2<'_, f32>) -> Self {
        let (k, n) = b.dim();
        let count = if k == 0 { 0 } else { n.div_ceil(NR) };
        let mut panels = vec![Line::default(); count * k];
        for (j, panel) in panels.chunks_exact_mut(k.max(1)).enumerate() {
            for (p, row) in panel.iter_mut().enumerate() {
                for (c, value) in row.0.iter_mut().enumerate().take(n.saturating_sub(j * NR)) {
                    *value = b[[p, j * NR + c]];
                }
            }
        }
        Packed { k, n, panels }
    }

    /// `c += a · b`, with `a` row-major `m × k` and `c` row-major `m × n` (`m` from `a.len()`).
    pub(crate) fn mul_add(&self, a: &[f32], c: &mut [f32]) {
        if self.k == 0 {
            return; // c += (m × 0) · (0 × n) adds nothing.
        }
        let m = a.len() / self.k;
        assert!(
            a.len() == m * self.k && c.len() == m * self.n,
            "operands of the packed product"
        );
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                // SAFETY: the CPU has AVX-512F, which `avx512::mul_add` is compiled for, and the
                // assertion above is the bounds contract it relies on.
                unsafe { avx512::mul_add(self, a, m, c) };
                return;
            }
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                // SAFETY: the CPU has the features `avx2::mul_add` is compiled for, and the
                // assertion above is the bounds contract it relies on.
                unsafe { avx2::mul_add(self, a, m, c) };
                return;
            }
        }
        self.mul_add_portable(a, m, c);
    }

    fn mul_add_portable(&self, a: &[f32], m: usize, c: &mut [f32]) {
        let (k, n) = (self.k, self.n);
        for (j, panel) in self.panels.chunks_exact(k.max(1)).enumerate() {
            let cols = (n - j * NR).min(NR);
            for i in 0..m {
                let mut acc = [0.0f32; NR];
                for (p, b) in panel.iter().enumerate() {
                    let x = a[i * k + p];
                    for (acc, &b) in acc.iter_mut().zip(&b.0) {
                        *acc += x * b;
                    }
                }
                let out = &mut c[i * n + j * NR..i * n + j * NR + cols];
                out.iter_mut().zip(&acc).for_each(|(c, a)| *c += a);
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    use super::{MR, NR, Packed};

    /// `c += a · b` for `m` rows: blocks of [`MR`] rows × [`NR`] columns kept in twelve
    /// registers over the whole inner dimension, then added into `c`; leftover rows one at a
    /// time.
    ///
    /// # Safety
    /// The CPU must support AVX2 and FMA; `a.len() == m * b.k` and `c.len() == m * b.n`.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn mul_add(b: &Packed, a: &[f32], m: usize, c: &mut [f32]) {
        let (k, n) = (b.k, b.n);
        let (a, c) = (a.as_ptr(), c.as_mut_ptr());
        for (j, panel) in b.panels.chunks_exact(k).enumerate() {
            let cols = (n - j * NR).min(NR);
            let panel = panel.as_ptr().cast::<f32>();
            let mut i = 0;
            while i + MR <= m {
                // SAFETY: rows i..i + MR of `a` and `c` exist (`i + MR <= m`); the panel holds
                // `k` rows of `NR` floats.
                unsafe {
                    let rows: [*const f32; MR] = std::array::from_fn(|r| a.add((i + r) * k));
                    let mut acc = [[_mm256_setzero_ps(); 2]; MR];
                    for p in 0..k {
                        let b0 = _mm256_loadu_ps(panel.add(p * NR));
                        let b1 = _mm256_loadu_ps(panel.add(p * NR + 8));
                        for r in 0..MR {
                            let x = _mm256_broadcast_ss(&*rows[r].add(p));
                            acc[r][0] = _mm256_fmadd_ps(x, b0, acc[r][0]);
                            acc[r][1] = _mm256_fmadd_ps(x, b1, acc[r][1]);
                        }
                    }
                    for (r, acc) in acc.iter().enumerate() {
                        add_row(acc, c.add((i + r) * n + j * NR), cols);
                    }
                }
                i += MR;
            }
            while i < m {
                // SAFETY: row i of `a` and `c` exists; the panel holds `k` rows of `NR` floats.
                unsafe {
                    let row = a.add(i * k);
                    let mut acc = [_mm256_setzero_ps(); 2];
                    for p in 0..k {
                        let x = _mm256_broadcast_ss(&*row.add(p));
                        acc[0] = _mm256_fmadd_ps(x, _mm256_loadu_ps(panel.add(p * NR)), acc[0]);
                        acc[1] = _mm256_fmadd_ps(x, _mm256_loadu_ps(panel.add(p * NR + 8)), acc[1]);
                    }
                    add_row(&acc, c.add(i * n + j * NR), cols);
                }
                i += 1;
            }
        }
    }

    /// `out[..cols] += acc[..cols]`.
    ///
    /// # Safety
    /// `out` points at `cols <= 16` writable floats.
    #[target_feature(enable = "avx2,fma")]
    unsafe fn add_row(acc: &[__m256; 2], out: *mut f32, cols: usize) {
        // SAFETY: as the caller promises.
        unsafe {
            if cols == NR {
                _mm256_storeu_ps(out, _mm256_add_ps(_mm256_loadu_ps(out), acc[0]));
                _mm256_storeu_ps(
                    out.add(8),
                    _mm256_add_ps(_mm256_loadu_ps(out.add(8)), acc[1]),
                );
            } else {
                let mut sums = [0.0f32; NR];
                _mm256_storeu_ps(sums.as_mut_ptr(), acc[0]);
                _mm256_storeu_ps(sums.as_mut_ptr().add(8), acc[1]);
                for (col, sum) in sums.iter().enumerate().take(cols) {
                    *out.add(col) += sum;
                }
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::*;

    use super::{NR, Packed};

    /// Rows per block: twelve 16-wide accumulators, one per row, of the 32 AVX-512 registers.
    const MR: usize = 12;

    /// `c += a · b` for `m` rows: blocks of [`MR`] rows × one 16-column panel, an accumulator
    /// register per row; the panel's last columns are masked.
    ///
    /// # Safety
    /// The CPU must support AVX-512F; `a.len() == m * b.k` and `c.len() == m * b.n`.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn mul_add(b: &Packed, a: &[f32], m: usize, c: &mut [f32]) {
        let (k, n) = (b.k, b.n);
        let (a, c) = (a.as_ptr(), c.as_mut_ptr());
        for (j, panel) in b.panels.chunks_exact(k).enumerate() {
            let cols = (n - j * NR).min(NR);
            let mask: __mmask16 = (((1u32 << cols) - 1) & 0xffff) as u16;
            let panel = panel.as_ptr().cast::<f32>();
            let mut i = 0;
            while i < m {
                // SAFETY: rows i..i + MR (or row i) of `a` and `c` exist; the panel holds `k`
                // rows of `NR` floats; the mask keeps the stores within the row's columns.
                unsafe {
                    if i + MR <= m {
                        let rows: [*const f32; MR] = std::array::from_fn(|r| a.add((i + r) * k));
                        let acc = block(rows, panel, k);
                        for (r, acc) in acc.into_iter().enumerate() {
                            add_row(acc, c.add((i + r) * n + j * NR), mask);
                        }
                        i += MR;
                    } else {
                        let [acc] = block([a.add(i * k)], panel, k);
                        add_row(acc, c.add(i * n + j * NR), mask);
                        i += 1;
                    }
                }
            }
        }
    }

    /// The products of `R` rows of `a` with one panel, over the whole inner dimension.
    ///
    /// # Safety
    /// Each row points at `k` floats, the panel at `k × NR`.
    #[target_feature(enable = "avx512f")]
    #[inline]
    unsafe fn block<const R: usize>(
        rows: [*const f32; R],
        panel: *const f32,
        k: usize,
    ) -> [__m512; R] {
        let mut acc = [_mm512_setzero_ps(); R];
        for p in 0..k {
            // SAFETY: as the caller promises.
            unsafe {
                let b = _mm512_loadu_ps(panel.add(p * NR));
                for (acc, row) in acc.iter_mut().zip(rows) {
                    *acc = _mm512_fmadd_ps(_mm512_set1_ps(*row.add(p)), b, *acc);
                }
            }
        }
        acc
    }

    /// `out[..cols] += acc[..cols]`, the columns chosen by `mask`.
    ///
    /// # Safety
    /// `out` points at the masked columns, writable.
    #[target_feature(enable = "avx512f")]
    #[inline]
    unsafe fn add_row(acc: __m512, out: *mut f32, mask: __mmask16) {
        // SAFETY: as the caller promises; masked-off lanes are neither read nor written.
        unsafe {
            let old = _mm512_maskz_loadu_ps(mask, out);
            _mm512_mask_storeu_ps(out, mask, _mm512_add_ps(old, acc));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::rng::Rng;
    use ndarray::Array2;

    /// Every kernel this CPU can run, by name.
    fn kernels() -> Vec<(&'static str, fn(&Packed, &[f32], usize, &mut [f32]))> {
        let mut kernels: Vec<(&'static str, fn(&Packed, &[f32], usize, &mut [f32]))> =
            vec![("portable", |b, a, m, c| b.mul_add_portable(a, m, c))];
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::is_x86_feature_detected as has;
            if has!("avx2") && has!("fma") {
                // SAFETY: the features are there; the test passes operands of matching sizes.
                kernels.push(("avx2", |b, a, m, c| unsafe { avx2::mul_add(b, a, m, c) }));
            }
            if has!("avx512f") {
                // SAFETY: as above.
                kernels.push(("avx512", |b, a, m, c| unsafe {
                    avx512::mul_add(b, a, m, c)
                }));
            }
        }
        kernels
    }

    #[test]
    fn every_kernel_matches_ndarray() {
        let mut rng = Rng::new(9);
        let shapes = [
            (1, 1, 1),
            (5, 64, 256),
            (13, 128, 256),
            (7, 256, 64),
            (3, 3, 17),
            (25, 4, 4),
        ];
        for (m, k, n) in shapes {
            let a = Array2::from_shape_fn((m, k), |_| rng.uniform(-1.0, 1.0));
            let b = Array2::from_shape_fn((k, n), |_| rng.uniform(-1.0, 1.0));
            let c0 = Array2::from_shape_fn((m, n), |_| rng.uniform(-1.0, 1.0));
            let expected = &c0 + &a.dot(&b);
            let packed = Packed::new(b.view());
            for (name, kernel) in kernels() {
                let mut c = c0.clone();
                kernel(&packed, a.as_slice().unwrap(), m, c.as_slice_mut().unwrap());
                for (got, want) in c.iter().zip(&expected) {
                    assert!(
                        (got - want).abs() < 1e-4,
                        "{name} {m}x{k}x{n}: {got} vs {want}"
                    );
                }
            }
        }
    }

    #[test]
    fn empty_products_add_nothing() {
        for (m, k, n) in [(0, 4, 4), (4, 0, 5)] {
            let packed = Packed::new(Array2::zeros((k, n)).view());
            let mut c = vec![1.0; m * n];
            packed.mul_add(&vec![1.0; m * k], &mut c);
            assert!(c.iter().all(|&v| v == 1.0));
        }
    }

    #[test]
    fn a_transposed_view_packs_as_its_values() {
        let w = Array2::from_shape_fn((3, 2), |(r, c)| (10 * r + c) as f32);
        let packed = Packed::new(w.t());
        let mut c = vec![0.0; 2 * 3];
        packed.mul_add(&[1.0, 0.0, 0.0, 1.0], &mut c);
        assert_eq!(c, [0.0, 10.0, 20.0, 1.0, 11.0, 21.0]);
    }
}
