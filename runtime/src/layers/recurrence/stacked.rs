//! The portable step of one LSTM direction, for CPUs without the fused kernels: [`Stacked`]
//! over the [`StackedWeights`], and the kernel of one row of a step, [`cell_forward`].

use super::LstmWeights;
use super::forward::Step;
use crate::kernels::activations::{sigmoid, tanh};
use crate::kernels::gemm::Packed;
use crate::kernels::ops::multiversion;

/// One direction's weights for the portable step: `W_ih` and `W_hh` stacked (`(in + H) × 4H`)
/// and [`Packed`], and the bias.
pub(super) struct StackedWeights {
    pub(super) n_in: usize,
    pub(super) hidden: usize,
    packed: Packed,
    bias: Vec<f32>,
}

impl StackedWeights {
    /// `weights` stacked and packed.
    pub(super) fn new(weights: &LstmWeights) -> Self {
        let (n_in, hidden) = (weights.w_ih.shape()[1], weights.hidden);
        let stacked = ndarray::concatenate(
            ndarray::Axis(0),
            &[weights.w_ih.matrix().t(), weights.w_hh.matrix().t()],
        )
        .expect("W_ih and W_hh have 4H rows each");
        StackedWeights {
            n_in,
            hidden,
            packed: Packed::new(stacked.view()),
            bias: weights.bias(),
        }
    }
}

/// The portable step: one product of `[x_t | h_{t-1}]` (`k × (in + H)`) with the
/// [`StackedWeights`] per step into the gate sums, then [`cell_forward`] row by row. Its buffers
/// are made once per call.
pub(super) struct Stacked<'w> {
    pub(super) weights: &'w StackedWeights,
    /// `[x_t | h_{t-1}]`, a row per sequence.
    a: Vec<f32>,
    /// The gate sums, `4H` per sequence.
    gates: Vec<f32>,
    /// `h_t`, a row per sequence, before it goes to the output.
    h: Vec<f32>,
    /// `c_{-1}`.
    zeros: Vec<f32>,
}

impl<'w> Stacked<'w> {
    /// The step over `weights`, with the buffers of steps of at most `first` sequences.
    pub(super) fn new(weights: &'w StackedWeights, first: usize) -> Self {
        let (n_in, hidden) = (weights.n_in, weights.hidden);
        Stacked {
            weights,
            a: vec![0.0; first * (n_in + hidden)],
            gates: vec![0.0; first * 4 * hidden],
            h: vec![0.0; first * hidden],
            zeros: vec![0.0; first * hidden],
        }
    }

    /// Runs one step (see `Kernel::step` in the `forward` module).
    pub(super) fn step(&mut self, mut step: Step<'_, '_>) {
        let (n_in, hidden, k) = (self.weights.n_in, self.weights.hidden, step.x_rows.len());
        let (k_in, width) = (n_in + hidden, 4 * hidden);
        for (j, row) in self.a.chunks_exact_mut(k_in).take(k).enumerate() {
            let (x, h) = row.split_at_mut(n_in);
            let token = step.x_rows[j];
            x.copy_from_slice(&step.x[token * n_in..(token + 1) * n_in]);
            match step.prev {
                Some((prev, _)) => h.copy_from_slice(step.h.row(prev[j])),
                None => h.fill(0.0),
            }
        }
        for row in self.gates.chunks_exact_mut(width).take(k) {
            row.copy_from_slice(&self.weights.bias);
        }
        let gates = &mut self.gates[..k * width];
        self.weights.packed.mul_add(&self.a[..k * k_in], gates);
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
            step.h.write_row(token, h);
        }
    }
}

multiversion! {
    /// One row of the forward step: `gates` holds the pre-activations `[i | f | g | o]` on entry
    /// and their activations on return; writes the new cell state `c` and output `h`.
    ///
    /// A function of its own (as is `cell_backward`, in the backward pass), compiled for AVX2
    /// where the CPU has it: its slices are known not to alias and the loop vectorizes; inlined
    /// into the step loop it stayed scalar.
    fn cell_forward(gates: &mut [f32], c_prev: &[f32], c: &mut [f32], h: &mut [f32]) {
        let hidden = c.len();
        let (i, rest) = gates.split_at_mut(hidden);
        let (f, rest) = rest.split_at_mut(hidden);
        let (g, o) = rest.split_at_mut(hidden);
        // Equal lengths, stated, so the loop has no bounds checks and vectorizes.
        let (o, c_prev, h) = (&mut o[..hidden], &c_prev[..hidden], &mut h[..hidden]);
        for u in 0..hidden {
            let (iu, fu, gu, ou) = (sigmoid(i[u]), sigmoid(f[u]), tanh(g[u]), sigmoid(o[u]));
            let cu = fu * c_prev[u] + iu * gu;
            (i[u], f[u], g[u], o[u]) = (iu, fu, gu, ou);
            c[u] = cu;
            h[u] = ou * tanh(cu);
        }
    }
}
