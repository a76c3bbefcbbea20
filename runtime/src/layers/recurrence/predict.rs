//! The forward step kernels of one LSTM direction. For inference ([`predict`]) nothing is kept
//! for backprop, the input is read in token order (no gather) and each `h_t` is written straight
//! to its token's row of the output, which is where the next step reads `h_{t-1}`. The training
//! forward pass ([`forward`]) runs the same kernels over the packed rows and also keeps the
//! activated gates and the cell states.
//!
//! On AVX-512 or AVX2 each step is one fused kernel ([`fused`]): the weights `[W_ih | W_hh]ᵀ` are
//! laid out once (and kept until they change) in blocks of 16 (AVX-512) or 8 hidden units, row
//! `p` of a block holding the four gates `i, f, g, o` of its units; a kernel call takes six
//! (AVX-512) or two sequences and one block, sums `b + x_t · W_ih + h_{t-1} · W_hh` for the
//! block's gate columns in four registers per sequence, applies the activations and the cell
//! update there, and stores the units' `c_t` and `h_t` (and, in training, the gates). Elsewhere
//! ([`Stacked`]) a step is one packed product of `[x_t | h_{t-1}]` with `W_ih` and `W_hh`
//! stacked, then the gate kernel row by row.

use std::mem::MaybeUninit;

use ndarray::{ArrayView2, ArrayViewMut2};

use super::{Direction, LstmWeights, Packing, cell_forward};
use crate::kernels::gemm::Packed;
#[cfg(target_arch = "x86_64")]
use crate::kernels::simd::{Avx2, Avx512};

/// Runs one direction for inference over the token-ordered `input` `(N, in)`, writing each
/// token's hidden state to its row of `out` `(N, H)`: the rows of `out` are in token order too.
/// Every element of `out` is written, so it need not be initialized.
///
/// # Panics
/// If the shapes disagree with the weights and the packing (a bug in the caller).
pub(crate) fn predict(
    weights: &LstmWeights,
    packing: &Packing,
    direction: Direction,
    input: ArrayView2<'_, f32>,
    out: ArrayViewMut2<'_, MaybeUninit<f32>>,
) {
    let first = packing.batch_sizes.first().copied().unwrap_or(0);
    let kernel = Kernel::new(weights, first);
    run(kernel, packing, packing.rows(direction), input, out, None);
}

/// What the training forward pass keeps for backprop, both packed: the activated gates
/// `i, f, g, o` `(N, 4H)` and the cell states `(N, H)`.
pub(super) struct Keep<'a> {
    pub(super) gates: &'a mut [f32],
    pub(super) cells: &'a mut [f32],
}

/// The training forward pass of one direction over the packed input `xp` `(N, in)`: as
/// [`predict`], with the packed rows for token rows, writing every element of `out` `(N, H)`
/// (the packed hidden states) and of `keep`.
///
/// # Panics
/// As [`predict`], and if `keep` is not of `N` rows.
pub(super) fn forward(
    weights: &LstmWeights,
    packing: &Packing,
    xp: ArrayView2<'_, f32>,
    out: ArrayViewMut2<'_, MaybeUninit<f32>>,
    keep: Keep<'_>,
) {
    let first = packing.batch_sizes.first().copied().unwrap_or(0);
    let packed_rows: Vec<usize> = (0..xp.nrows()).collect();
    let kernel = Kernel::new(weights, first);
    run(kernel, packing, &packed_rows, xp, out, Some(keep));
}

