//! [`Chain`]: `a >> b`, the output of `a` feeds `b`.

use crate::data::Grad;

use crate::model::{Model, Params, Visit, VisitMut};

/// `a` then `b`. Backprop runs `b`'s closure, then `a`'s.
pub struct Chain<A, B> {
    first: A,
    second: B,
}

/// Chains `first` into `second`; `second` must take what `first` returns.
///
/// ```
/// use weft_runtime::{Const, Floats2, Model, combinators::chain, layers::{Linear, Relu}};
/// let model = chain(Relu::new(Const::<2>, Const::<3>), Linear::new(Const::<3>, Const::<1>));
/// assert_eq!(model.predict(Floats2::from_rows(&[[1.0, 2.0]])).rows(), 1);
/// ```
pub fn chain<A: Model, B: Model<In = A::Out>>(first: A, second: B) -> Chain<A, B> {
    Chain { first, second }
}

impl<A: Params, B: Params> Params for Chain<A, B> {
    fn visit(&self, walk: &mut Visit<'_>) {
        walk.child(|walk| self.first.visit(walk));
        walk.child(|walk| self.second.visit(walk));
    }
    fn visit_mut(&mut self, walk: &mut VisitMut<'_>) {
        walk.child(|walk| self.first.visit_mut(walk));
        walk.child(|walk| self.second.visit_mut(walk));
    }
}

impl<A: Model, B: Model<In = A::Out>> Model for Chain<A, B> {
    type In = A::In;
    type Out = B::Out;

    fn begin_update<'a>(
        &'a self,
        x: A::In,
    ) -> (B::Out, impl FnOnce(Grad<B::Out>) -> Grad<A::In> + Send + 'a) {
        let (h, backprop_first) = self.first.begin_update(x);
        let (y, backprop_second) = self.second.begin_update(h);
        (y, move |d_y| backprop_first(backprop_second(d_y)))
    }

    fn predict(&self, x: A::In) -> B::Out {
        self.second.predict(self.first.predict(x))
    }

    fn output_width(&self) -> Option<usize> {
        self.second.output_width()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Const, Floats2};
    use crate::layers::{Linear, Mish};
    use crate::model::Params;
    use crate::training::{GradcheckOptions, gradcheck};

    #[test]
    fn chain_gradients_match_finite_differences() {
        let mut model = chain(
            Mish::new(Const::<3>, Const::<4>),
            Linear::new(Const::<4>, Const::<2>),
        );
        let x = Floats2::from_rows(&[[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]]);
        gradcheck(&mut model, &x, &GradcheckOptions::default()).unwrap();
    }

    #[test]
    fn names_do_not_depend_on_nesting() {
        let layer = || Linear::new(Const::<2>, Const::<2>);
        let left = chain(chain(layer(), layer()), layer());
        let right = chain(layer(), chain(layer(), layer()));
        assert_eq!(left.param_names(), right.param_names());
        assert_eq!(left.param_names()[4], "2.linear.W");
    }
}
