//! The core of one LSTM direction over a ragged batch, shared by [`Lstm`](super::Lstm) and
//! [`BiLstm`](super::BiLstm).
//!
//! # Math
//!
//! PyTorch's convention, so reference values compare directly. For hidden width `H`, the
//! parameters of one direction ([`LstmWeights`]) are `W_ih` `(4H, in)`, `W_hh` `(4H, H)` and two
//! biases `b_ih` and `b_hh` `(4H)`; the four gate blocks are in the order `i, f, g, o`. Each step
//! of a sequence computes
//!
//! ```text
//! z = x_t · W_ihᵀ + h_{t-1} · W_hhᵀ + b_ih + b_hh        (4H)
//! i = σ(z_i)   f = σ(z_f)   g = tanh(z_g)   o = σ(z_o)
//! c_t = f ⊙ c_{t-1} + i ⊙ g
//! h_t = o ⊙ tanh(c_t)
//! ```
//!
//! with `h_{-1} = c_{-1} = 0` for every sequence.
//!
//! The two biases add up to one, but they are two parameters, as in PyTorch, on purpose: each
//! gets the gradient of `z` and its own optimizer step, so that their sum moves twice as far per
//! step as a single bias would under Adam (whose steps do not depend on the gradient's scale),
//! and starts as the sum of two uniform draws. With one bias, the tagger of `examples/` trained
//! to a lower accuracy than PyTorch's from the same initial weights (`bench/README.md`).
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
//! [`forward`] and [`predict()`] run the same kernels (see the `forward` module), over a layout
//! of the weights made at the first call and kept until they change: on AVX-512 or AVX2, one
//! fused kernel per step computes the gate sums, their activations and the new states in
//! registers. [`forward`] takes the input already in packed order (`N × in`) and also stores the
//! activated gates and the cell states for backprop; [`predict()`] keeps neither. [`backward`]
//! walks the steps in reverse with one recurrent product per step, and sums the weight
//! gradients after the loop, one product each. Its products run on the kernels of
//! `crate::kernels::product` (AVX-512 or AVX2; matrixmultiply elsewhere), which read the weights
//! and the gradients where they are.
//! Buffers are allocated once per call, never per step. The gate activations use a vectorizable
//! `exp` rather than libm's calls (see [`crate::kernels::activations`]).
//!
//! # Files
//!
//! - `packing`: the packed layout, and the gathers and scatters in and out of it;
//! - `forward`: the step driver of [`forward`] and [`predict()`], and the choice of kernel;
//! - `fused` (AVX-512, AVX2): the fused step kernels;
//! - `stacked`: the portable step, for other CPUs;
//! - `backward`: [`backward`];
//! - `between`: [`Between`], the dropout between stacked layers.

mod backward;
mod between;
mod forward;
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod fused;
mod packing;
mod stacked;

use std::sync::OnceLock;

pub(crate) use backward::backward;
pub(crate) use between::Between;
use forward::Layout;
pub(crate) use forward::{Cache, forward, predict};
pub(crate) use packing::{Packing, gather, scatter};

use crate::kernels::rng::Rng;
use crate::model::{Param, Visit, VisitMut};

/// The parameters of one LSTM direction: `W_ih` `(4H, in)`, `W_hh` `(4H, H)`, `b_ih` and `b_hh`
/// `(4H)`.
pub(crate) struct LstmWeights {
    w_ih: Param,
    w_hh: Param,
    b_ih: Param,
    b_hh: Param,
    hidden: usize,
    /// The weights laid out for the step kernel: made by the first call, dropped by every
    /// method that lends the parameters mutably, so never out of date.
    layout: OnceLock<Layout>,
}

impl LstmWeights {
    /// Fresh weights from `n_in` inputs to `hidden` units: every value uniform in
    /// `±1/sqrt(hidden)`, as PyTorch initializes its LSTM.
    ///
    /// # Panics
    /// When a parameter would hold more values than `usize` counts.
    pub(crate) fn new(n_in: usize, hidden: usize) -> Self {
        let mut rng = Rng::fresh();
        let limit = 1.0 / (hidden.max(1) as f32).sqrt();
        let gates = hidden.checked_mul(4).unwrap_or_else(|| {
            panic!("an LSTM of {hidden} units has more gates than usize counts")
        });
        let w_ih = Param::uniform(&[gates, n_in], limit, &mut rng);
        let w_hh = Param::uniform(&[gates, hidden], limit, &mut rng);
        let b_ih = Param::uniform(&[gates], limit, &mut rng);
        let b_hh = Param::uniform(&[gates], limit, &mut rng);
        LstmWeights {
            w_ih,
            w_hh,
            b_ih,
            b_hh,
            hidden,
            layout: OnceLock::new(),
        }
    }

    /// The gates' bias, `b_ih + b_hh`.
    fn bias(&self) -> Vec<f32> {
        let (b_ih, b_hh) = (self.b_ih.value(), self.b_hh.value());
        b_ih.iter().zip(b_hh).map(|(a, b)| a + b).collect()
    }

    /// The weights laid out for the step kernel, made now if need be.
    fn layout(&self) -> &Layout {
        self.layout.get_or_init(|| Layout::new(self))
    }

    /// Names the parameters `W_ih`, `W_hh`, `b_ih`, `b_hh` in the current scope.
    pub(crate) fn visit(&self, walk: &mut Visit<'_>) {
        walk.param("W_ih", &self.w_ih);
        walk.param("W_hh", &self.w_hh);
        walk.param("b_ih", &self.b_ih);
        walk.param("b_hh", &self.b_hh);
    }

    /// Names the parameters mutably, in the order of [`visit`](Self::visit).
    pub(crate) fn visit_mut(&mut self, walk: &mut VisitMut<'_>) {
        self.layout.take();
        walk.param("W_ih", &mut self.w_ih);
        walk.param("W_hh", &mut self.w_hh);
        walk.param("b_ih", &mut self.b_ih);
        walk.param("b_hh", &mut self.b_hh);
    }

    /// The parameters, mutably, for tests that set known values.
    #[cfg(test)]
    pub(crate) fn params_mut(&mut self) -> [&mut Param; 4] {
        self.layout.take();
        [
            &mut self.w_ih,
            &mut self.w_hh,
            &mut self.b_ih,
            &mut self.b_hh,
        ]
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
