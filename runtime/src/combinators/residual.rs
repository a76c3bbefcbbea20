//! [`Residual`]: `x + a(x)`.

use crate::data::{Accumulate, Grad};

use crate::model::{Model, Params, Visit, VisitMut};

/// `x + a(x)`, for a layer whose output has the type of its input. Backprop adds the output
/// gradient to the layer's input gradient.
pub struct Residual<L> {
    layer: L,
}

/// Wraps `layer` with a skip connection.
///
/// ```
/// use weft_runtime::{Const, Floats2, Model, combinators::residual, layers::Linear};
/// let model = residual(Linear::new(Const::<2>, Const::<2>));
/// assert_eq!(model.predict(Floats2::from_rows(&[[1.0, 2.0]])).rows(), 1);
/// ```
pub fn residual<L: Model<Out = <L as Model>::In>>(layer: L) -> Residual<L> {
    Residual { layer }
}

impl<L: Params> Params for Residual<L> {
    fn visit(&self, walk: &mut Visit<'_>) {
        walk.combinator("residual", &mut [&mut |walk| self.layer.visit(walk)]);
    }
    fn visit_mut(&mut self, walk: &mut VisitMut<'_>) {
        walk.combinator("residual", &mut [&mut |walk| self.layer.visit_mut(walk)]);
    }
}

impl<L> Model for Residual<L>
where
    L: Model<Out = <L as Model>::In>,
    L::In: Clone + Accumulate,
    Grad<L::In>: Clone,
{
    type In = L::In;
    type Out = L::In;

    fn begin_update<'a>(
        &'a self,
        x: L::In,
    ) -> (L::In, impl FnOnce(Grad<L::In>) -> Grad<L::In> + Send + 'a) {
        let (mut y, backprop_layer) = self.layer.begin_update(x.clone());
        y.accumulate(&x);
        let backprop = move |d_y: Grad<L::In>| {
            let mut d_x = backprop_layer(d_y.clone());
            d_x.accumulate(&d_y);
            d_x
        };
        (y, backprop)
    }

    fn predict(&self, x: L::In) -> L::In {
        let mut y = self.layer.predict(x.clone());
        y.accumulate(&x);
        y
    }

    fn output_width(&self) -> Option<usize> {
        self.layer.output_width()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Const, Floats2};
    use crate::layers::Mish;
    use crate::training::{GradcheckOptions, gradcheck};

    #[test]
    fn residual_gradients_match_finite_differences() {
        let mut model = residual(Mish::new(Const::<3>, Const::<3>));
        let x = Floats2::from_rows(&[[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]]);
        gradcheck(&mut model, &x, &GradcheckOptions::default()).unwrap();
    }

    #[test]
    fn residual_adds_the_input() {
        let model = residual(Mish::new(Const::<2>, Const::<2>));
        let x = Floats2::from_rows(&[[0.5, -1.0]]);
        let inner = model.layer.predict(x.clone());
        let y = model.predict(x.clone());
        assert_eq!(y.view(), inner.view().to_owned() + x.view());
    }
}
