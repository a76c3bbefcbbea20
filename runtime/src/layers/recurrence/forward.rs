//! The forward step kernels of one LSTM direction. For inference ([`predict`]) nothing is kept
//! for backprop, the input is read in token order (no gather) and each `h_t` is written straight
//! to its token's row of the output, which is where the next step reads `h_{t-1}`. The training
//! forward pass ([`forward`]) runs the same kernels over the packed rows and also keeps the
//! activated gates and the cell states.
//!
//! The weights are laid out for the step kernel once, and kept until they change ([`Layout`]).
//! On AVX-512 or AVX2 each step is one fused kernel (the `fused` module): the weights
//! `[W_ih | W_hh]ᵀ` are laid out in blocks of 16 (AVX-512) or
//! 8 hidden units, row `p` of a block holding the four gates `i, f, g, o` of its units; a kernel
//! call takes six (AVX-512) or two sequences and one block, sums
//! `b + x_t · W_ih + h_{t-1} · W_hh` for the block's gate columns in four registers per sequence,
//! applies the activations and the cell update there, and stores the units' `c_t` and `h_t`
//! (and, in training, the gates). Elsewhere, or with the portable kernels asked for (see
//! [`crate::kernels`]), a step is one packed product of `[x_t | h_{t-1}]` with `W_ih` and `W_hh`
//! stacked, then the gate kernel row by row (the `stacked` module).
//!
//! The hidden states are written in place into an array that is not zeroed first
//! ([`Unwritten`]): a step writes the rows of its tokens and reads those of the step before.

use ndarray::{Array2, ArrayView2};

#[cfg(target_arch = "x86_64")]
use super::fused;
use super::stacked::{Stacked, StackedWeights};
use super::{Direction, LstmWeights, Packing};
#[cfg(target_arch = "x86_64")]
use crate::kernels::simd::{Avx2, Avx512};
use crate::kernels::unwritten::{RowWriter, Unwritten};

/// Runs one direction for inference over the token-ordered `input` `(N, in)`, writing each
/// token's hidden state to its row of `out` `(N, H)` (so the rows of `out` are in token order
/// too), then [`finish`](RowWriter::finish)es `out`.
///
/// # Panics
/// If the shapes disagree with the weights and the packing (a bug in the caller).
pub(crate) fn predict(
    weights: &LstmWeights,
    packing: &Packing,
    direction: Direction,
    input: ArrayView2<'_, f32>,
    mut out: RowWriter<'_>,
) {
    let first = packing.batch_sizes.first().copied().unwrap_or(0);
    let kernel = Kernel::new(weights, first);
    run(
        kernel,
        packing,
        packing.rows(direction),
        input,
        &mut out,
        None,
    );
    out.finish();
}

/// What [`backward`](super::backward) needs from [`forward`] besides the input and output: the
/// activated gates `(N, 4H)` and the cell states `(N, H)`, both packed.
pub(crate) struct Cache {
    pub(super) gates: Array2<f32>,
    pub(super) cells: Array2<f32>,
}

/// Runs one direction over the packed input `xp` `(N, in)` for training; returns the packed
/// hidden states `(N, H)` and the [`Cache`] for [`backward`](super::backward).
///
/// # Panics
/// As [`predict`].
pub(crate) fn forward(
    weights: &LstmWeights,
    packing: &Packing,
    xp: ArrayView2<'_, f32>,
) -> (Array2<f32>, Cache) {
    let (n, hidden) = (xp.nrows(), weights.hidden);
    let mut gates = Array2::zeros((n, 4 * hidden));
    let mut cells = Array2::zeros((n, hidden));
    let mut hs = Unwritten::new(n, hidden);
    let mut out = hs.writer();
    let keep = Keep {
        gates: gates.as_slice_mut().expect("standard layout"),
        cells: cells.as_slice_mut().expect("standard layout"),
    };
    let first = packing.batch_sizes.first().copied().unwrap_or(0);
    let packed_rows: Vec<usize> = (0..n).collect();
    let kernel = Kernel::new(weights, first);
    run(kernel, packing, &packed_rows, xp, &mut out, Some(keep));
    out.finish();
    (hs.into_array(), Cache { gates, cells })
}

