//! Inference through one LSTM direction: no gates kept for backprop, the input read in token
//! order (no gather) and each `h_t` written straight to its token's row of the output, which is
//! where the next step reads `h_{t-1}`.
//!
//! On AVX-512 each step is one fused kernel ([`avx512`]): the weights `[W_ih | W_hh]ᵀ` are laid
//! out once per call in blocks of 16 hidden units, row `p` of a block holding the four gates
//! `i, f, g, o` of its units (64 floats); a kernel call takes six sequences and one block, sums
//! `b + x_t · W_ih + h_{t-1} · W_hh` for the 64 gate columns in 24 registers, applies the
//! activations and the cell update there, and stores 16 units of `c_t` and `h_t`. No gate is
//! ever written to memory. Elsewhere ([`Stacked`]) a step is one packed product of
//! `[x_t | h_{t-1}]` with `W_ih` and `W_hh` stacked, then the gate kernel row by row.

use ndarray::{ArrayView2, ArrayViewMut2};

use super::{Direction, LstmWeights, Packing, cell_forward};
use crate::gemm::Packed;

/// Runs one direction for inference over the token-ordered `input` `(N, in)`, writing each
/// token's hidden state to its row of `out` `(N, H)`: the rows of `out` are in token order too.
///
/// # Panics
/// If the shapes disagree with the weights and the packing (a bug in the caller).
pub(crate) fn predict(
    weights: &LstmWeights,
    packing: &Packing,
    direction: Direction,
    input: ArrayView2<'_, f32>,
    out: ArrayViewMut2<'_, f32>,
) {
    let first = packing.batch_sizes.first().copied().unwrap_or(0);
    run(Kernel::new(weights, first), packing, direction, input, out);
}

/// [`predict`] with the kernel given.
fn run(
    mut kernel: Kernel,
    packing: &Packing,
    direction: Direction,
    input: ArrayView2<'_, f32>,
    mut out: ArrayViewMut2<'_, f32>,
) {
    let (n, n_in) = input.dim();
    let hidden = out.ncols();
    assert_eq!(
        kernel.widths(),
        (n_in, hidden),
        "widths of the input and output"
    );
    assert_eq!(out.nrows(), n, "a row of output per row of input");
    assert_eq!(packing.rows(direction).len(), n, "rows of the packing");
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
    let h = out.as_mut_ptr();
    let rows = packing.rows(direction);
    let first = packing.batch_sizes[0];
    let (mut c_prev, mut c) = (vec![0.0; first * hidden], vec![0.0; first * hidden]);
    for t in 0..packing.steps() {
        let (start, k) = packing.block(t);
        let step = Step {
            x,
            x_rows: &rows[start..start + k],
            prev: (t > 0).then(|| {
                let prev = packing.offsets[t - 1];
                (&rows[prev..prev + k], &c_prev[..k * hidden])
            }),
            c: &mut c[..k * hidden],
            h,
            h_stride: stride,
        };
        // SAFETY: `h` points at `out`, `n` rows of `hidden` floats `stride` apart; every index in
        // `rows` is below `n` (the packing is of `n` tokens) and the indices of block `t` differ
        // from those of block `t - 1` (each token is in one block), so the rows written are not
        // the rows read; `x` has `n` rows of `n_in`; `c` and `c_prev` hold `k × hidden` floats.
        unsafe { kernel.step(step) };
        std::mem::swap(&mut c_prev, &mut c);
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
    /// The output: token `r`'s `h` at `h + r · h_stride`.
    h: *mut f32,
    h_stride: usize,
}

/// How a step is computed: the layout of the weights and the code that reads it.
enum Kernel {
    #[cfg(target_arch = "x86_64")]
    Fused(avx512::Blocks),
    Stacked(Stacked),
}

impl Kernel {
    /// The fused kernel when the CPU has AVX-512F, the stacked one otherwise; `first` is the
    /// most sequences a step will have.
    fn new(weights: &LstmWeights, first: usize) -> Self {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx512f") {
            return Kernel::Fused(avx512::Blocks::new(weights));
        }
        Kernel::Stacked(Stacked::new(weights, first))
    }

    /// `(n_in, hidden)`.
    fn widths(&self) -> (usize, usize) {
        match self {
            #[cfg(target_arch = "x86_64")]
            Kernel::Fused(blocks) => (blocks.n_in, blocks.hidden),
            Kernel::Stacked(stacked) => (stacked.n_in, stacked.hidden),
        }
    }

    /// Runs one step: writes `c_t` into `step.c` and `h_t` into the rows `step.x_rows` of the
    /// output.
    ///
    /// # Safety
    /// `step.h` points at rows of `hidden` writable floats, `h_stride` apart, for every index in
    /// `x_rows` and readable ones for every index in `prev`; no index is in both; `x` holds every
    /// row of `x_rows`; `c` and `prev`'s `c_{t-1}` hold `k × hidden` floats, `k` at most the
    /// `first` the kernel was made for.
    unsafe fn step(&mut self, step: Step<'_>) {
        match self {
            // SAFETY: the kernel was chosen because the CPU has AVX-512F; the caller's promise
            // is the kernel's.
            #[cfg(target_arch = "x86_64")]
            Kernel::Fused(blocks) => unsafe { avx512::step(blocks, step) },
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
            zeros: vec![0.0; first * hidden],
        }
    }

    /// # Safety
    /// As [`Kernel::step`].
    unsafe fn step(&mut self, step: Step<'_>) {
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
            .zip(step.x_rows);
        for (((g, c_prev), c), &token) in rows {
            // SAFETY: the caller promises the rows of `x_rows` writable, and read by nothing
            // else.
            let h = unsafe {
                std::slice::from_raw_parts_mut(step.h.add(token * step.h_stride), hidden)
            };
            cell_forward(g, c_prev, c, h);
        }
    }
}

