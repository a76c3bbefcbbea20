//! [`Mish`]: a dense layer with Mish, `y = z · tanh(softplus(z))`, `z = x · Wᵀ + b`.
//!
//! Shapes: `Floats2<I>` → `Floats2<O>`. Parameters `W` `(O, I)` (Glorot-uniform), `b` `(O)`.
//! Gradient: `dy/dz = tanh(sp) + z · (1 - tanh²(sp)) · σ(z)` with `sp = ln(1 + eᶻ)`.

use ndarray::{Array2, Zip};

use super::{Activation, Dense};
use crate::kernels::ops::sigmoid;

/// The Mish activation (Misra, 2019).
pub struct MishActivation;

fn softplus(z: f32) -> f32 {
    // ln(1 + e^z) without overflow for large z.
    z.max(0.0) + (-z.abs()).exp().ln_1p()
}

impl Activation for MishActivation {
    const KIND: &'static str = "mish";
    type Saved = Array2<f32>;

    fn apply(z: &mut Array2<f32>) {
        z.mapv_inplace(|z| z * softplus(z).tanh());
    }

    fn forward(z: &mut Array2<f32>) -> Array2<f32> {
        let saved = z.clone();
        Self::apply(z);
        saved
    }

    fn backward(z: &Array2<f32>, d: &mut Array2<f32>) {
        Zip::from(d).and(z).for_each(|d, &z| {
            let t = softplus(z).tanh();
            *d *= t + z * (1.0 - t * t) * sigmoid(z);
        });
    }
}

/// A dense layer followed by Mish (Thinc's `Mish`).
///
/// ```
/// use weft_runtime::{Const, Floats2, Model, layers::Mish};
/// let layer = Mish::new(Const::<2>, Const::<3>);
/// assert_eq!(layer.predict(Floats2::from_rows(&[[1.0, -2.0]])).rows(), 1);
/// ```
pub type Mish<I, O> = Dense<I, O, MishActivation>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Const, Floats2};
    use crate::training::{GradcheckOptions, gradcheck};

    #[test]
    fn mish_gradients_match_finite_differences() {
        let mut layer = Mish::new(Const::<3>, Const::<4>);
        let x = Floats2::from_rows(&[[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]]);
        gradcheck(&mut layer, &x, &GradcheckOptions::default()).unwrap();
    }

    #[test]
    fn mish_matches_its_definition() {
        // mish(1) = tanh(ln(1 + e)) = 0.865098...
        let mut z = Array2::from_elem((1, 1), 1.0f32);
        MishActivation::apply(&mut z);
        assert!((z[[0, 0]] - 0.865_098).abs() < 1e-6);
    }
}
