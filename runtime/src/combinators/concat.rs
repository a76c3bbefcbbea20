//! [`Concat`]: `a | b`, both branches see the input, their outputs stand side by side.

use std::marker::PhantomData;

use ndarray::{Array2, s};

use crate::data::dim::sum_fits;
use crate::data::{Accumulate, Dim, Floats2, Grad};
use crate::model::{Model, Params, Visit, VisitMut};

/// `[a(x) | b(x)]`: `Floats2<WA>` and `Floats2<WB>` side by side as `Floats2<O>`, `O = WA + WB`.
/// Backprop splits the gradient by columns and sums the two input gradients.
pub struct Concat<A, B, O> {
    first: A,
    second: B,
    width: PhantomData<fn() -> O>,
}

/// Concatenates the outputs of `first` and `second`. `O` must be the sum of their widths: a
/// constant `O` is checked when the program is built; a run-time `O` needs constant parts.
///
/// ```
/// use weft_runtime::{Const, Floats2, Model, combinators::concat, layers::Linear};
/// let model = concat::<_, _, _, _, Const<5>>(
///     Linear::new(Const::<2>, Const::<3>),
///     Linear::new(Const::<2>, Const::<2>),
/// );
/// assert_eq!(model.predict(Floats2::from_rows(&[[1.0, 2.0]])).view().ncols(), 5);
/// ```
pub fn concat<A, B, WA, WB, O>(first: A, second: B) -> Concat<A, B, O>
where
    A: Model<Out = Floats2<WA>>,
    B: Model<In = A::In, Out = Floats2<WB>>,
    WA: Dim,
    WB: Dim,
    O: Dim,
{
    const {
        assert!(
            sum_fits(&[WA::CONST, WB::CONST], O::CONST),
            "concat: the output width must be the sum of the branch widths"
        )
    };
    Concat {
        first,
        second,
        width: PhantomData,
    }
}

impl<A: Params, B: Params, O> Params for Concat<A, B, O> {
    fn visit(&self, walk: &mut Visit<'_>) {
        walk.associative(
            "concat",
            &mut [&mut |walk| self.first.visit(walk), &mut |walk| {
                self.second.visit(walk)
            }],
        );
    }
    fn visit_mut(&mut self, walk: &mut VisitMut<'_>) {
        let (first, second) = (&mut self.first, &mut self.second);
        walk.associative(
            "concat",
            &mut [&mut |walk| first.visit_mut(walk), &mut |walk| {
                second.visit_mut(walk)
            }],
        );
    }
}

impl<A, B, WA, WB, O> Model for Concat<A, B, O>
where
    A: Model<Out = Floats2<WA>>,
    B: Model<In = A::In, Out = Floats2<WB>>,
    A::In: Clone,
    WA: Dim,
    WB: Dim,
    O: Dim,
{
    type In = A::In;
    type Out = Floats2<O>;

    fn begin_update<'a>(
        &'a self,
        x: A::In,
    ) -> (
        Floats2<O>,
        impl FnOnce(Floats2<O>) -> Grad<A::In> + Send + 'a,
    ) {
        let (ya, backprop_first) = self.first.begin_update(x.clone());
        let (yb, backprop_second) = self.second.begin_update(x);
        let split = ya.view().ncols();
        let backprop = move |d_y: Floats2<O>| {
            let d = d_y.view();
            let d_first = Floats2::wrap(d.slice(s![.., ..split]).to_owned());
            let d_second = Floats2::wrap(d.slice(s![.., split..]).to_owned());
            let mut d_x = backprop_first(d_first);
            d_x.accumulate(&backprop_second(d_second));
            d_x
        };
        (side_by_side(&ya, &yb), backprop)
    }

    fn predict(&self, x: A::In) -> Floats2<O> {
        let ya = self.first.predict(x.clone());
        side_by_side(&ya, &self.second.predict(x))
    }
}

fn side_by_side<WA: Dim, WB: Dim, O: Dim>(a: &Floats2<WA>, b: &Floats2<WB>) -> Floats2<O> {
    let split = a.view().ncols();
    let mut out = Array2::zeros((a.rows(), split + b.view().ncols()));
    out.slice_mut(s![.., ..split]).assign(&a.view());
    out.slice_mut(s![.., split..]).assign(&b.view());
    Floats2::wrap(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Const;
    use crate::layers::{Linear, Relu};
    use crate::training::{GradcheckOptions, gradcheck};

    #[test]
    fn concat_gradients_match_finite_differences() {
        let mut model = concat::<_, _, _, _, Const<5>>(
            Linear::new(Const::<3>, Const::<2>),
            Relu::new(Const::<3>, Const::<3>),
        );
        let x = Floats2::from_rows(&[[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]]);
        gradcheck(&mut model, &x, &GradcheckOptions::default()).unwrap();
    }
}
