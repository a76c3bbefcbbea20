//! [`Sigmoid`]: a dense output layer with the logistic function, `p = σ(x · Wᵀ + b)`, one
//! independent probability per class (multi-label classification).
//!
//! Shapes: `Floats2<I>` → `Floats2<O>`, every value in `(0, 1)`. Parameters `W` `(O, I)` and
//! `b` `(O)` start at zero, as Thinc's `Sigmoid`. `σ(z) = 1 / (1 + e^(-z))`.
//!
//! Probabilities are kept within `[f32::MIN_POSITIVE, 1 - 2⁻²⁴]` (σ of about ±87 and ±17), so
//! that `1 / p` and `1 / (1 - p)` stay finite. Backprop: `dz = dp ⊙ p ⊙ (1 - p)`, which with
//! [`BinaryCrossentropy`](crate::losses::BinaryCrossentropy)'s
//! `dL/dp = (p - y) / (p (1 - p) N C)` is exactly `(p - y) / (N C)`, the gradient with respect
//! to the logits, even where σ saturates. A NaN logit is a NaN probability.

use ndarray::{Array2, Zip};

use super::{Activation, Dense};
use crate::kernels::ops::sigmoid;

/// The largest probability below 1 that keeps `1 - p` exact: `1 - 2⁻²⁴`.
const BELOW_ONE: f32 = 1.0 - f32::EPSILON / 2.0;

/// The logistic function of each value, within `[f32::MIN_POSITIVE, 1 - 2⁻²⁴]`.
pub struct SigmoidActivation;

impl Activation for SigmoidActivation {
    const KIND: &'static str = "sigmoid";
    const ZERO_INIT: bool = true;
    type Saved = Array2<f32>;

    fn apply(z: &mut Array2<f32>) {
        z.mapv_inplace(|v| sigmoid(v).clamp(f32::MIN_POSITIVE, BELOW_ONE));
    }

    fn forward(z: &mut Array2<f32>) -> Array2<f32> {
        Self::apply(z);
        z.clone()
    }

    fn backward(p: &Array2<f32>, d: &mut Array2<f32>) {
        Zip::from(d).and(p).for_each(|d, &p| *d *= p * (1.0 - p));
    }
}

/// A dense layer followed by the logistic function (Thinc's `Sigmoid`): a probability per
/// class, each on its own.
///
/// ```
/// use weft_runtime::{Const, Floats2, Model, layers::Sigmoid};
/// let layer = Sigmoid::new(Const::<2>, 3usize);
/// let p = layer.predict(Floats2::from_rows(&[[1.0, -2.0]]));
/// // Zero-initialized: every class starts at 1/2.
/// assert!(p.view().iter().all(|&v| v == 0.5));
/// ```
pub type Sigmoid<I, O> = Dense<I, O, SigmoidActivation>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::combinators::chain;
    use crate::data::{Const, Floats2};

    use crate::layers::Mish;
    use crate::model::{Model, Params};
    use crate::training::testing::draw_weights;
    use crate::training::{GradcheckOptions, gradcheck};

    #[test]
    fn sigmoid_gradients_match_finite_differences() {
        // Zero weights make the input gradient vanish: a layer in front, weights moved off 0.
        let mut model = chain(
            Mish::new(Const::<3>, Const::<4>),
            Sigmoid::new(Const::<4>, Const::<3>),
        );
        draw_weights(&mut model, "1.sigmoid", 2);
        let x = Floats2::from_rows(&[[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]]);
        gradcheck(&mut model, &x, &GradcheckOptions::default()).unwrap();
    }

    #[test]
    fn saturated_probabilities_stay_off_zero_and_one() {
        let mut z = Array2::from_shape_vec((1, 4), vec![-200.0, -30.0, 30.0, 200.0]).unwrap();
        SigmoidActivation::apply(&mut z);
        assert_eq!(z.as_slice().unwrap()[0], f32::MIN_POSITIVE);
        assert_eq!(z.as_slice().unwrap()[3], BELOW_ONE);
        assert!(z.iter().all(|&p| p > 0.0 && 1.0 - p > 0.0));
        let mut nan = Array2::from_elem((1, 1), f32::NAN);
        SigmoidActivation::apply(&mut nan);
        assert!(nan[[0, 0]].is_nan());
    }

    #[test]
    fn a_saved_model_loads_with_the_same_weights() {
        let mut model = Sigmoid::new(Const::<2>, Const::<3>);
        draw_weights(&mut model, "", 5);
        let x = || Floats2::from_rows(&[[0.5, -1.0], [2.0, 0.25]]);
        let mut loaded = Sigmoid::new(Const::<2>, Const::<3>);
        loaded.from_bytes(&model.to_bytes().unwrap()).unwrap();
        assert_eq!(loaded.predict(x()), model.predict(x()));
        let other = Sigmoid::new(Const::<2>, Const::<4>).to_bytes().unwrap();
        assert!(loaded.from_bytes(&other).is_err());
    }
}
