//! A matrix product for a right-hand side used many times, whatever its layout: the weights of
//! an output layer (stored `(out, in)`, multiplied transposed), and the stacked weights of the
//! LSTM's portable step, multiplied at every time step by a few dozen rows at a time.
//!
//! A general GEMM (matrixmultiply, through ndarray) copies both operands into its own panel
//! layout on every call, which for such products costs about what the arithmetic does. [`Packed`]
//! lays the right-hand side out once in panels of [`NR`] columns; [`Packed::mul_add`] then runs
//! a register-blocked kernel over it, written once over [`Simd`](crate::kernels::simd::Simd) and
//! compiled for AVX-512 and for AVX2 + FMA, used when the CPU has them (checked at run time); a
//! portable loop otherwise. (A right-hand side that is row-major already goes to
//! `crate::kernels::product` on those CPUs, which needs no copy.)

use ndarray::ArrayView2;

#[cfg(target_arch = "x86_64")]
use crate::kernels::simd::{Avx2, Avx512, Simd};

/// Columns per panel: one AVX-512 register, two AVX2 registers.
const NR: usize = 16;

/// Sixteen floats on a cache line of their own: what one AVX-512 load reads without straddling
/// two lines (a `Vec<f32>` is only 16-byte aligned, and a load across lines costs two). The
/// packed panels here and the LSTM's fused weights are stored in them.
#[derive(Clone, Copy, Default)]
#[repr(C, align(64))]
pub(crate) struct Line(pub(crate) [f32; NR]);

// `Line::floats` relies on it: the floats fill the line, no padding.
const _: () = assert!(size_of::<Line>() == NR * size_of::<f32>());

/// Lines as floats, for the kernels on registers (x86-64 only).
#[cfg(target_arch = "x86_64")]
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
            if let Some(s) = Avx512::detect() {
                // SAFETY: the CPU has AVX-512F (`s` is its token), and the assertion above is the
                // bounds contract of the kernel.
                unsafe { avx512(s, self, a, m, c) };
                return;
            }
            if let Some(s) = Avx2::detect() {
                // SAFETY: the CPU has AVX2 and FMA (`s` is their token), and the assertion above
                // is the bounds contract of the kernel.
                unsafe { avx2(s, self, a, m, c) };
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

/// [`Packed::mul_add`] on AVX-512: blocks of twelve rows, one register per row of a panel.
///
/// # Safety
/// As [`mul_add_on`].
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn avx512(s: Avx512, b: &Packed, a: &[f32], m: usize, c: &mut [f32]) {
    // SAFETY: this function enables the instruction set the kernel is inlined for; the caller
    // promises the rest.
    unsafe { mul_add_on::<_, 1, 12>(s, b, a, m, c) }
}

/// [`Packed::mul_add`] on AVX2 + FMA: blocks of six rows, two registers per row of a panel (12
/// accumulators, two panel loads and a broadcast fill the 16 registers).
///
/// # Safety
/// As [`mul_add_on`].
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn avx2(s: Avx2, b: &Packed, a: &[f32], m: usize, c: &mut [f32]) {
    // SAFETY: this function enables the instruction set the kernel is inlined for; the caller
    // promises the rest.
    unsafe { mul_add_on::<_, 2, 6>(s, b, a, m, c) }
}

/// `c += a · b` for `m` rows, on the registers of `S`: for each panel, blocks of `MR` rows whose
/// products with the panel stay in `MR × Q` registers over the whole inner dimension and are
/// then added into `c`; the rows left over one at a time. `Q` registers hold a row of a panel,
/// or one when the panel's columns fit in it (the others would only multiply the padding); of
/// the last panel, only the columns up to `n` are added into `c`.
///
/// # Safety
/// The CPU has the instruction set of `S`; `Q · S::LANES` is [`NR`]; `a.len() == m * b.k` and
/// `c.len() == m * b.n`.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn mul_add_on<S: Simd, const Q: usize, const MR: usize>(
    s: S,
    b: &Packed,
    a: &[f32],
    m: usize,
    c: &mut [f32],
) {
    debug_assert_eq!(Q * S::LANES, NR, "registers per row of a panel");
    let (k, n) = (b.k, b.n);
    let (a, c) = (a.as_ptr(), c.as_mut_ptr());
    for (j, panel) in b.panels.chunks_exact(k).enumerate() {
        let cols = (n - j * NR).min(NR);
        let panel = Line::floats(panel).as_ptr();
        let row = |i: usize| (a.wrapping_add(i * k), c.wrapping_add(i * n + j * NR));
        // SAFETY: as the caller promises: the panel holds `k` rows of `NR` floats, and row `i`
        // of `a` and `c` exists for every `i < m`, `c`'s with the panel's `cols` columns.
        unsafe {
            if Q > 1 && cols <= S::LANES {
                add_panel::<S, 1, MR>(s, row, m, panel, k, cols);
            } else {
                add_panel::<S, Q, MR>(s, row, m, panel, k, cols);
            }
        }
    }
}