/// [`predict`] or [`forward`] with the kernel given: step `t` of the sequences reads and
/// writes the rows `rows[start..start + k]` of block `t` of the packing.
fn run(
    mut kernel: Kernel<'_>,
    packing: &Packing,
    rows: &[usize],
    input: ArrayView2<'_, f32>,
    mut out: ArrayViewMut2<'_, MaybeUninit<f32>>,
    mut keep: Option<Keep<'_>>,
) {
    let (n, n_in) = input.dim();
    let hidden = out.ncols();
    assert_eq!(
        kernel.widths(),
        (n_in, hidden),
        "widths of the input and output"
    );
    assert_eq!(out.nrows(), n, "a row of output per row of input");
    // Every row is written only if the packing covers every row.
    let tokens = packing.rows(Direction::Forward).len();
    assert_eq!((rows.len(), tokens), (n, n), "rows of the packing");
    if let Some(keep) = &keep {
        assert_eq!(
            keep.gates.len(),
            n * 4 * hidden,
            "a row of gates per row of input"
        );
        assert_eq!(
            keep.cells.len(),
            n * hidden,
            "a cell state per row of input"
        );
    }
    if hidden == 0 || n == 0 {
        return;
    }
    let input = input.as_standard_layout();
    let x = input.as_slice().expect("standard layout");
    // (ndarray may give an axis of length 1 any stride.)
    assert!(
        hidden == 1 || out.strides()[1] == 1,
        "output rows are contiguous"
    );
    let stride = usize::try_from(out.strides()[0]).expect("output rows go forward");
    let h = out.as_mut_ptr().cast::<f32>();
    // Without `keep`, `c_t` and `c_{t-1}` take turns in two buffers.
    let buffer = if keep.is_some() {
        0
    } else {
        packing.batch_sizes[0] * hidden
    };
    let (mut c_prev, mut c) = (vec![0.0; buffer], vec![0.0; buffer]);
    for t in 0..packing.steps() {
        let (start, k) = packing.block(t);
        let prev = (t > 0).then(|| packing.offsets[t - 1]);
        let (c_t, c_before, gates) = match &mut keep {
            Some(keep) => {
                let (done, rest) = keep.cells.split_at_mut(start * hidden);
                let gates = &mut keep.gates[start * 4 * hidden..(start + k) * 4 * hidden];
                let c_before = prev.map(|p| &done[p * hidden..(p + k) * hidden]);
                (&mut rest[..k * hidden], c_before, Some(gates))
            }
            None => (
                &mut c[..k * hidden],
                prev.map(|_| &c_prev[..k * hidden]),
                None,
            ),
        };
        let step = Step {
            x,
            x_rows: &rows[start..start + k],
            prev: prev
                .zip(c_before)
                .map(|(p, c_before)| (&rows[p..p + k], c_before)),
            c: c_t,
            h,
            h_stride: stride,
            gates,
        };
        // SAFETY: `h` points at `out`, `n` rows of `hidden` floats `stride` apart; every index in
        // `rows` is below `n` (it is a permutation of `0..n`) and the indices of block `t` differ
        // from those of block `t - 1` (each row is in one block), so the rows written are not
        // the rows read; `x` has `n` rows of `n_in`; `c` and `c_{t-1}` hold `k × hidden` floats,
        // `gates` `k × 4 hidden`.
        unsafe { kernel.step(step) };
        if keep.is_none() {
            std::mem::swap(&mut c_prev, &mut c);
        }
    }
}

/// The operands of one step, for `k` sequences.
struct Step<'a> {
    /// The token-ordered input, `n_in` floats per token.
    x: &'a [f32],
    /// The tokens of this step, one per sequence: their rows of `x` and of `h`.
    x_rows: &'a [usize],
    /// The tokens of the previous step (their rows of `h` hold `h_{t-1}`) and `c_{t-1}`
    /// (`k × hidden`); `None` at the first step, where both are zero.
    prev: Option<(&'a [usize], &'a [f32])>,
    /// `c_t`, `k × hidden`, written.
    c: &'a mut [f32],
    /// The output: token `r`'s `h` at `h + r · h_stride`, written only until the step writes
    /// it (it may start uninitialized).
    h: *mut f32,
    h_stride: usize,
    /// The activated gates `i, f, g, o`, `4 × hidden` per sequence, written when kept for
    /// backprop.
    gates: Option<&'a mut [f32]>,
}

/// The weights laid out for the fused kernel of the widest registers the CPU has: made by the
/// first prediction and kept by [`LstmWeights`] until the weights change.
pub(super) enum Fused {
    #[cfg(target_arch = "x86_64")]
    Avx512(fused::Blocks<Avx512>),
    #[cfg(target_arch = "x86_64")]
    Avx2(fused::Blocks<Avx2>),
    /// No fused kernel for this CPU: steps run [`Stacked`].
    Unavailable,
}

impl Fused {
    /// `weights` laid out for this CPU.
    pub(super) fn new(weights: &LstmWeights) -> Self {
        #[cfg(target_arch = "x86_64")]
        if let Some(s) = Avx512::detect() {
            return Fused::Avx512(fused::Blocks::new(s, weights));
        } else if let Some(s) = Avx2::detect() {
            return Fused::Avx2(fused::Blocks::new(s, weights));
        }
        Fused::Unavailable
    }
}

