//! [`Add`]: `a + b`, both branches see the input, their outputs are summed.

use crate::data::{Accumulate, Grad};

use crate::model::{Model, Params, Visit, VisitMut};

/// `a(x) + b(x)`. Backprop hands the output gradient to both branches and sums their input
/// gradients.
///
/// # Panics
/// `predict` and `begin_update` panic when the branches' outputs differ in shape, as two
/// run-time (`usize`) widths can (see [`Accumulate`]).
pub struct Add<A, B> {
    first: A,
    second: B,
}

/// Sums the outputs of `first` and `second`, which take the same input and return the same type.
///
/// ```
/// use weft_runtime::{Const, Floats2, Model, combinators::add, layers::Linear};
/// let model = add(Linear::new(Const::<2>, Const::<3>), Linear::new(Const::<2>, Const::<3>));
/// assert_eq!(model.predict(Floats2::from_rows(&[[1.0, 2.0]])).view().ncols(), 3);
/// ```
pub fn add<A: Model, B: Model<In = A::In, Out = A::Out>>(first: A, second: B) -> Add<A, B> {
    Add { first, second }
}

impl<A: Params, B: Params> Params for Add<A, B> {
    fn visit(&self, walk: &mut Visit<'_>) {
        walk.associative(
            "add",
            &mut [&mut |walk| self.first.visit(walk), &mut |walk| {
                self.second.visit(walk)
            }],
        );
    }
    fn visit_mut(&mut self, walk: &mut VisitMut<'_>) {
        let (first, second) = (&mut self.first, &mut self.second);
        walk.associative(
            "add",
            &mut [&mut |walk| first.visit_mut(walk), &mut |walk| {
                second.visit_mut(walk)
            }],
        );
    }
}

impl<A, B> Model for Add<A, B>
where
    A: Model,
    B: Model<In = A::In, Out = A::Out>,
    A::In: Clone,
    A::Out: Accumulate,
    Grad<A::Out>: Clone,
{
    type In = A::In;
    type Out = A::Out;

    fn begin_update<'a>(
        &'a self,
        x: A::In,
    ) -> (A::Out, impl FnOnce(Grad<A::Out>) -> Grad<A::In> + Send + 'a) {
        let (mut y, backprop_first) = self.first.begin_update(x.clone());
        let (y_second, backprop_second) = self.second.begin_update(x);
        y.accumulate(&y_second);
        let backprop = move |d_y: Grad<A::Out>| {
            let mut d_x = backprop_first(d_y.clone());
            d_x.accumulate(&backprop_second(d_y));
            d_x
        };
        (y, backprop)
    }

    fn predict(&self, x: A::In) -> A::Out {
        let mut y = self.first.predict(x.clone());
        y.accumulate(&self.second.predict(x));
        y
    }

    fn output_width(&self) -> Option<usize> {
        self.first.output_width().or(self.second.output_width())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Const, Floats2};
    use crate::layers::{Linear, Mish};
    use crate::training::{GradcheckOptions, gradcheck};

    #[test]
    fn add_gradients_match_finite_differences() {
        let mut model = add(
            Linear::new(Const::<3>, Const::<2>),
            Mish::new(Const::<3>, Const::<2>),
        );
        let x = Floats2::from_rows(&[[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]]);
        gradcheck(&mut model, &x, &GradcheckOptions::default()).unwrap();
    }

    /// Run-time widths that differ: the sum is refused, not broadcast.
    #[test]
    #[should_panic(expected = "sum of values of shapes (1, 4) and (1, 5)")]
    fn branches_of_other_widths_are_refused() {
        let model = add(Linear::new(3, 4), Linear::new(3, 5));
        model.predict(Floats2::<usize>::zeros(1, 3));
    }
}
