//! The core of one LSTM direction over a ragged batch, shared by [`Lstm`](super::Lstm) and
//! [`BiLstm`](super::BiLstm).
//!
//! # Math
//!
//! PyTorch's convention, so reference values compare directly. For hidden width `H`, the
//! parameters of one direction ([`LstmWeights`]) are `W_ih` `(4H, in)`, `W_hh` `(4H, H)` and one
//! bias `b` `(4H)` (PyTorch's `b_ih + b_hh`); the four gate blocks are in the order `i, f, g, o`.
//! Each step of a sequence computes
//!
//! ```text
//! z = x_t · W_ihᵀ + h_{t-1} · W_hhᵀ + b        (4H)
//! i = σ(z_i)   f = σ(z_f)   g = tanh(z_g)   o = σ(z_o)
//! c_t = f ⊙ c_{t-1} + i ⊙ g
//! h_t = o ⊙ tanh(c_t)
//! ```
//!
//! with `h_{-1} = c_{-1} = 0` for every sequence.
//!
//! # Packing
//!
//! A [`Packing`] orders the sequences by length, longest first (ties keep their batch order),
//! and lays the tokens out time-major like PyTorch's `PackedSequence`: block `t` holds step `t`
//! of the `k_t` sequences longer than `t` (`batch_sizes[t] = k_t`, non-increasing), in that
//! sorted order. The state of the sequences still running at step `t` is then a contiguous
//! prefix of block `t - 1`: one matrix product per step, with no padding and no masking.
//! The packed order is a permutation of the token rows; [`Packing::rows`] maps each packed row
//! to its token row. In the backward direction step `t` of a sequence of length `n` is its
//! token `n - 1 - t`.
//!
//! # Cost
//!
//! [`forward`] and [`predict()`] run the same kernels (see the `predict` module): on AVX-512 or
//! AVX2, one fused kernel per step computes the gate sums, their activations and the new states
//! in registers, over a layout of the weights made at the first call and kept until they
//! change. [`forward`] takes the input already in packed order (`N × in`) and also stores the
//! activated gates and the cell states for backprop; [`predict()`] keeps neither. [`backward`]
//! walks the steps in reverse with one recurrent product per step, and sums the weight
//! gradients after the loop, one product each. Its products run on the kernels of
//! `crate::kernels::product` (AVX-512 or AVX2; matrixmultiply elsewhere), which read the weights and
//! the gradients where they are.
//! Buffers are allocated once per call, never per step. The gate activations use a vectorizable
//! `exp` rather than libm's calls (see [`crate::kernels::activations`]).

mod predict;

use std::sync::OnceLock;

use ndarray::{Array2, ArrayView2, ArrayViewMut2, s};

use predict::Fused;
pub(crate) use predict::predict;

use crate::kernels::activations::{sigmoid, tanh};
use crate::kernels::ops::{add_column_sums, add_matmul, add_t_matmul, multiversion};
use crate::kernels::rng::Rng;
use crate::model::{Param, Visit, VisitMut};

/// The parameters of one LSTM direction: `W_ih` `(4H, in)`, `W_hh` `(4H, H)`, `b` `(4H)`.
pub(crate) struct LstmWeights {
    w_ih: Param,
    w_hh: Param,
    b: Param,
    hidden: usize,
    /// The weights laid out for inference: made by the first prediction, dropped by every
    /// method that lends the parameters mutably, so never out of date.
    fused: OnceLock<Fused>,
}

impl LstmWeights {
    /// Fresh weights from `n_in` inputs to `hidden` units: every value uniform in
    /// `±1/sqrt(hidden)`, as PyTorch initializes its LSTM (the single bias too).
    pub(crate) fn new(n_in: usize, hidden: usize) -> Self {
        let mut rng = Rng::fresh();
        let limit = 1.0 / (hidden.max(1) as f32).sqrt();
        let gates = 4 * hidden;
        let w_ih = Param::new(&[gates, n_in], rng.uniform_vec(gates * n_in, limit));
        let w_hh = Param::new(&[gates, hidden], rng.uniform_vec(gates * hidden, limit));
        let b = Param::new(&[gates], rng.uniform_vec(gates, limit));
        LstmWeights {
            w_ih,
            w_hh,
            b,
            hidden,
            fused: OnceLock::new(),
        }
    }

    /// The weights laid out for inference, made now if need be.
    fn fused(&self) -> &Fused {
        self.fused.get_or_init(|| Fused::new(self))
    }

