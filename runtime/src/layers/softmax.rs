//! [`Softmax`]: a dense output layer with softmax, `p = softmax(x · Wᵀ + b)` per row.
//!
//! Shapes: `Floats2<I>` → `Floats2<O>`, rows summing to 1. Parameters `W` `(O, I)` and `b` `(O)`
//! start at zero, as Thinc's `Softmax`.
//!
//! Unlike Thinc's, the backprop is the true vector-Jacobian product
//! `dz = p ⊙ (dp - ⟨dp, p⟩)`, correct for any loss. With
//! [`CategoricalCrossentropy`](crate::losses::CategoricalCrossentropy), which returns
//! `dL/dp = -y / (N p)`, it yields exactly `(p - y) / N`, the familiar logit gradient.
//! Probabilities are floored at the smallest normal `f32` so that `1 / p` stays finite. A row
//! whose logits hold a NaN or +inf is NaN: it names no class.

use ndarray::{Array2, Axis, Zip};

use super::{Activation, Dense};
use crate::kernels::ops::{softmax_backward_in_place, softmax_rows};

/// Softmax over each row.
pub struct SoftmaxActivation;

impl Activation for SoftmaxActivation {
    const KIND: &'static str = "softmax";
    const ZERO_INIT: bool = true;
    type Saved = Array2<f32>;

    fn apply(z: &mut Array2<f32>) {
        softmax_rows(z.view_mut());
    }

    fn forward(z: &mut Array2<f32>) -> Array2<f32> {
        Self::apply(z);
        z.clone()
    }

    fn backward(p: &Array2<f32>, d: &mut Array2<f32>) {
        Zip::from(d.axis_iter_mut(Axis(0)))
            .and(p.axis_iter(Axis(0)))
            .for_each(|mut d, p| {
                softmax_backward_in_place(
                    p.as_slice().expect("contiguous rows"),
                    d.as_slice_mut().expect("contiguous rows"),
                )
            });
    }
}

/// A dense layer followed by softmax (Thinc's `Softmax`): class probabilities.
///
/// ```
/// use weft_runtime::{Const, Floats2, Model, layers::Softmax};
/// let layer = Softmax::new(Const::<2>, 3usize);
/// let p = layer.predict(Floats2::from_rows(&[[1.0, -2.0]]));
/// // Zero-initialized: every class starts equally likely.
/// assert!(p.view().iter().all(|&v| (v - 1.0 / 3.0).abs() < 1e-6));
/// ```
pub type Softmax<I, O> = Dense<I, O, SoftmaxActivation>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::combinators::chain;
    use crate::data::{Const, Floats2};

    use crate::layers::Mish;
    use crate::model::Model;
    use crate::training::testing::{draw_weights, grad_of};
    use crate::training::{GradcheckOptions, gradcheck};

    #[test]
    fn softmax_gradients_match_finite_differences() {
        // Zero weights make the input gradient vanish; chain a layer in front and
        // move the softmax weights away from zero first.
        let mut model = chain(
            Mish::new(Const::<3>, Const::<4>),
            Softmax::new(Const::<4>, Const::<3>),
        );
        draw_weights(&mut model, "1.softmax", 1);
        let x = Floats2::from_rows(&[[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]]);
        gradcheck(&mut model, &x, &GradcheckOptions::default()).unwrap();
    }

    #[test]
    fn rows_sum_to_one_even_for_huge_logits() {
        let mut z =
            Array2::from_shape_vec((2, 3), vec![1000.0, 0.0, -1000.0, 1.0, 2.0, 3.0]).unwrap();
        SoftmaxActivation::apply(&mut z);
        for row in z.rows() {
            assert!((row.sum() - 1.0).abs() < 1e-6);
            assert!(row.iter().all(|&p| p > 0.0));
        }
    }

    #[test]
    fn standalone_backprop_is_the_jacobian() {
        // p = softmax(z); d_z = Jᵀ d_p with J = diag(p) - p pᵀ.
        let layer = Softmax::new(Const::<1>, Const::<3>);
        let (p, backprop) = layer.begin_update(Floats2::from_rows(&[[1.0]]));
        let d_p = Floats2::<Const<3>>::from_rows(&[[1.0, 0.0, 0.0]]);
        backprop(d_p);
        // With zero weights p = 1/3 each: d_z = p ⊙ (d_p - p·d_p) = (2/9, -1/9, -1/9);
        // the bias gradient is d_z itself.
        let grad = grad_of(&layer, "0.softmax.b");
        let expected = [2.0 / 9.0, -1.0 / 9.0, -1.0 / 9.0];
        assert!(
            grad.iter().zip(expected).all(|(g, e)| (g - e).abs() < 1e-6),
            "{grad:?}"
        );
        assert!(p.view().iter().all(|&v| (v - 1.0 / 3.0).abs() < 1e-6));
    }
}
