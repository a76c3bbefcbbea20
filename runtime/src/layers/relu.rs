//! [`Relu`]: a dense layer with the rectifier, `y = max(0, x · Wᵀ + b)`.
//!
//! Shapes: `Floats2<I>` → `Floats2<O>`. Parameters `W` `(O, I)` (Glorot-uniform), `b` `(O)`.

use ndarray::{Array2, Zip};

use super::{Activation, Dense};
use crate::kernels::ops::multiversion;

/// The rectifier `max(0, z)`, NaN for NaN; its gradient is 1 where the output is positive,
/// else 0.
pub struct ReluActivation;

impl Activation for ReluActivation {
    const KIND: &'static str = "relu";
    type Saved = Array2<f32>;

    fn apply(z: &mut Array2<f32>) {
        // Not `v.max(0.0)`, which is 0 for NaN. This compiles to a `max` instruction all the
        // same: x86's returns its second operand, `v`, when one is NaN.
        z.mapv_inplace(|v| if v < 0.0 { 0.0 } else { v });
    }

    fn forward(z: &mut Array2<f32>) -> Array2<f32> {
        Self::apply(z);
        z.clone()
    }

    fn backward(y: &Array2<f32>, d: &mut Array2<f32>) {
        match (y.as_slice(), d.as_slice_mut()) {
            (Some(y), Some(d)) => mask_gradient(y, d),
            _ => Zip::from(d).and(y).for_each(|d, &y| *d = masked(y, *d)),
        }
    }
}

/// The gradient `d` where the output `y` is positive (or NaN), else 0.
///
/// A select rather than a branch: the signs of a layer's outputs are a coin toss to the branch
/// predictor (a branch here took 9% of the decomposable attention's training step), and a
/// select vectorizes.
#[inline(always)]
fn masked(y: f32, d: f32) -> f32 {
    if y <= 0.0 { 0.0 } else { d }
}

multiversion! {
    /// [`masked`] over `d` in place, for the outputs `y` of the same length.
    fn mask_gradient(y: &[f32], d: &mut [f32]) {
        d.iter_mut().zip(y).for_each(|(d, &y)| *d = masked(y, *d));
    }
}

/// A dense layer followed by ReLU (Thinc's `Relu`).
///
/// ```
/// use weft_runtime::{Const, Floats2, Model, layers::Relu};
/// let layer = Relu::new(Const::<2>, Const::<3>);
/// let y = layer.predict(Floats2::from_rows(&[[1.0, -2.0]]));
/// assert!(y.view().iter().all(|&v| v >= 0.0));
/// ```
pub type Relu<I, O> = Dense<I, O, ReluActivation>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Const, Floats2};
    use crate::training::testing::draw_weights;
    use crate::training::{GradcheckOptions, gradcheck};

    #[test]
    fn relu_gradients_match_finite_differences() {
        // Weights of a generator of its own: drawn from the shared one, they depend on the
        // tests that ran before, and may put a unit within the check's step of its kink.
        let mut layer = Relu::new(Const::<3>, Const::<6>);
        draw_weights(&mut layer, "", 3);
        let x = Floats2::from_rows(&[[0.5, -1.0, 2.0], [1.5, 0.3, -0.7], [0.2, 0.9, 1.1]]);
        gradcheck(&mut layer, &x, &GradcheckOptions::default()).unwrap();
    }
}
