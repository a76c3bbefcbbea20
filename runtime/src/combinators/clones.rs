//! [`Clones`]: `a ** n`, `n` fresh copies of a layer, chained.

use crate::data::Grad;

use crate::model::{Model, Params, Visit, VisitMut};

/// `n` layers of one type applied one after the other. Each copy has its own parameters and its
/// own position in parameter paths.
pub struct Clones<L> {
    layers: Vec<L>,
}

/// Chains `n` layers made by `make` (called `n` times, so each copy starts from fresh weights).
/// With `n = 0` the model is the identity.
///
/// ```
/// use weft_runtime::{Const, Floats2, Model, Params, combinators::clones, layers::Relu};
/// let model = clones(3, || Relu::new(Const::<4>, Const::<4>));
/// assert_eq!(model.param_names().len(), 6);
/// assert_eq!(model.predict(Floats2::from_rows(&[[1.0, 2.0, 3.0, 4.0]])).rows(), 1);
/// ```
pub fn clones<L: Model<Out = <L as Model>::In>>(n: usize, make: impl FnMut() -> L) -> Clones<L> {
    Clones {
        layers: std::iter::repeat_with(make).take(n).collect(),
    }
}

impl<L: Params> Params for Clones<L> {
    fn visit(&self, walk: &mut Visit<'_>) {
        for layer in &self.layers {
            walk.child(|walk| layer.visit(walk));
        }
    }
    fn visit_mut(&mut self, walk: &mut VisitMut<'_>) {
        for layer in &mut self.layers {
            walk.child(|walk| layer.visit_mut(walk));
        }
    }
}

impl<L: Model<Out = <L as Model>::In>> Model for Clones<L> {
    type In = L::In;
    type Out = L::In;

    fn begin_update<'a>(
        &'a self,
        x: L::In,
    ) -> (L::In, impl FnOnce(Grad<L::In>) -> Grad<L::In> + Send + 'a) {
        let mut backprops = Vec::with_capacity(self.layers.len());
        let mut h = x;
        for layer in &self.layers {
            let (y, backprop) = layer.begin_update(h);
            backprops.push(backprop);
            h = y;
        }
        let backprop = move |d_y| backprops.into_iter().rev().fold(d_y, |d, bp| bp(d));
        (h, backprop)
    }

    fn predict(&self, x: L::In) -> L::In {
        self.layers.iter().fold(x, |h, layer| layer.predict(h))
    }

    fn output_width(&self) -> Option<usize> {
        self.layers.last()?.output_width()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Const, Floats2};
    use crate::layers::Mish;
    use crate::training::{GradcheckOptions, gradcheck};

    #[test]
    fn clones_gradients_match_finite_differences() {
        let mut model = clones(3, || Mish::new(Const::<3>, Const::<3>));
        let x = Floats2::from_rows(&[[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]]);
        gradcheck(&mut model, &x, &GradcheckOptions::default()).unwrap();
        assert_eq!(model.param_names()[4], "2.mish.W");
    }
}