/// What the training forward pass keeps for backprop, both packed: the activated gates
/// `i, f, g, o` `(N, 4H)` and the cell states `(N, H)`.
struct Keep<'a> {
    gates: &'a mut [f32],
    cells: &'a mut [f32],
}

/// [`predict`] or [`forward`] with the kernel given: step `t` of the sequences reads the input
/// rows `rows[start..start + k]` of block `t` of the packing and writes the same rows of `out`.
fn run(
    mut kernel: Kernel<'_>,
    packing: &Packing,
    rows: &[usize],
    input: ArrayView2<'_, f32>,
    out: &mut RowWriter<'_>,
    keep: Option<Keep<'_>>,
) {
    let (n, n_in) = input.dim();
    let hidden = out.width();
    assert_eq!(
        kernel.widths(),
        (n_in, hidden),
        "widths of the input and output"
    );
    assert_eq!(out.rows(), n, "a row of output per row of input");
    // Every row is written only if the packing covers every row.
    let tokens = packing.rows(Direction::Forward).len();
    assert_eq!((rows.len(), tokens), (n, n), "rows of the packing");
    let mut cells = Cells::new(keep, packing, hidden);
    if hidden == 0 {
        return (0..n).for_each(|r| out.write_row(r, &[]));
    }
    let input = input.as_standard_layout();
    let x = input.as_slice().expect("standard layout");
    for t in 0..packing.steps() {
        let (start, k) = packing.block(t);
        let prev = (t > 0).then(|| packing.offsets[t - 1]);
        let (c, c_prev, gates) = cells.step(hidden, start, k, prev);
        let step = Step {
            x,
            x_rows: &rows[start..start + k],
            prev: prev
                .zip(c_prev)
                .map(|(p, c_prev)| (&rows[p..p + k], c_prev)),
            c,
            h: out,
            gates,
        };
        kernel.step(step);
        cells.next_step();
    }
}

/// Where the steps write the cell states `c_t`, and the gates when they are kept.
enum Cells<'a> {
    /// Inference: `c_t` and `c_{t-1}` take turns in two buffers, as many rows as the first step.
    Turns { c: Vec<f32>, c_prev: Vec<f32> },
    /// Training: every step's `c_t` and gates, kept for backprop.
    Kept(Keep<'a>),
}

impl<'a> Cells<'a> {
    /// The cell states of `hidden` units for the steps over `packing`: into `keep` when given.
    ///
    /// # Panics
    /// If `keep` has not a row of gates and a cell state per row of the packing.
    fn new(keep: Option<Keep<'a>>, packing: &Packing, hidden: usize) -> Self {
        let n = packing.rows(Direction::Forward).len();
        match keep {
            Some(keep) => {
                let gates = keep.gates.len();
                assert_eq!(gates, n * 4 * hidden, "a row of gates per row of input");
                assert_eq!(
                    keep.cells.len(),
                    n * hidden,
                    "a cell state per row of input"
                );
                Cells::Kept(keep)
            }
            None => {
                let first = packing.batch_sizes.first().copied().unwrap_or(0);
                let (c, c_prev) = (vec![0.0; first * hidden], vec![0.0; first * hidden]);
                Cells::Turns { c, c_prev }
            }
        }
    }

    /// For the `k` sequences of a step from packed row `start`: `c_t` to write; `c_{t-1}`, when
    /// there is a step before, from packed row `prev`; and the gates to write when they are kept.
    fn step(
        &mut self,
        hidden: usize,
        start: usize,
        k: usize,
        prev: Option<usize>,
    ) -> (&mut [f32], Option<&[f32]>, Option<&mut [f32]>) {
        match self {
            Cells::Turns { c, c_prev } => {
                let c_prev = prev.map(|_| &c_prev[..k * hidden]);
                (&mut c[..k * hidden], c_prev, None)
            }
            Cells::Kept(keep) => {
                let (done, rest) = keep.cells.split_at_mut(start * hidden);
                let gates = &mut keep.gates[start * 4 * hidden..(start + k) * 4 * hidden];
                let c_prev = prev.map(|p| &done[p * hidden..(p + k) * hidden]);
                (&mut rest[..k * hidden], c_prev, Some(gates))
            }
        }
    }