/// The fused kernel (see the module doc).
#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::*;

    use super::{LstmWeights, Step};
    use crate::activations::avx512::{sigmoid, tanh};
    use crate::gemm::Line;

    /// Hidden units per block: one register per gate.
    const UNITS: usize = 16;
    /// A row of a block: the four gates of its units, each on a cache line.
    type Row = [Line; 4];
    /// Sequences per kernel call: 6 × 4 accumulators, four weight registers and a broadcast of
    /// the 32 registers.
    const MR: usize = 6;

    /// The weights of one direction in blocks of [`UNITS`] units (see the module doc above).
    pub(super) struct Blocks {
        pub(super) n_in: usize,
        pub(super) hidden: usize,
        /// Block `b` from row `b · (n_in + hidden)`: `n_in` rows of `W_ihᵀ`, then `hidden`
        /// rows of `W_hhᵀ`, zero past the last unit.
        weights: Vec<Row>,
        /// The bias, a row per block.
        bias: Vec<Row>,
    }

    impl Blocks {
        pub(super) fn new(weights: &LstmWeights) -> Self {
            let (n_in, hidden) = (weights.w_ih.shape()[1], weights.hidden);
            let (w_ih, w_hh, b) = (
                weights.w_ih.value(),
                weights.w_hh.value(),
                weights.b.value(),
            );
            let count = hidden.div_ceil(UNITS);
            let rows = n_in + hidden;
            let mut packed = vec![Row::default(); count * rows];
            let mut bias = vec![Row::default(); count];
            for (block, (w, bias)) in packed.chunks_exact_mut(rows).zip(&mut bias).enumerate() {
                let units = block * UNITS..hidden.min((block + 1) * UNITS);
                // Gate `q` of unit `unit` goes to lane `u` of line `q` of each row.
                for ((u, unit), q) in units.enumerate().flat_map(|u| (0..4).map(move |q| (u, q))) {
                    let gate = q * hidden + unit;
                    bias[q].0[u] = b[gate];
                    let (to_ih, to_hh) = w.split_at_mut(n_in);
                    let from_ih = &w_ih[gate * n_in..(gate + 1) * n_in];
                    let from_hh = &w_hh[gate * hidden..(gate + 1) * hidden];
                    for (to, from) in [(to_ih, from_ih), (to_hh, from_hh)] {
                        to.iter_mut()
                            .zip(from)
                            .for_each(|(row, &v)| row[q].0[u] = v);
                    }
                }
            }
            Blocks {
                n_in,
                hidden,
                weights: packed,
                bias,
            }
        }

        /// Block `block`'s rows of weights and its bias.
        fn block(&self, block: usize) -> (&[Row], &Row) {
            let size = self.n_in + self.hidden;
            (
                &self.weights[block * size..(block + 1) * size],
                &self.bias[block],
            )
        }
    }

    /// The step, [`MR`] sequences and one block at a time.
    ///
    /// # Safety
    /// The CPU must support AVX-512F; and as [`Kernel::step`](super::Kernel::step).
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn step(blocks: &Blocks, mut step: Step<'_>) {
        let k = step.x_rows.len();
        for block in 0..blocks.hidden.div_ceil(UNITS) {
            let mut j = 0;
            while j < k {
                // SAFETY: as the caller promises, for sequences j..j + R (R <= k - j).
                unsafe {
                    // Groups as even as possible: 13 sequences go 5, 4, 4 rather than 6, 6, 1.
                    let rest = k - j;
                    j += match rest.div_ceil(rest.div_ceil(MR)) {
                        1 => rows::<1>(blocks, &mut step, block, j),
                        2 => rows::<2>(blocks, &mut step, block, j),
                        3 => rows::<3>(blocks, &mut step, block, j),
                        4 => rows::<4>(blocks, &mut step, block, j),
                        5 => rows::<5>(blocks, &mut step, block, j),
                        _ => rows::<MR>(blocks, &mut step, block, j),
                    };
                }
            }
        }
    }

    /// Sequences `j..j + R` through block `block`; returns `R`.
    ///
    /// # Safety
    /// As [`step`], with `j + R <= k`.
    #[target_feature(enable = "avx512f")]
    #[inline]
    unsafe fn rows<const R: usize>(
        blocks: &Blocks,
        step: &mut Step<'_>,
        block: usize,
        j: usize,
    ) -> usize {
        let (n_in, hidden) = (blocks.n_in, blocks.hidden);
        let (w, bias) = blocks.block(block);
        let w = w.as_ptr();
        let units = (hidden - block * UNITS).min(UNITS);
        let mask: __mmask16 = (((1u32 << units) - 1) & 0xffff) as u16;
        // SAFETY: the block has `n_in + hidden` rows; the row pointers are the caller's.
        unsafe {
            let bias: [__m512; 4] = std::array::from_fn(|q| _mm512_load_ps(bias[q].0.as_ptr()));
            let mut acc = [bias; R];
            let x: [*const f32; R] =
                std::array::from_fn(|r| step.x.as_ptr().add(step.x_rows[j + r] * n_in));
            sum_products(&mut acc, x, w, n_in);
            if let Some((prev, _)) = step.prev {
                let h: [*const f32; R] =
                    std::array::from_fn(|r| step.h.add(prev[j + r] * step.h_stride).cast_const());
                sum_products(&mut acc, h, w.add(n_in), hidden);
            }
            let unit = block * UNITS;
            for (r, [i, f, g, o]) in acc.into_iter().enumerate() {
                let at = (j + r) * hidden + unit;
                let c_prev = match step.prev {
                    Some((_, c_prev)) => _mm512_maskz_loadu_ps(mask, c_prev.as_ptr().add(at)),
                    None => _mm512_setzero_ps(),
                };
                let c = _mm512_fmadd_ps(sigmoid(f), c_prev, _mm512_mul_ps(sigmoid(i), tanh(g)));
                let h = _mm512_mul_ps(sigmoid(o), tanh(c));
                _mm512_mask_storeu_ps(step.c.as_mut_ptr().add(at), mask, c);
                let out = step.h.add(step.x_rows[j + r] * step.h_stride + unit);
                _mm512_mask_storeu_ps(out, mask, h);
            }
        }
        R
    }

    /// `acc[r] += Σ_p a[r][p] · w[p]` over `len` rows of `w`.
    ///
    /// # Safety
    /// Each `a[r]` points at `len` floats, `w` at `len` rows.
    #[target_feature(enable = "avx512f")]
    #[inline]
    unsafe fn sum_products<const R: usize>(
        acc: &mut [[__m512; 4]; R],
        a: [*const f32; R],
        w: *const Row,
        len: usize,
    ) {
        for p in 0..len {
            // SAFETY: as the caller promises.
            unsafe {
                let w = &*w.add(p);
                let w: [__m512; 4] = std::array::from_fn(|q| _mm512_load_ps(w[q].0.as_ptr()));
                for (acc, a) in acc.iter_mut().zip(a) {
                    let v = _mm512_set1_ps(*a.add(p));
                    for (acc, w) in acc.iter_mut().zip(w) {
                        *acc = _mm512_fmadd_ps(v, w, *acc);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Rng;
    use crate::layers::recurrence::{forward, gather, scatter};
    use crate::testing::assert_close;
    use ndarray::Array2;

    /// Every kernel this CPU can run, by name.
    fn kernels(weights: &LstmWeights, first: usize) -> Vec<(&'static str, Kernel)> {
        let mut kernels = vec![("stacked", Kernel::Stacked(Stacked::new(weights, first)))];
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx512f") {
            kernels.push(("fused", Kernel::Fused(avx512::Blocks::new(weights))));
        }
        kernels
    }

    /// Each kernel against the training forward pass, for widths that leave a partial block of
    /// units and batches that leave partial groups of sequences; the output's other columns
    /// stay as they were.
    #[test]
    fn predict_matches_the_training_forward_pass() {
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
            for direction in [Direction::Forward, Direction::Backward] {
                let rows = packing.rows(direction);
                let (packed, _) = forward(&weights, &packing, gather(input.view(), rows).view());
                let mut expected = Array2::zeros((n, hidden));
                scatter(packed.view(), rows, expected.view_mut(), false);
                for (name, kernel) in kernels(&weights, packing.batch_sizes[0]) {
                    let mut out = Array2::from_elem((n, hidden + 3), 7.0);
                    let view = out.slice_mut(ndarray::s![.., 1..hidden + 1]);
                    run(kernel, &packing, direction, input.view(), view);
                    let found = out.slice(ndarray::s![.., 1..hidden + 1]);
                    assert_close(found, expected.view(), 1e-6);
                    let others = out.column(0).into_iter().chain(out.column(hidden + 1));
                    assert!(
                        others.into_iter().all(|&v| v == 7.0),
                        "{name} wrote outside"
                    );
                }
            }
        }
    }
}
