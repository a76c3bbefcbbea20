//! [`Dense`]: an affine map followed by an [`Activation`]; [`Linear`] is the one with none.
//!
//! Shapes: `Floats2<I>` → `Floats2<O>`. Parameters: `W` `(O, I)`, `b` `(O)`.
//! `y = act(x · Wᵀ + b)`. Backprop: `dz = act'(d_y)`, `dW += dzᵀ · x`, `db += Σ dz`,
//! `d_x = dz · W`.

use std::marker::PhantomData;

use ndarray::{Array2, ArrayView2};

use super::boundary::{check_gradient, check_width};
use crate::data::{Dim, Floats2};
use crate::kernels::matmul::{add_t_matmul, affine, matmul};
use crate::kernels::ops::add_column_sums;
use crate::kernels::rng::Rng;
use crate::model::{Model, Param, Params, Visit, VisitMut};

/// The activation of a [`Dense`] layer, applied row by row.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an activation of a dense layer",
    label = "not an activation",
    note = "`Identity` (linear), `ReluActivation`, `MishActivation` and `SoftmaxActivation` are activations; or implement `weft::layers::Activation`"
)]
pub trait Activation: Send + Sync + 'static {
    /// The layer kind in parameter paths (`relu`, `softmax`, ...).
    const KIND: &'static str;
    /// True when the weights start at zero (Thinc's `Softmax`); otherwise Glorot-uniform.
    const ZERO_INIT: bool = false;
    /// What the backward pass needs from the forward pass.
    type Saved: Send;
    /// Applies the activation in place (inference).
    fn apply(z: &mut Array2<f32>);
    /// Applies the activation in place and returns what [`backward`](Self::backward) needs.
    fn forward(z: &mut Array2<f32>) -> Self::Saved;
    /// Turns the output gradient `d` into the pre-activation gradient, in place.
    fn backward(saved: &Self::Saved, d: &mut Array2<f32>);
}

/// No activation: the layer is affine.
pub struct Identity;

impl Activation for Identity {
    const KIND: &'static str = "linear";
    type Saved = ();
    fn apply(_: &mut Array2<f32>) {}
    fn forward(_: &mut Array2<f32>) {}
    fn backward(_: &(), _: &mut Array2<f32>) {}
}

/// An affine map from width `I` to width `O` followed by the activation `A`.
pub struct Dense<I: Dim, O: Dim, A: Activation> {
    n_in: I,
    n_out: O,
    affine: Affine,
    activation: PhantomData<fn() -> A>,
}

/// The weights `W` `(out, in)` and bias `b` `(out)` of an affine map, shared by the dense
/// layers and [`Maxout`](super::Maxout).
pub(crate) struct Affine {
    w: Param,
    b: Param,
}

impl Affine {
    /// Glorot-uniform `W` (zeros when `zero`) and zero `b`.
    pub(crate) fn new(n_in: usize, n_out: usize, zero: bool) -> Self {
        let w = if zero {
            Param::zeros(&[n_out, n_in])
        } else {
            let limit = (6.0 / n_in.saturating_add(n_out).max(1) as f32).sqrt();
            Param::uniform(&[n_out, n_in], limit, &mut Rng::fresh())
        };
        Affine {
            w,
            b: Param::zeros(&[n_out]),
        }
    }

    /// The weights `W` and the bias `b`.
    pub(crate) fn params(&self) -> (&Param, &Param) {
        (&self.w, &self.b)
    }

    /// `x · Wᵀ + b`.
    pub(crate) fn forward(&self, x: ArrayView2<'_, f32>) -> Array2<f32> {
        affine(x, self.w.matrix(), self.b.vector())
    }

    /// Adds `dzᵀ · x` and `Σ dz` into the gradients; returns `dz · W`.
    pub(crate) fn backward(&self, dz: ArrayView2<'_, f32>, x: ArrayView2<'_, f32>) -> Array2<f32> {
        self.w.add_grad_matrix(|mut g| add_t_matmul(&mut g, dz, x));
        add_column_sums(&mut self.b.grad(), dz);
        matmul(dz, self.w.matrix())
    }