/// Adds the products of `m` rows of `a` with one panel into `c`, `Q` registers a row: blocks of
/// `MR` rows, then the rows left over one at a time. `row(i)` points at row `i` of `a` and at its
/// first column of the panel in `c`, of which there are `cols`.
///
/// # Safety
/// The CPU has the instruction set of `S`; `Q · S::LANES` is at most [`NR`] and at least
/// `cols`; each row of `a` holds `k` floats, the panel `k` rows of `NR`, and the row of `c` the
/// `cols` columns.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn add_panel<S: Simd, const Q: usize, const MR: usize>(
    s: S,
    row: impl Fn(usize) -> (*const f32, *mut f32),
    m: usize,
    panel: *const f32,
    k: usize,
    cols: usize,
) {
    let widths = std::array::from_fn(|q| cols.saturating_sub(q * S::LANES).min(S::LANES));
    let mut i = 0;
    while i < m {
        // SAFETY: rows i..i + MR (or row i) of `a` and `c` exist; `widths` keep the loads and
        // stores of `c` within the row's columns; the rest as the caller promises.
        unsafe {
            if i + MR <= m {
                let rows = std::array::from_fn(|r| row(i + r));
                add_block::<S, Q, MR>(s, rows, panel, k, widths);
                i += MR;
            } else {
                add_block::<S, Q, 1>(s, [row(i)], panel, k, widths);
                i += 1;
            }
        }
    }
}

/// Adds the products of `R` rows of `a` with one panel, over the whole inner dimension, into the
/// `R` rows of `c`: `rows[r]` points at row `r` of `a` and at its first column of the panel in
/// `c`, of which `widths[q]` columns are in the panel's register `q`.
///
/// # Safety
/// The CPU has the instruction set of `S`; `Q · S::LANES` is at most [`NR`]; each row of `a`
/// holds `k` floats, the panel `k` rows of `NR`, and the row of `c` the columns of `widths`.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn add_block<S: Simd, const Q: usize, const R: usize>(
    s: S,
    rows: [(*const f32, *mut f32); R],
    panel: *const f32,
    k: usize,
    widths: [usize; Q],
) {
    let mut acc = [[s.splat(0.0); Q]; R];
    for p in 0..k {
        // SAFETY: `p < k`, within the panel and the rows of `a`, as the caller promises.
        unsafe {
            let b: [S::V; Q] = std::array::from_fn(|q| s.load(panel.add(p * NR + q * S::LANES)));
            for (acc, (a, _)) in acc.iter_mut().zip(rows) {
                let x = s.splat(*a.add(p));
                for (acc, b) in acc.iter_mut().zip(b) {
                    *acc = s.mul_add(x, b, *acc);
                }
            }
        }
    }
    for (acc, (_, c)) in acc.into_iter().zip(rows) {
        for (q, acc) in acc.into_iter().enumerate() {
            // SAFETY: the row of `c` holds the `widths[q]` columns of register `q`, as the caller
            // promises.
            unsafe { add_first(s, c.wrapping_add(q * S::LANES), acc, widths[q]) };
        }
    }
}

/// `out[..width] += acc[..width]`: a whole register loaded, added and stored; the lanes of a
/// partial one added one by one from a copy on the stack, since a masked store is slow on some
/// AMD cores.
///
/// # Safety
/// The CPU has the instruction set of `S`; `out` points at `width <= S::LANES` writable floats.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn add_first<S: Simd>(s: S, out: *mut f32, acc: S::V, width: usize) {
    // SAFETY: `out` holds `width` floats, as the caller promises: all the lanes, or those added
    // one by one; `lanes` holds the `LANES <= 16` floats stored into it.
    unsafe {
        if width == S::LANES {
            s.store_first(out, s.add(s.load(out), acc), width);
        } else if width > 0 {
            let mut lanes = [0.0f32; NR];
            s.store_first(lanes.as_mut_ptr(), acc, S::LANES);
            for (col, lane) in lanes.iter().enumerate().take(width) {
                *out.add(col) += lane;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::rng::Rng;
    #[cfg(target_arch = "x86_64")]
    use crate::kernels::simd::Emulated;
    use crate::training::testing::affordable;
    use ndarray::Array2;

    /// A kernel under test: `c += a · b` for `m` rows.
    type Kernel = fn(&Packed, &[f32], usize, &mut [f32]);

    /// Every kernel this CPU can run, by name.
    fn kernels() -> Vec<(&'static str, Kernel)> {
        let portable: Kernel = |b, a, m, c| b.mul_add_portable(a, m, c);
        let kernels = vec![("portable", portable)];
        #[cfg(target_arch = "x86_64")]
        let kernels = [kernels, on_registers()].concat();
        kernels
    }

    /// The kernels on registers: those of the instruction sets this CPU has, and the kernel in
    /// the shapes of both on emulated registers, on any CPU.
    #[cfg(target_arch = "x86_64")]
    fn on_registers() -> Vec<(&'static str, Kernel)> {
        let mut kernels: Vec<(&'static str, Kernel)> = Vec::new();
        if Avx2::detect().is_some() {
            kernels.push(("avx2", |b, a, m, c| {
                let s = Avx2::detect().expect("detected above");
                // SAFETY: `s` is the token of AVX2; the test passes operands of matching sizes.
                unsafe { avx2(s, b, a, m, c) }
            }));
        }
        if Avx512::detect().is_some() {
            kernels.push(("avx512", |b, a, m, c| {
                let s = Avx512::detect().expect("detected above");
                // SAFETY: `s` is the token of AVX-512F; operands as above.
                unsafe { avx512(s, b, a, m, c) }
            }));
        }
        kernels.push(("emulated avx512", |b, a, m, c| {
            // SAFETY: 16 lanes, one register a row; operands as above.
            unsafe { mul_add_on::<_, 1, 12>(Emulated::<16>, b, a, m, c) }
        }));
        kernels.push(("emulated avx2", |b, a, m, c| {
            // SAFETY: 8 lanes, two registers a row; operands as above.
            unsafe { mul_add_on::<_, 2, 6>(Emulated::<8>, b, a, m, c) }
        }));
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
        for (m, k, n) in shapes
            .into_iter()
            .filter(|&(m, k, n)| affordable(m * k * n))
        {
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
