//! [`Between`]: dropout on the output of every stacked layer but the last, as PyTorch's
//! `nn.LSTM(dropout = r)` applies it, during training only.

use ndarray::{Array2, ArrayView2};

use crate::data::Floats2;
use crate::layers::Dropout;
use crate::model::{Model, Visit};

/// The dropout between the stacked layers of an LSTM: none at rate 0, which draws no random
/// numbers, so a model without it computes, saves and initializes as one built before it.
pub(crate) struct Between(Option<Dropout<usize>>);

impl Between {
    /// Dropout at `rate`.
    ///
    /// # Panics
    /// When `rate` is not in `[0, 1)`, as [`Dropout::new`] does.
    pub(crate) fn new(rate: f32) -> Self {
        Between((rate != 0.0).then(|| Dropout::new(rate)))
    }

    /// The drop probability.
    pub(crate) fn rate(&self) -> f32 {
        self.0.as_ref().map_or(0.0, Dropout::rate)
    }

    /// Restarts the sequence of masks from `seed`.
    pub(crate) fn reseed(&self, seed: u64) {
        if let Some(dropout) = &self.0 {
            dropout.reseed(seed);
        }
    }

    /// Records the rate as the attribute `dropout`, only when it is not 0: the signature of a
    /// model without dropout is that of one saved before LSTMs had it.
    pub(crate) fn visit(&self, walk: &mut Visit<'_>) {
        if let Some(dropout) = &self.0 {
            walk.attr("dropout", &dropout.rate());
        }
    }

    /// `y` with values dropped, and the closure that applies the same mask to its gradient;
    /// `None` at rate 0.
    pub(crate) fn apply<'a>(
        &'a self,
        y: ArrayView2<'_, f32>,
    ) -> Option<(
        Array2<f32>,
        impl FnOnce(Array2<f32>) -> Array2<f32> + Send + use<'a>,
    )> {
        let dropout = self.0.as_ref()?;
        let (dropped, backprop) = dropout.begin_update(Floats2::wrap(y.to_owned()));
        let mask = move |d: Array2<f32>| backprop(Floats2::wrap(d)).into_array();
        Some((dropped.into_array(), mask))
    }
}
