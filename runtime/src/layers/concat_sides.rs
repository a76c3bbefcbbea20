//! [`ConcatSides`]: the two vectors of each pair side by side, one vector per pair.
//!
//! Shapes: `Pairs<Floats2<W>>` (a row per side) → `Floats2<O>` (a row per pair), `O = 2W`:
//! row `i` is `[first_i; second_i]`. No parameters. Backprop splits each row's gradient
//! between the two sides. After a pooling of both sides (`both(reduce_sum) >> concat_sides`), it is
//! the "aggregate" step of decomposable attention (Parikh et al. 2016).

use std::marker::PhantomData;

use ndarray::{Array2, s};

use super::boundary::{check_gradient, check_width};
use crate::data::dim::sum_fits;
use crate::data::{Dim, Floats2, Pairs};
use crate::model::{Model, Params, Visit, VisitMut};

/// Each pair's two vectors side by side.
///
/// ```
/// use weft_runtime::{Const, Floats2, Model, Pairs, layers::ConcatSides};
/// let first = Floats2::from_rows(&[[1.0, 2.0], [3.0, 4.0]]);
/// let second = Floats2::from_rows(&[[5.0, 6.0], [7.0, 8.0]]);
/// let y = ConcatSides::<_, Const<4>>::new(Const::<2>).predict(Pairs::new(first, second)?);
/// assert_eq!(y, Floats2::from_rows(&[[1.0, 2.0, 5.0, 6.0], [3.0, 4.0, 7.0, 8.0]]));
/// # Ok::<(), weft_runtime::Error>(())
/// ```
pub struct ConcatSides<W: Dim, O: Dim> {
    width: W,
    out: PhantomData<fn() -> O>,
}

impl<W: Dim, O: Dim> ConcatSides<W, O> {
    /// Joins pairs of rows of width `width`. `O` must be twice `W`: a constant `O` is checked
    /// when the program is built; a constant `O` needs a constant `W`.
    pub fn new(width: W) -> Self {
        const {
            assert!(
                sum_fits(&[W::CONST, W::CONST], O::CONST),
                "concat_sides: the output width must be twice the input width"
            )
        };
        ConcatSides {
            width,
            out: PhantomData,
        }
    }

    fn out_width(&self) -> O {
        O::from_size(2 * self.width.size()).expect("checked when built")
    }

    fn forward(&self, x: Pairs<Floats2<W>>) -> Floats2<O> {
        let (sides, pairs) = x.into_parts();
        check_width("concat_sides", self.width, sides.width());
        let w = self.width.size();
        let rows = sides.view();
        let mut y = Array2::zeros((pairs, 2 * w));
        y.slice_mut(s![.., ..w])
            .assign(&rows.slice(s![..pairs, ..]));
        y.slice_mut(s![.., w..])
            .assign(&rows.slice(s![pairs.., ..]));
        Floats2::wrap(y)
    }
}

impl<W: Dim, O: Dim> Params for ConcatSides<W, O> {
    fn visit(&self, walk: &mut Visit<'_>) {
        walk.layer("concat_sides", |walk| {
            walk.attr("width", &self.width.size())
        });
    }
    fn visit_mut(&mut self, walk: &mut VisitMut<'_>) {
        walk.layer("concat_sides", |_| {});
    }
}

impl<W: Dim, O: Dim> Model for ConcatSides<W, O> {
    type In = Pairs<Floats2<W>>;
    type Out = Floats2<O>;

    fn begin_update<'a>(
        &'a self,
        x: Pairs<Floats2<W>>,
    ) -> (
        Floats2<O>,
        impl FnOnce(Floats2<O>) -> Pairs<Floats2<W>> + Send + 'a,
    ) {
        let pairs = x.len();
        let backprop = move |d_y: Floats2<O>| {
            check_gradient("concat_sides", pairs, self.out_width(), &d_y);
            let w = self.width.size();
            let d_y = d_y.view();
            let mut d_x = Array2::zeros((2 * pairs, w));
            d_x.slice_mut(s![..pairs, ..])
                .assign(&d_y.slice(s![.., ..w]));
            d_x.slice_mut(s![pairs.., ..])
                .assign(&d_y.slice(s![.., w..]));
            Pairs::wrap(Floats2::wrap(d_x), pairs)
        };
        (self.forward(x), backprop)
    }

    fn predict(&self, x: Pairs<Floats2<W>>) -> Floats2<O> {
        self.forward(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Const;
    use crate::training::{GradcheckOptions, gradcheck};

    #[test]
    fn concat_sides_gradients_match_finite_differences() {
        let first = Floats2::from_rows(&[[0.5, -1.0], [1.5, 0.3]]);
        let second = Floats2::from_rows(&[[-0.7, 0.2], [0.9, 2.0]]);
        let x = Pairs::new(first, second).unwrap();
        gradcheck(
            &mut ConcatSides::<_, Const<4>>::new(Const::<2>),
            &x,
            &GradcheckOptions::default(),
        )
        .unwrap();
    }

    #[test]
    fn no_pairs_concatenate_to_no_rows() {
        let empty = || Floats2::<Const<2>>::zeros(0, Const);
        let x = Pairs::new(empty(), empty()).unwrap();
        assert_eq!(
            ConcatSides::<_, usize>::new(Const::<2>)
                .predict(x)
                .view()
                .dim(),
            (0, 4)
        );
    }
}