    /// Names the parameters `W_ih`, `W_hh`, `b` in the current scope.
    pub(crate) fn visit(&self, walk: &mut Visit<'_>) {
        walk.param("W_ih", &self.w_ih);
        walk.param("W_hh", &self.w_hh);
        walk.param("b", &self.b);
    }

    /// Names the parameters mutably, in the order of [`visit`](Self::visit).
    pub(crate) fn visit_mut(&mut self, walk: &mut VisitMut<'_>) {
        self.fused.take();
        walk.param("W_ih", &mut self.w_ih);
        walk.param("W_hh", &mut self.w_hh);
        walk.param("b", &mut self.b);
    }

    /// The parameters, mutably, for tests that set known values.
    #[cfg(test)]
    pub(crate) fn params_mut(&mut self) -> [&mut Param; 3] {
        self.fused.take();
        [&mut self.w_ih, &mut self.w_hh, &mut self.b]
    }
}

/// Which way a direction reads its sequences.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    /// First token to last.
    Forward,
    /// Last token to first.
    Backward,
}

/// The time-major packed layout of a ragged batch (see the module doc).
pub(crate) struct Packing {
    /// `batch_sizes[t]`: the number of sequences longer than `t`; non-increasing.
    batch_sizes: Vec<usize>,
    /// `offsets[t]`: the first packed row of block `t`; `offsets[T]` is the number of tokens.
    offsets: Vec<usize>,
    /// Packed row → token row, forward direction.
    forward: Vec<usize>,
    /// Packed row → token row, backward direction.
    backward: Vec<usize>,
}

impl Packing {
    /// The layout of sequences of these `lengths`, stored one after the other.
    pub(crate) fn new(lengths: &[usize]) -> Self {
        let mut starts = Vec::with_capacity(lengths.len());
        let mut total = 0;
        for &len in lengths {
            starts.push(total);
            total += len;
        }
        let mut order: Vec<usize> = (0..lengths.len()).filter(|&s| lengths[s] > 0).collect();
        order.sort_by_key(|&s| std::cmp::Reverse(lengths[s]));
        let steps = order.first().map_or(0, |&s| lengths[s]);

        let mut batch_sizes = Vec::with_capacity(steps);
        let mut offsets = Vec::with_capacity(steps + 1);
        let mut forward = Vec::with_capacity(total);
        let mut backward = Vec::with_capacity(total);
        let mut running = order.len();
        for t in 0..steps {
            while lengths[order[running - 1]] <= t {
                running -= 1;
            }
            batch_sizes.push(running);
            offsets.push(forward.len());
            for &s in &order[..running] {
                forward.push(starts[s] + t);
                backward.push(starts[s] + lengths[s] - 1 - t);
            }
        }
        offsets.push(forward.len());
        Packing {
            batch_sizes,
            offsets,
            forward,
            backward,
        }
    }

    /// Packed row → token row for `direction`.
    pub(crate) fn rows(&self, direction: Direction) -> &[usize] {
        match direction {
            Direction::Forward => &self.forward,
            Direction::Backward => &self.backward,
        }
    }

    /// Number of time steps: the longest length.
    fn steps(&self) -> usize {
        self.batch_sizes.len()
    }

    /// The packed rows of block `t`: their first row and how many.
    fn block(&self, t: usize) -> (usize, usize) {
        (self.offsets[t], self.batch_sizes[t])
    }
}

/// `packed[p] = src[rows[p]]`: the rows of `src` in packed order.
pub(crate) fn gather(src: ArrayView2<'_, f32>, rows: &[usize]) -> Array2<f32> {
    let width = src.ncols();
    let mut out = Vec::with_capacity(rows.len() * width);
    for &r in rows {
        let row = src.row(r);
        match row.as_slice() {
            Some(slice) => out.extend_from_slice(slice),
            None => out.extend(row.iter().copied()),
        }
    }
    Array2::from_shape_vec((rows.len(), width), out).expect("one row per index")
}

/// `dst[rows[p]] = packed[p]` (or `+=` when `add`): packed rows back to token order.
pub(crate) fn scatter(
    packed: ArrayView2<'_, f32>,
    rows: &[usize],
    mut dst: ArrayViewMut2<'_, f32>,
    add: bool,
) {
    debug_assert_eq!(packed.nrows(), rows.len());
    for (src, &r) in packed.rows().into_iter().zip(rows) {
        let mut dst = dst.row_mut(r);
        match (src.as_slice(), dst.as_slice_mut()) {
            (Some(src), Some(dst)) if add => dst.iter_mut().zip(src).for_each(|(d, s)| *d += s),
            (Some(src), Some(dst)) => dst.copy_from_slice(src),
            _ if add => dst += &src,
            _ => dst.assign(&src),
        }
    }
}