    /// Moves on to the next step: `c_t` becomes `c_{t-1}`.
    fn next_step(&mut self) {
        if let Cells::Turns { c, c_prev } = self {
            std::mem::swap(c, c_prev);
        }
    }
}

/// The operands of one step, for `k` sequences.
pub(super) struct Step<'a, 'o> {
    /// The token-ordered input, `n_in` floats per token.
    pub(super) x: &'a [f32],
    /// The tokens of this step, one per sequence: their rows of `x` and of `h`.
    pub(super) x_rows: &'a [usize],
    /// The tokens of the previous step (their rows of `h` hold `h_{t-1}`) and `c_{t-1}`
    /// (`k × hidden`); `None` at the first step, where both are zero.
    pub(super) prev: Option<(&'a [usize], &'a [f32])>,
    /// `c_t`, `k × hidden`, written.
    pub(super) c: &'a mut [f32],
    /// The output, a row of `hidden` floats per token: the step writes the rows of `x_rows`.
    pub(super) h: &'a mut RowWriter<'o>,
    /// The activated gates `i, f, g, o`, `4 × hidden` per sequence, written when kept for
    /// backprop.
    pub(super) gates: Option<&'a mut [f32]>,
}

/// One direction's weights laid out for the step kernel this CPU runs: the fused kernel of the
/// widest registers it has, or the portable step. Made by the first call and kept by
/// [`LstmWeights`] until the weights change.
pub(super) enum Layout {
    #[cfg(target_arch = "x86_64")]
    Avx512(fused::Blocks<Avx512>),
    #[cfg(target_arch = "x86_64")]
    Avx2(fused::Blocks<Avx2>),
    /// No fused kernel for this CPU: steps run [`Stacked`].
    Stacked(StackedWeights),
}

impl Layout {
    /// `weights` laid out for this CPU.
    pub(super) fn new(weights: &LstmWeights) -> Self {
        #[cfg(target_arch = "x86_64")]
        if let Some(s) = Avx512::detect() {
            return Layout::Avx512(fused::Blocks::new(s, weights));
        } else if let Some(s) = Avx2::detect() {
            return Layout::Avx2(fused::Blocks::new(s, weights));
        }
        Layout::Stacked(StackedWeights::new(weights))
    }
}

