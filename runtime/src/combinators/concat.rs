//! [`Concat`]: `a | b`, both branches see the input, their outputs stand side by side.

use std::marker::PhantomData;

use ndarray::{Array2, s};

use crate::data::dim::sum_fits;
use crate::data::{Accumulate, Columns, Dim, Grad};
use crate::model::{Model, Params, Visit, VisitMut};

/// `[a(x) | b(x)]`: two outputs of one kind (`Floats2`, or `Ragged<Floats2>` with the same
/// sequences), `WA` and `WB` wide, side by side as one `O = WA + WB` wide. Backprop splits the
/// gradient by columns and sums the two input gradients.
///
/// # Panics
/// `predict` and `begin_update` panic when the branches' outputs do not group their rows
/// alike (other row counts, or other sequence lengths), which a layer of the user's could do.
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
///
/// Over sequences, each token's vectors are joined:
///
/// ```
/// use weft_runtime::{Const, Model, Ragged, combinators::{concat, with_array}, layers::Embed};
/// let model = concat::<_, _, _, _, Const<5>>(
///     with_array(Embed::new(10, Const::<3>)),
///     with_array(Embed::new(10, Const::<2>)),
/// );
/// let y = model.predict(Ragged::from_sequences(&[vec![1, 2], vec![3]]));
/// assert_eq!((y.lengths(), y.data().view().ncols()), (&[2, 1][..], 5));
/// ```
pub fn concat<A, B, WA, WB, O>(first: A, second: B) -> Concat<A, B, O>
where
    A: Model,
    A::Out: Columns<Width = WA>,
    B: Model<In = A::In>,
    B::Out: Columns<Width = WB, Layout = <A::Out as Columns>::Layout>,
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

impl<A, B, O> Model for Concat<A, B, O>
where
    A: Model,
    A::Out: Columns,
    B: Model<In = A::In>,
    B::Out: Columns<Layout = <A::Out as Columns>::Layout>,
    A::In: Clone,
    O: Dim,
{
    type In = A::In;
    type Out = <A::Out as Columns>::Of<O>;

    fn begin_update<'a>(
        &'a self,
        x: A::In,
    ) -> (Self::Out, impl FnOnce(Self::Out) -> Grad<A::In> + Send + 'a) {
        let (ya, backprop_first) = self.first.begin_update(x.clone());
        let (yb, backprop_second) = self.second.begin_update(x);
        let (y, split) = side_by_side(ya, yb);
        let backprop = move |d_y: Self::Out| {
            let (d, layout) = d_y.unpack();
            let d_first = A::Out::pack(d.slice(s![.., ..split]).to_owned(), layout.clone());
            let d_second = B::Out::pack(d.slice(s![.., split..]).to_owned(), layout);
            let mut d_x = backprop_first(d_first);
            d_x.accumulate(&backprop_second(d_second));
            d_x
        };
        (y, backprop)
    }

    fn predict(&self, x: A::In) -> Self::Out {
        let ya = self.first.predict(x.clone());
        side_by_side(ya, self.second.predict(x)).0
    }

    fn output_width(&self) -> Option<usize> {
        O::CONST.or(Some(
            self.first.output_width()? + self.second.output_width()?,
        ))
    }
}

/// `a` and `b` side by side, grouped as both are, and the width of `a`.
fn side_by_side<A: Columns, B: Columns<Layout = A::Layout>, O: Dim>(
    a: A,
    b: B,
) -> (A::Of<O>, usize) {
    let ((a, layout), (b, other)) = (a.unpack(), b.unpack());
    assert!(
        layout == other && a.nrows() == b.nrows(),
        "concat: the branches group their rows differently ({} rows and {}, or other sequence \
         lengths)",
        a.nrows(),
        b.nrows()
    );
    let split = a.ncols();
    let mut out = Array2::zeros((a.nrows(), split + b.ncols()));
    out.slice_mut(s![.., ..split]).assign(&a);
    out.slice_mut(s![.., split..]).assign(&b);
    (A::Of::<O>::pack(out, layout), split)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::combinators::with_array;
    use crate::data::{Const, Floats2, Ragged};
    use crate::layers::{Linear, Lstm, Relu};
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

    #[test]
    fn concat_over_sequences_gradients_match_finite_differences() {
        let mut model = concat::<_, _, _, _, Const<5>>(
            with_array(Linear::new(Const::<2>, Const::<2>)),
            Lstm::new(Const::<2>, Const::<3>, 1),
        );
        let rows = Floats2::from_rows(&[[0.5, -1.0], [1.5, 0.3], [-0.7, 0.2]]);
        let x = Ragged::new(rows, vec![2, 0, 1]).unwrap();
        gradcheck(&mut model, &x, &GradcheckOptions::default()).unwrap();
    }

    /// Branches that group their rows otherwise (a layer of the user's could) are refused.
    #[test]
    #[should_panic(expected = "concat: the branches group their rows differently")]
    fn branches_of_other_sequences_are_refused() {
        let (a, b) = (Floats2::<usize>::zeros(3, 2), Floats2::<usize>::zeros(3, 1));
        side_by_side::<_, _, usize>(
            Ragged::new(a, vec![2, 1]).unwrap(),
            Ragged::new(b, vec![1, 2]).unwrap(),
        );
    }
}