/// What [`backward`] needs from [`forward`] besides the input and output: the activated
/// gates `(N, 4H)` and the cell states `(N, H)`, both packed.
pub(crate) struct Cache {
    gates: Array2<f32>,
    cells: Array2<f32>,
}

/// Runs one direction over the packed input `xp` `(N, in)`; returns the packed hidden states
/// `(N, H)` and the [`Cache`] for [`backward`] (inference drops it).
pub(crate) fn forward(
    weights: &LstmWeights,
    packing: &Packing,
    xp: ArrayView2<'_, f32>,
) -> (Array2<f32>, Cache) {
    let (n, hidden) = (xp.nrows(), weights.hidden);
    let mut gates = Array2::zeros((n, 4 * hidden));
    let mut cells = Array2::zeros((n, hidden));
    let mut hs = Array2::uninit((n, hidden));
    let keep = predict::Keep {
        gates: gates.as_slice_mut().expect("standard layout"),
        cells: cells.as_slice_mut().expect("standard layout"),
    };
    predict::forward(weights, packing, xp, hs.view_mut(), keep);
    // SAFETY: `predict::forward` wrote every element.
    let hs = unsafe { hs.assume_init() };
    (hs, Cache { gates, cells })
}

/// Back through one direction. `xp` and `hs` are the packed input and output of [`forward`],
/// `d_hs` the packed gradient of `hs` (used as scratch). Adds the gradients of `W_ih`, `W_hh`
/// and `b` into `weights` and returns the packed gradient of `xp` `(N, in)`.
pub(crate) fn backward(
    weights: &LstmWeights,
    packing: &Packing,
    xp: ArrayView2<'_, f32>,
    hs: ArrayView2<'_, f32>,
    cache: Cache,
    mut d_hs: Array2<f32>,
) -> Array2<f32> {
    let n = xp.nrows();
    let hidden = weights.hidden;
    let width = 4 * hidden;
    // The gate activations are overwritten, row by row, with the pre-activation gradients.
    let Cache { mut gates, cells } = cache;
    if hidden == 0 || n == 0 {
        return Array2::zeros((n, xp.ncols()));
    }
    let first = packing.batch_sizes[0];
    let zeros = vec![0.0; first * hidden];
    // d_c carried from step t + 1 to step t, for the running prefix.
    let mut d_c = vec![0.0; first * hidden];
    let g_all = gates.as_slice_mut().expect("standard layout");
    let c_all = cells.as_slice().expect("standard layout");
    let dh_all = d_hs.as_slice_mut().expect("standard layout");
    for t in (0..packing.steps()).rev() {
        let (start, k) = packing.block(t);
        let k_next = packing.batch_sizes.get(t + 1).copied().unwrap_or(0);
        d_c[k_next * hidden..k * hidden].fill(0.0);
        let c_prev = match t {
            0 => &zeros[..k * hidden],
            _ => {
                let prev = packing.offsets[t - 1];
                &c_all[prev * hidden..(prev + k) * hidden]
            }
        };
        let g = &mut g_all[start * width..(start + k) * width];
        let c = &c_all[start * hidden..(start + k) * hidden];
        let (dh_done, dh_rest) = dh_all.split_at_mut(start * hidden);
        let rows = g
            .chunks_exact_mut(width)
            .zip(c.chunks_exact(hidden))
            .zip(c_prev.chunks_exact(hidden))
            .zip(dh_rest[..k * hidden].chunks_exact(hidden))
            .zip(d_c.chunks_exact_mut(hidden));
        for ((((g, c), c_prev), dh), dc) in rows {
            cell_backward(g, c, c_prev, dh, dc);
        }
        if t > 0 {
            // d_h_{t-1} += dz_t · W_hh, into the previous block's prefix.
            let prev = packing.offsets[t - 1];
            let dz = ArrayView2::from_shape((k, width), &*g).expect("k rows of gates");
            let dh = &mut dh_done[prev * hidden..(prev + k) * hidden];
            let mut dh = ArrayViewMut2::from_shape((k, hidden), dh).expect("k rows of h");
            add_matmul(&mut dh, dz, weights.w_hh.matrix());
        }
    }

    let dz = gates.view();
    weights
        .w_ih
        .add_grad_matrix(|mut acc| add_t_matmul(&mut acc, dz, xp));
    // h_{t-1} beside every row of blocks 1.., in packed order (block 0 starts from h = 0).
    let mut h_prev = Vec::with_capacity((n - first) * hidden);
    for t in 1..packing.steps() {
        let (prev, k) = (packing.offsets[t - 1], packing.batch_sizes[t]);
        for row in hs.slice(s![prev..prev + k, ..]).rows() {
            h_prev.extend(row.iter().copied());
        }
    }
    let h_prev = ArrayView2::from_shape((n - first, hidden), &h_prev).expect("one row per token");
    weights.w_hh.add_grad_matrix(|mut acc| {
        add_t_matmul(&mut acc, dz.slice(s![first.., ..]), h_prev);
    });
    add_column_sums(&mut weights.b.grad(), dz);
    let mut d_xp = Array2::zeros((n, xp.ncols()));
    add_matmul(&mut d_xp.view_mut(), dz, weights.w_ih.matrix());
    d_xp
}