/// How a step is computed: the layout of the weights and the code that reads it.
enum Kernel<'w> {
    #[cfg(target_arch = "x86_64")]
    Avx512(&'w fused::Blocks<Avx512>),
    #[cfg(target_arch = "x86_64")]
    Avx2(&'w fused::Blocks<Avx2>),
    Stacked(Stacked),
}

impl<'w> Kernel<'w> {
    /// The fused kernel of `weights`' kept layout, the stacked one on CPUs without; `first` is
    /// the most sequences a step will have.
    fn new(weights: &'w LstmWeights, first: usize) -> Self {
        match weights.fused() {
            #[cfg(target_arch = "x86_64")]
            Fused::Avx512(blocks) => Kernel::Avx512(blocks),
            #[cfg(target_arch = "x86_64")]
            Fused::Avx2(blocks) => Kernel::Avx2(blocks),
            Fused::Unavailable => Kernel::Stacked(Stacked::new(weights, first)),
        }
    }

    /// `(n_in, hidden)`.
    fn widths(&self) -> (usize, usize) {
        match self {
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx512(blocks) => (blocks.n_in, blocks.hidden),
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2(blocks) => (blocks.n_in, blocks.hidden),
            Kernel::Stacked(stacked) => (stacked.n_in, stacked.hidden),
        }
    }

    /// Runs one step: writes `c_t` into `step.c`, `h_t` into the rows `step.x_rows` of the
    /// output, and the activated gates into `step.gates` when given (`k × 4 hidden` floats).
    ///
    /// # Safety
    /// `step.h` points at rows of `hidden` writable floats, `h_stride` apart, for every index in
    /// `x_rows` and readable ones for every index in `prev`; no index is in both; `x` holds every
    /// row of `x_rows`; `c` and `prev`'s `c_{t-1}` hold `k × hidden` floats, `k` at most the
    /// `first` the kernel was made for.
    unsafe fn step(&mut self, step: Step<'_>) {
        match self {
            // SAFETY (the fused kernels): the blocks exist because the CPU has their
            // instruction set (a `Simd` token made them); the caller's promise is the kernel's.
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx512(blocks) => unsafe { blocks.step(step) },
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2(blocks) => unsafe { blocks.step(step) },
            // SAFETY: the caller's promise is the kernel's.
            Kernel::Stacked(stacked) => unsafe { stacked.step(step) },
        }
    }
}

/// The portable step: `W_ih` and `W_hh` stacked and [`Packed`], one product of
/// `[x_t | h_{t-1}]` (`k × (in + H)`) per step into the gate sums, then [`cell_forward`] row by
/// row. Its buffers are made once per call.
struct Stacked {
    n_in: usize,
    hidden: usize,
    weights: Packed,
    bias: Vec<f32>,
    /// `[x_t | h_{t-1}]`, a row per sequence.
    a: Vec<f32>,
    /// The gate sums, `4H` per sequence.
    gates: Vec<f32>,
    /// `h_t`, a row per sequence, before it goes to the output.
    h: Vec<f32>,
    /// `c_{-1}`.
    zeros: Vec<f32>,
}

impl Stacked {
    fn new(weights: &LstmWeights, first: usize) -> Self {
        let (n_in, hidden) = (weights.w_ih.shape()[1], weights.hidden);
        let stacked = ndarray::concatenate(
            ndarray::Axis(0),
            &[weights.w_ih.matrix().t(), weights.w_hh.matrix().t()],
        )
        .expect("W_ih and W_hh have 4H rows each");
        Stacked {
            n_in,
            hidden,
            weights: Packed::new(stacked.view()),
            bias: weights.b.value().to_vec(),
            a: vec![0.0; first * (n_in + hidden)],
            gates: vec![0.0; first * 4 * hidden],
            h: vec![0.0; first * hidden],
            zeros: vec![0.0; first * hidden],
        }
    }

    /// # Safety
    /// As [`Kernel::step`].
    unsafe fn step(&mut self, mut step: Step<'_>) {
        let (n_in, hidden, k) = (self.n_in, self.hidden, step.x_rows.len());
        let (k_in, width) = (n_in + hidden, 4 * hidden);
        for (j, row) in self.a.chunks_exact_mut(k_in).take(k).enumerate() {
            let (x, h) = row.split_at_mut(n_in);
            let token = step.x_rows[j];
            x.copy_from_slice(&step.x[token * n_in..(token + 1) * n_in]);
            match step.prev {
                // SAFETY: the caller promises the rows of `prev` readable.
                Some((prev, _)) => h.copy_from_slice(unsafe {
                    std::slice::from_raw_parts(step.h.add(prev[j] * step.h_stride), hidden)
                }),
                None => h.fill(0.0),
            }
        }
        for row in self.gates.chunks_exact_mut(width).take(k) {
            row.copy_from_slice(&self.bias);
        }
        let gates = &mut self.gates[..k * width];
        self.weights.mul_add(&self.a[..k * k_in], gates);
        let c_prev = step
            .prev
            .map_or(&self.zeros[..k * hidden], |(_, c_prev)| c_prev);
        let rows = gates
            .chunks_exact_mut(width)
            .zip(c_prev.chunks_exact(hidden))
            .zip(step.c.chunks_exact_mut(hidden))
            .zip(self.h.chunks_exact_mut(hidden))
            .zip(step.x_rows);
        for (j, ((((g, c_prev), c), h), &token)) in rows.enumerate() {
            cell_forward(g, c_prev, c, h);
            if let Some(kept) = step.gates.as_deref_mut() {
                kept[j * width..(j + 1) * width].copy_from_slice(g);
            }
            // SAFETY: the caller promises the rows of `x_rows` writable, and read by nothing
            // else. (Copied, not written through a slice: the output may be uninitialized.)
            unsafe {
                std::ptr::copy_nonoverlapping(h.as_ptr(), step.h.add(token * step.h_stride), hidden)
            };
        }
    }
}

/// The fused kernel (see the module doc), for the registers of any [`Simd`](crate::kernels::simd::Simd):
/// blocks of as many units as a register has lanes.
#[cfg(target_arch = "x86_64")]
mod fused {
    use super::{LstmWeights, Step};
    use crate::kernels::activations::vector::{sigmoid, tanh};
    use crate::kernels::gemm::Line;
    use crate::kernels::simd::{Avx2, Avx512, Simd};

    /// The weights of one direction in blocks of `S::LANES` units (see the module doc above).
    pub(in crate::layers::recurrence) struct Blocks<S> {
        simd: S,
        pub(super) n_in: usize,
        pub(super) hidden: usize,
        /// Block `b` from row `b · (n_in + hidden)`: `n_in` rows of `W_ihᵀ`, then `hidden`
        /// rows of `W_hhᵀ`, zero past the last unit. A row is `4 · S::LANES` floats, gate `q`
        /// of the block's unit `u` at `q · S::LANES + u`.
        weights: Vec<Line>,
        /// The bias, a row per block.
        bias: Vec<Line>,
    }

    impl<S: Simd> Blocks<S> {
        /// Floats per row.
        const ROW: usize = 4 * S::LANES;
        /// Sequences per kernel call: as many as leave four registers for a row of weights and
        /// one for a broadcast beside their four accumulators each (6 with AVX-512, 2 with AVX2).
        const SEQUENCES: usize = (S::REGISTERS - 5) / 4;

        /// `weights` laid out in blocks, for the instruction set `simd`.
        pub(super) fn new(simd: S, weights: &LstmWeights) -> Self {
            let (n_in, hidden) = (weights.w_ih.shape()[1], weights.hidden);
            let (w_ih, w_hh, b) = (
                weights.w_ih.value(),
                weights.w_hh.value(),
                weights.b.value(),
            );
            let (count, rows) = (hidden.div_ceil(S::LANES), n_in + hidden);
            let (mut packed, mut bias) = (
                Line::zeros(count * rows * Self::ROW),
                Line::zeros(count * Self::ROW),
            );
            let (to, to_bias) = (Line::floats_mut(&mut packed), Line::floats_mut(&mut bias));
            // (No block at all when `hidden` is 0, nor any row: the chunks are never empty.)
            let blocks = to
                .chunks_exact_mut((rows * Self::ROW).max(1))
                .zip(to_bias.chunks_exact_mut(Self::ROW));
            for (block, (to, to_bias)) in blocks.enumerate() {
                let units = block * S::LANES..hidden.min((block + 1) * S::LANES);
                for ((u, unit), q) in units.enumerate().flat_map(|u| (0..4).map(move |q| (u, q))) {
                    let (gate, lane) = (q * hidden + unit, q * S::LANES + u);
                    to_bias[lane] = b[gate];
                    let from_ih = &w_ih[gate * n_in..(gate + 1) * n_in];
                    let from_hh = &w_hh[gate * hidden..(gate + 1) * hidden];
                    let (to_ih, to_hh) = to.split_at_mut(n_in * Self::ROW);
                    for (to, from) in [(to_ih, from_ih), (to_hh, from_hh)] {
                        for (row, &v) in to.chunks_exact_mut(Self::ROW).zip(from) {
                            row[lane] = v;
                        }
                    }
                }
            }
            Blocks {
                simd,
                n_in,
                hidden,
                weights: packed,
                bias,
            }
        }

        /// Block `block`'s first row of weights and its bias.
        fn block(&self, block: usize) -> (*const f32, *const f32) {
            let rows = self.n_in + self.hidden;
            (
                Line::floats(&self.weights)[block * rows * Self::ROW..].as_ptr(),
                Line::floats(&self.bias)[block * Self::ROW..].as_ptr(),
            )
        }

        /// The step, [`Self::SEQUENCES`] sequences and one block at a time; inlined into the
        /// entry points below, which enable the instruction set.
        ///
        /// # Safety
        /// As [`Kernel::step`](super::Kernel::step).
        #[inline(always)]
        unsafe fn run(&self, mut step: Step<'_>) {
            let k = step.x_rows.len();
            for block in 0..self.hidden.div_ceil(S::LANES) {
                let mut j = 0;
                while j < k {
                    // SAFETY: as the caller promises, for sequences j..j + R (R <= k - j).
                    unsafe {
                        // Groups as even as possible: with six at most, 13 sequences go 5, 4, 4
                        // rather than 6, 6, 1. (Arms above `SEQUENCES` are never reached.)
                        let rest = k - j;
                        j += match rest.div_ceil(rest.div_ceil(Self::SEQUENCES)) {
                            1 => self.rows::<1>(&mut step, block, j),
                            2 => self.rows::<2>(&mut step, block, j),
                            3 => self.rows::<3>(&mut step, block, j),
                            4 => self.rows::<4>(&mut step, block, j),
                            5 => self.rows::<5>(&mut step, block, j),
                            _ => self.rows::<6>(&mut step, block, j),
                        };
                    }
                }
            }
        }

        /// Sequences `j..j + R` through block `block`; returns `R`.
        ///
        /// # Safety
        /// As [`run`](Self::run), with `j + R <= k`.
        #[inline(always)]
        unsafe fn rows<const R: usize>(
            &self,
            step: &mut Step<'_>,
            block: usize,
            j: usize,
        ) -> usize {
            debug_assert!(R <= Self::SEQUENCES, "more sequences than registers");
            let (s, n_in, hidden) = (self.simd, self.n_in, self.hidden);
            let (w, bias) = self.block(block);
            let unit = block * S::LANES;
            let units = (hidden - unit).min(S::LANES);
            // SAFETY: the block has `n_in + hidden` rows; the row pointers are the caller's.
            unsafe {
                let bias: [S::V; 4] = std::array::from_fn(|q| s.load(bias.add(q * S::LANES)));
                let mut acc = [bias; R];
                let x: [*const f32; R] =
                    std::array::from_fn(|r| step.x.as_ptr().add(step.x_rows[j + r] * n_in));
                sum_products(s, &mut acc, x, w, n_in);
                if let Some((prev, _)) = step.prev {
                    let h: [*const f32; R] = std::array::from_fn(|r| {
                        step.h.add(prev[j + r] * step.h_stride).cast_const()
                    });
                    sum_products(s, &mut acc, h, w.add(n_in * Self::ROW), hidden);
                }
                for (r, [i, f, g, o]) in acc.into_iter().enumerate() {
                    let at = (j + r) * hidden + unit;
                    let c_prev = match step.prev {
                        Some((_, c_prev)) => s.load_first(c_prev.as_ptr().add(at), units),
                        None => s.splat(0.0),
                    };
                    let [i, f, g, o] = [sigmoid(s, i), sigmoid(s, f), tanh(s, g), sigmoid(s, o)];
                    if let Some(kept) = step.gates.as_deref_mut() {
                        let row = kept.as_mut_ptr().add((j + r) * 4 * hidden + unit);
                        for (q, gate) in [i, f, g, o].into_iter().enumerate() {
                            s.store_first(row.add(q * hidden), gate, units);
                        }
                    }
                    let c = s.mul_add(f, c_prev, s.mul(i, g));
                    let h = s.mul(o, tanh(s, c));
                    s.store_first(step.c.as_mut_ptr().add(at), c, units);
                    let out = step.h.add(step.x_rows[j + r] * step.h_stride + unit);
                    s.store_first(out, h, units);
                }
            }
            R
        }
    }

    impl Blocks<Avx512> {
        /// The step, compiled for AVX-512.
        ///
        /// # Safety
        /// As [`Kernel::step`](super::Kernel::step).
        #[target_feature(enable = "avx512f")]
        pub(super) unsafe fn step(&self, step: Step<'_>) {
            // SAFETY: as the caller promises.
            unsafe { self.run(step) }
        }
    }

    impl Blocks<Avx2> {
        /// The step, compiled for AVX2 and FMA.
        ///
        /// # Safety
        /// As [`Kernel::step`](super::Kernel::step).
        #[target_feature(enable = "avx2,fma")]
        pub(super) unsafe fn step(&self, step: Step<'_>) {
            // SAFETY: as the caller promises.
            unsafe { self.run(step) }
        }
    }

    /// `acc[r] += Σ_p a[r][p] · w[p]` over `len` rows of `w`, `4 · S::LANES` floats each.
    ///
    /// # Safety
    /// Each `a[r]` points at `len` floats, `w` at `len` rows.
    #[inline(always)]
    unsafe fn sum_products<S: Simd, const R: usize>(
        s: S,
        acc: &mut [[S::V; 4]; R],
        a: [*const f32; R],
        w: *const f32,
        len: usize,
    ) {
        for p in 0..len {
            // SAFETY: as the caller promises.
            unsafe {
                let w = w.add(p * 4 * S::LANES);
                let w: [S::V; 4] = std::array::from_fn(|q| s.load(w.add(q * S::LANES)));
                for (acc, a) in acc.iter_mut().zip(a) {
                    let v = s.splat(*a.add(p));
                    for (acc, w) in acc.iter_mut().zip(w) {
                        *acc = s.mul_add(v, w, *acc);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::rng::Rng;
    use crate::layers::recurrence::gather;
    use crate::training::testing::assert_close;
    use ndarray::Array2;

    /// Runs `f` on every kernel this CPU can run, by name.
    fn for_each_kernel(weights: &LstmWeights, first: usize, mut f: impl FnMut(&str, Kernel<'_>)) {
        f("stacked", Kernel::Stacked(Stacked::new(weights, first)));
        #[cfg(target_arch = "x86_64")]
        {
            if let Some(s) = Avx512::detect() {
                f("avx512", Kernel::Avx512(&fused::Blocks::new(s, weights)));
            }
            if let Some(s) = Avx2::detect() {
                f("avx2", Kernel::Avx2(&fused::Blocks::new(s, weights)));
            }
        }
    }

    /// The LSTM of the module doc in `f64`, one sequence at a time (the rows of `input`, in
    /// order): the hidden state, cell state and activated gates of every token, in token order.
    fn reference(
        weights: &LstmWeights,
        lengths: &[usize],
        input: &Array2<f32>,
        direction: Direction,
    ) -> [Array2<f32>; 3] {
        let (n, n_in, hidden) = (input.nrows(), input.ncols(), weights.hidden);
        let (w_ih, w_hh, b) = (
            weights.w_ih.matrix(),
            weights.w_hh.matrix(),
            weights.b.value(),
        );
        let mut hs = Array2::zeros((n, hidden));
        let mut cells = Array2::zeros((n, hidden));
        let mut gates = Array2::zeros((n, 4 * hidden));
        let sigmoid = |v: f64| 1.0 / (1.0 + (-v).exp());
        let mut start = 0;
        for &len in lengths {
            let mut tokens: Vec<usize> = (start..start + len).collect();
            if direction == Direction::Backward {
                tokens.reverse();
            }
            let (mut h, mut c) = (vec![0.0f64; hidden], vec![0.0f64; hidden]);
            for t in tokens {
                let z: Vec<f64> = (0..4 * hidden)
                    .map(|q| {
                        let x = (0..n_in).map(|p| f64::from(w_ih[[q, p]] * input[[t, p]]));
                        let r = (0..hidden).map(|p| f64::from(w_hh[[q, p]]) * h[p]);
                        f64::from(b[q]) + x.sum::<f64>() + r.sum::<f64>()
                    })
                    .collect();
                for u in 0..hidden {
                    let z = |q: usize| z[q * hidden + u];
                    let (i, f, g, o) = (sigmoid(z(0)), sigmoid(z(1)), z(2).tanh(), sigmoid(z(3)));
                    c[u] = f * c[u] + i * g;
                    h[u] = o * c[u].tanh();
                    for (q, v) in [i, f, g, o].into_iter().enumerate() {
                        gates[[t, q * hidden + u]] = v as f32;
                    }
                    (hs[[t, u]], cells[[t, u]]) = (h[u] as f32, c[u] as f32);
                }
            }
            start += len;
        }
        [hs, cells, gates]
    }

    /// Each kernel against [`reference`], for widths that leave a partial block of units and
    /// batches that leave partial groups of sequences: predicting (token order; the output's
    /// other columns stay as they were) and in the training forward pass (packed order, with
    /// the gates and cell states kept).
    #[test]
    fn every_kernel_matches_a_reference_in_both_passes() {
        let mut rng = Rng::new(5);
        for (n_in, hidden, lengths) in [
            (7, 20, vec![3, 1, 0, 4, 2, 2, 5, 1, 3, 3, 2, 4, 1]),
            (64, 64, (0..40).map(|i| 1 + i % 9).collect()),
            (3, 1, vec![2, 2]),
            (0, 5, vec![3, 1]),
        ] {
            let weights = LstmWeights::new(n_in, hidden);
            let packing = Packing::new(&lengths);
            let n: usize = lengths.iter().sum();
            let input = Array2::from_shape_fn((n, n_in), |_| rng.uniform(-2.0, 2.0));
            let packed_rows: Vec<usize> = (0..n).collect();
            for direction in [Direction::Forward, Direction::Backward] {
                let expected = reference(&weights, &lengths, &input, direction);
                let rows = packing.rows(direction);
                let xp = gather(input.view(), rows);
                let first = packing.batch_sizes[0];
                for_each_kernel(&weights, first, |name, kernel| {
                    let mut out = Array2::from_elem((n, hidden + 3), MaybeUninit::new(7.0));
                    let view = out.slice_mut(ndarray::s![.., 1..hidden + 1]);
                    run(kernel, &packing, rows, input.view(), view, None);
                    // SAFETY: every element started initialized.
                    let out = unsafe { out.assume_init() };
                    let found = out.slice(ndarray::s![.., 1..hidden + 1]);
                    assert_close(found, expected[0].view(), 1e-5);
                    let others = out.column(0).into_iter().chain(out.column(hidden + 1));
                    assert!(
                        others.into_iter().all(|&v| v == 7.0),
                        "{name} wrote outside"
                    );
                });
                for_each_kernel(&weights, first, |_, kernel| {
                    // NaN wherever a kernel fails to write.
                    let mut hs = Array2::from_elem((n, hidden), MaybeUninit::new(f32::NAN));
                    let mut gates = Array2::from_elem((n, 4 * hidden), f32::NAN);
                    let mut cells = Array2::from_elem((n, hidden), f32::NAN);
                    let keep = Keep {
                        gates: gates.as_slice_mut().unwrap(),
                        cells: cells.as_slice_mut().unwrap(),
                    };
                    run(
                        kernel,
                        &packing,
                        &packed_rows,
                        xp.view(),
                        hs.view_mut(),
                        Some(keep),
                    );
                    // SAFETY: every element started initialized.
                    let hs = unsafe { hs.assume_init() };
                    for (found, expected) in [hs, cells, gates].iter().zip(&expected) {
                        let expected = gather(expected.view(), rows);
                        assert_close(found.view(), expected.view(), 1e-5);
                    }
                });
            }
        }
    }
}
