//! Back through one LSTM direction: [`backward`], and the kernel of one row of a step,
//! [`cell_backward`].

use ndarray::{Array2, ArrayView2, ArrayViewMut2, s};

use super::{Cache, LstmWeights, Packing};
use crate::kernels::activations::tanh;
use crate::kernels::matmul::{add_matmul, add_t_matmul};
use crate::kernels::ops::{add_column_sums, multiversion};

/// Back through one direction. `xp` and `hs` are the packed input and output of [`forward`],
/// `d_hs` the packed gradient of `hs` (used as scratch). Adds the gradients of `W_ih`, `W_hh`,
/// `b_ih` and `b_hh` (the same) into `weights` and returns the packed gradient of `xp` `(N, in)`.
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
    for b in [&weights.b_ih, &weights.b_hh] {
        add_column_sums(&mut b.grad(), dz);
    }
    let mut d_xp = Array2::zeros((n, xp.ncols()));
    add_matmul(&mut d_xp.view_mut(), dz, weights.w_ih.matrix());
    d_xp
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