/// How a step is computed: the code that reads a [`Layout`], with its buffers.
enum Kernel<'w> {
    #[cfg(target_arch = "x86_64")]
    Avx512(&'w fused::Blocks<Avx512>),
    #[cfg(target_arch = "x86_64")]
    Avx2(&'w fused::Blocks<Avx2>),
    Stacked(Stacked<'w>),
}

impl<'w> Kernel<'w> {
    /// The kernel of `weights`' kept layout; `first` is the most sequences a step will have.
    fn new(weights: &'w LstmWeights, first: usize) -> Self {
        match weights.layout() {
            #[cfg(target_arch = "x86_64")]
            Layout::Avx512(blocks) => Kernel::Avx512(blocks),
            #[cfg(target_arch = "x86_64")]
            Layout::Avx2(blocks) => Kernel::Avx2(blocks),
            Layout::Stacked(stacked) => Kernel::Stacked(Stacked::new(stacked, first)),
        }
    }

    /// `(n_in, hidden)`.
    fn widths(&self) -> (usize, usize) {
        match self {
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx512(blocks) => (blocks.n_in, blocks.hidden),
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2(blocks) => (blocks.n_in, blocks.hidden),
            Kernel::Stacked(stacked) => (stacked.weights.n_in, stacked.weights.hidden),
        }
    }

    /// Runs one step: writes `c_t` into `step.c`, `h_t` into the rows `step.x_rows` of the
    /// output, and the activated gates into `step.gates` when given (`k × 4 hidden` floats).
    ///
    /// # Panics
    /// If the operands do not fit the kernel: a row of `x_rows` or `prev` outside `x` or the
    /// output, a row of `prev` not written yet, buffers other than `k` rows long, or more
    /// sequences than the `first` the kernel was made for.
    fn step(&mut self, step: Step<'_, '_>) {
        match self {
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx512(blocks) => blocks.step(step),
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2(blocks) => blocks.step(step),
            Kernel::Stacked(stacked) => stacked.step(step),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::rng::Rng;
    use crate::layers::recurrence::gather;
    use crate::training::testing::{affordable, assert_close};
    use ndarray::{Array2, Axis};

    /// Runs `f` on every kernel this CPU can run, by name.
    fn for_each_kernel(weights: &LstmWeights, first: usize, mut f: impl FnMut(&str, Kernel<'_>)) {
        let stacked = StackedWeights::new(weights);
        f("stacked", Kernel::Stacked(Stacked::new(&stacked, first)));
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
        let (w_ih, w_hh, b) = (weights.w_ih.matrix(), weights.w_hh.matrix(), weights.bias());
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
            (3, 9, vec![2, 1, 3]),
            (3, 1, vec![2, 2]),
            (0, 5, vec![3, 1]),
        ] {
            let n: usize = lengths.iter().sum();
            if !affordable(n * 4 * hidden * (n_in + hidden)) {
                continue;
            }
            let weights = LstmWeights::new(n_in, hidden);
            let packing = Packing::new(&lengths);
            let input = Array2::from_shape_fn((n, n_in), |_| rng.uniform(-2.0, 2.0));
            let packed_rows: Vec<usize> = (0..n).collect();
            for direction in [Direction::Forward, Direction::Backward] {
                let expected = reference(&weights, &lengths, &input, direction);
                let rows = packing.rows(direction);
                let xp = gather(input.view(), rows);
                let first = packing.batch_sizes[0];
                for_each_kernel(&weights, first, |name, kernel| {
                    // The output between other columns, written beforehand.
                    let mut out = Unwritten::new(n, hidden + 3);
                    let (mut left, rest) = out.writer().split_at(Axis(1), 1);
                    let (mut middle, mut right) = rest.split_at(Axis(1), hidden);
                    for r in 0..n {
                        left.write_row(r, &[7.0]);
                        right.write_row(r, &[7.0, 7.0]);
                    }
                    run(kernel, &packing, rows, input.view(), &mut middle, None);
                    [left, middle, right]
                        .into_iter()
                        .for_each(RowWriter::finish);
                    let out = out.into_array();
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
                    let mut hs = Unwritten::new(n, hidden);
                    let mut gates = Array2::from_elem((n, 4 * hidden), f32::NAN);
                    let mut cells = Array2::from_elem((n, hidden), f32::NAN);
                    let keep = Keep {
                        gates: gates.as_slice_mut().unwrap(),
                        cells: cells.as_slice_mut().unwrap(),
                    };
                    let mut out = hs.writer();
                    run(
                        kernel,
                        &packing,
                        &packed_rows,
                        xp.view(),
                        &mut out,
                        Some(keep),
                    );
                    out.finish();
                    let hs = hs.into_array();
                    for (found, expected) in [hs, cells, gates].iter().zip(&expected) {
                        let expected = gather(expected.view(), rows);
                        assert_close(found.view(), expected.view(), 1e-5);
                    }
                });
            }
        }
    }

    /// A NaN in the first token of the second of two sequences: every kernel gives NaN in that
    /// sequence's hidden states (the clamps of the vector `exp` keep NaN) and numbers in the
    /// other's.
    #[test]
    fn every_kernel_keeps_nan_in_its_sequence() {
        let (n_in, hidden, lengths) = (5, 20, [3, 2]);
        let weights = LstmWeights::new(n_in, hidden);
        let packing = Packing::new(&lengths);
        let mut input = Array2::from_elem((5, n_in), 0.5);
        input[[3, 2]] = f32::NAN;
        let rows = packing.rows(Direction::Forward);
        for_each_kernel(&weights, packing.batch_sizes[0], |name, kernel| {
            let mut out = Unwritten::new(5, hidden);
            let mut writer = out.writer();
            run(kernel, &packing, rows, input.view(), &mut writer, None);
            writer.finish();
            let out = out.into_array();
            for (token, h) in out.rows().into_iter().enumerate() {
                let nan = h.iter().all(|v| v.is_nan());
                assert_eq!(nan, token >= 3, "{name}: token {token}: {h}");
            }
        });
    }
}