    pub(crate) fn visit(&self, walk: &mut Visit<'_>) {
        walk.param("W", &self.w);
        walk.param("b", &self.b);
    }

    pub(crate) fn visit_mut(&mut self, walk: &mut VisitMut<'_>) {
        walk.param("W", &mut self.w);
        walk.param("b", &mut self.b);
    }
}

/// `y = x · Wᵀ + b`, with Glorot-uniform `W` and zero `b`.
///
/// ```
/// use weft_runtime::{Const, Floats2, Model, layers::Linear};
/// let layer = Linear::new(Const::<3>, Const::<2>);
/// let y = layer.predict(Floats2::from_rows(&[[1.0, 2.0, 3.0]]));
/// assert_eq!(y.view().shape(), &[1, 2]);
/// ```
pub type Linear<I, O> = Dense<I, O, Identity>;

impl<I: Dim, O: Dim, A: Activation> Dense<I, O, A> {
    /// A layer from `n_in` to `n_out` columns with freshly initialized weights.
    ///
    /// # Panics
    /// When its weights would hold more values than `usize` counts.
    pub fn new(n_in: I, n_out: O) -> Self {
        Dense {
            n_in,
            n_out,
            affine: Affine::new(n_in.size(), n_out.size(), A::ZERO_INIT),
            activation: PhantomData,
        }
    }

    /// The input width.
    pub fn n_in(&self) -> I {
        self.n_in
    }

    /// The output width.
    pub fn n_out(&self) -> O {
        self.n_out
    }
}

impl<I: Dim, O: Dim, A: Activation> Params for Dense<I, O, A> {
    fn visit(&self, walk: &mut Visit<'_>) {
        walk.layer(A::KIND, |walk| {
            walk.attr("n_in", &self.n_in.size());
            walk.attr("n_out", &self.n_out.size());
            self.affine.visit(walk);
        });
    }
    fn visit_mut(&mut self, walk: &mut VisitMut<'_>) {
        walk.layer(A::KIND, |walk| self.affine.visit_mut(walk));
    }
}

impl<I: Dim, O: Dim, A: Activation> Model for Dense<I, O, A> {
    type In = Floats2<I>;
    type Out = Floats2<O>;

    fn begin_update<'a>(
        &'a self,
        x: Floats2<I>,
    ) -> (
        Floats2<O>,
        impl FnOnce(Floats2<O>) -> Floats2<I> + Send + 'a,
    ) {
        check_width(A::KIND, self.n_in, x.width());
        let mut z = self.affine.forward(x.view());
        let saved = A::forward(&mut z);
        let backprop = move |d_y: Floats2<O>| {
            check_gradient(A::KIND, x.rows(), self.n_out, &d_y);
            let mut d = d_y.into_array();
            A::backward(&saved, &mut d);
            Floats2::wrap(self.affine.backward(d.view(), x.view()))
        };
        (Floats2::wrap(z), backprop)
    }

    fn predict(&self, x: Floats2<I>) -> Floats2<O> {
        check_width(A::KIND, self.n_in, x.width());
        let mut z = self.affine.forward(x.view());
        A::apply(&mut z);
        Floats2::wrap(z)
    }

    fn output_width(&self) -> Option<usize> {
        Some(self.n_out.size())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Const;
    use crate::training::{GradcheckOptions, gradcheck};

    #[test]
    fn linear_gradients_match_finite_differences() {
        let mut layer = Linear::new(Const::<3>, Const::<4>);
        let x = Floats2::from_rows(&[[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]]);
        gradcheck(&mut layer, &x, &GradcheckOptions::default()).unwrap();
    }

    #[test]
    fn linear_computes_x_wt_plus_b() {
        let mut layer = Linear::new(Const::<2>, 1usize);
        layer.affine.w.value_mut().copy_from_slice(&[2.0, -1.0]);
        layer.affine.b.value_mut()[0] = 0.5;
        let y = layer.predict(Floats2::from_rows(&[[3.0, 4.0]]));
        assert_eq!(y.view()[[0, 0]], 2.5);
    }
}