multiversion! {
    /// One row of the forward step: `gates` holds the pre-activations `[i | f | g | o]` on entry
    /// and their activations on return; writes the new cell state `c` and output `h`.
    ///
    /// A function of its own (as is [`cell_backward`]), compiled for AVX2 where the CPU has it:
    /// its slices are known not to alias and the loop vectorizes; inlined into the step loop it
    /// stayed scalar, 2x slower.
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

multiversion! {
    /// One row of the backward step: `gates` holds the activations on entry and the gradients of
    /// the pre-activations on return; `dh` is the gradient of this step's `h`, `dc` the gradient of
    /// its `c` from the next step on entry, and the gradient of `c_prev` on return.
    fn cell_backward(gates: &mut [f32], c: &[f32], c_prev: &[f32], dh: &[f32], dc: &mut [f32]) {
        let hidden = c.len();
        let (i, rest) = gates.split_at_mut(hidden);
        let (f, rest) = rest.split_at_mut(hidden);
        let (g, o) = rest.split_at_mut(hidden);
        let o = &mut o[..hidden];
        let (c_prev, dh, dc) = (&c_prev[..hidden], &dh[..hidden], &mut dc[..hidden]);
        for u in 0..hidden {
            let (iu, fu, gu, ou) = (i[u], f[u], g[u], o[u]);
            let tc = tanh(c[u]);
            let dcu = dc[u] + dh[u] * ou * (1.0 - tc * tc);
            i[u] = dcu * gu * iu * (1.0 - iu);
            f[u] = dcu * c_prev[u] * fu * (1.0 - fu);
            g[u] = dcu * iu * (1.0 - gu * gu);
            o[u] = dh[u] * tc * ou * (1.0 - ou);
            dc[u] = dcu * fu;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packing_is_time_major_longest_first() {
        // Sequences (token rows): 0: [0, 1], 1: [], 2: [2, 3, 4], 3: [5].
        let packing = Packing::new(&[2, 0, 3, 1]);
        assert_eq!(packing.batch_sizes, [3, 2, 1]);
        assert_eq!(packing.offsets, [0, 3, 5, 6]);
        assert_eq!(packing.rows(Direction::Forward), [2, 0, 5, 3, 1, 4]);
        assert_eq!(packing.rows(Direction::Backward), [4, 1, 5, 3, 0, 2]);
    }

    #[test]
    fn packing_of_nothing_is_empty() {
        for lengths in [&[][..], &[0, 0]] {
            let packing = Packing::new(lengths);
            assert_eq!(packing.steps(), 0);
            assert!(packing.rows(Direction::Backward).is_empty());
            assert_eq!(packing.offsets, [0]);
        }
    }

    #[test]
    fn gather_then_scatter_is_the_identity() {
        let packing = Packing::new(&[2, 0, 3, 1]);
        let x = Array2::from_shape_fn((6, 2), |(r, c)| (10 * r + c) as f32);
        for direction in [Direction::Forward, Direction::Backward] {
            let rows = packing.rows(direction);
            let packed = gather(x.view(), rows);
            let mut back = Array2::zeros((6, 2));
            scatter(packed.view(), rows, back.view_mut(), false);
            assert_eq!(back, x);
            scatter(packed.view(), rows, back.view_mut(), true);
            assert_eq!(back, &x * 2.0);
        }
    }
}
