//! [`ReduceSum`], [`ReduceMean`], [`ReduceMax`]: one vector per sequence.
//!
//! Shapes: `Ragged<Floats2<W>>` → `Floats2<W>` with one row per sequence. No parameters.
//! An empty sequence pools to zeros and gets no gradient. Backprop: the sum copies the row's
//! gradient to every token, the mean divides it by the length, the max routes each column's
//! gradient to the token that held the maximum.

use std::marker::PhantomData;

use ndarray::{ArrayView2, ArrayViewMut2};

use super::boundary::{check_gradient, check_width};
use crate::data::{Dim, Floats2, Ragged};
use crate::kernels::ops::beats;

use crate::model::{Model, Params, Visit, VisitMut};

/// How a sequence of rows becomes one row.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a pooling",
    label = "not a pooling",
    note = "`SumPooling`, `MeanPooling` and `MaxPooling` are poolings; or implement `weft::layers::Pooling`"
)]
pub trait Pooling: Send + Sync + 'static {
    /// The layer kind in parameter paths.
    const KIND: &'static str;
    /// Pools the rows of one (non-empty) sequence into `out`; `winners` receives, per column,
    /// the row that was chosen (only [`MaxPooling`] uses it).
    fn pool(rows: ArrayView2<'_, f32>, out: &mut [f32], winners: &mut [usize]);
    /// Spreads the pooled row's gradient `d_out` over the rows' gradient `d_rows` (zeros).
    fn unpool(d_out: &[f32], winners: &[usize], d_rows: ArrayViewMut2<'_, f32>);
}

/// The sum of the rows.
pub struct SumPooling;
/// The mean of the rows.
pub struct MeanPooling;
/// Largest value of each column; NaN when the column holds one.
pub struct MaxPooling;

impl Pooling for SumPooling {
    const KIND: &'static str = "reduce_sum";
    fn pool(rows: ArrayView2<'_, f32>, out: &mut [f32], _: &mut [usize]) {
        for row in rows.rows() {
            out.iter_mut().zip(row).for_each(|(o, &v)| *o += v);
        }
    }
    fn unpool(d_out: &[f32], _: &[usize], mut d_rows: ArrayViewMut2<'_, f32>) {
        for mut row in d_rows.rows_mut() {
            row.iter_mut().zip(d_out).for_each(|(d, &g)| *d = g);
        }
    }
}

impl Pooling for MeanPooling {
    const KIND: &'static str = "reduce_mean";
    fn pool(rows: ArrayView2<'_, f32>, out: &mut [f32], winners: &mut [usize]) {
        SumPooling::pool(rows, out, winners);
        let n = rows.nrows() as f32;
        out.iter_mut().for_each(|o| *o /= n);
    }
    fn unpool(d_out: &[f32], _: &[usize], mut d_rows: ArrayViewMut2<'_, f32>) {
        let n = d_rows.nrows() as f32;
        for mut row in d_rows.rows_mut() {
            row.iter_mut().zip(d_out).for_each(|(d, &g)| *d = g / n);
        }
    }
}

impl Pooling for MaxPooling {
    const KIND: &'static str = "reduce_max";
    fn pool(rows: ArrayView2<'_, f32>, out: &mut [f32], winners: &mut [usize]) {
        out.fill(f32::NEG_INFINITY);
        for (r, row) in rows.rows().into_iter().enumerate() {
            for ((o, w), &v) in out.iter_mut().zip(winners.iter_mut()).zip(row) {
                if beats(v, *o) {
                    *o = v;
                    *w = r;
                }
            }
        }
    }
    fn unpool(d_out: &[f32], winners: &[usize], mut d_rows: ArrayViewMut2<'_, f32>) {
        for (col, (&g, &r)) in d_out.iter().zip(winners).enumerate() {
            d_rows[[r, col]] = g;
        }
    }
}

/// Pools each sequence of a ragged batch into one row with `P`.
pub struct Reduce<W: Dim, P: Pooling> {
    width: W,
    pooling: PhantomData<fn() -> P>,
}

/// The sum of each sequence's rows.
///
/// ```
/// use weft_runtime::{Const, Floats2, Model, Ragged, layers::ReduceSum};
/// let x = Ragged::new(Floats2::from_rows(&[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]), vec![2, 1]).unwrap();
/// let y = ReduceSum::new(Const::<2>).predict(x);
/// assert_eq!(y, Floats2::from_rows(&[[4.0, 6.0], [5.0, 6.0]]));
/// ```
pub type ReduceSum<W> = Reduce<W, SumPooling>;

/// The mean of each sequence's rows.
///
/// ```
/// use weft_runtime::{Const, Floats2, Model, Ragged, layers::ReduceMean};
/// let x = Ragged::new(Floats2::from_rows(&[[1.0, 2.0], [3.0, 4.0]]), vec![2, 0]).unwrap();
/// let y = ReduceMean::new(Const::<2>).predict(x);
/// assert_eq!(y, Floats2::from_rows(&[[2.0, 3.0], [0.0, 0.0]]));
/// ```
pub type ReduceMean<W> = Reduce<W, MeanPooling>;

/// The largest value of each column of each sequence.
///
/// ```
/// use weft_runtime::{Const, Floats2, Model, Ragged, layers::ReduceMax};
/// let x = Ragged::new(Floats2::from_rows(&[[1.0, 4.0], [3.0, 2.0]]), vec![2]).unwrap();
/// let y = ReduceMax::new(Const::<2>).predict(x);
/// assert_eq!(y, Floats2::from_rows(&[[3.0, 4.0]]));
/// ```
pub type ReduceMax<W> = Reduce<W, MaxPooling>;

impl<W: Dim, P: Pooling> Reduce<W, P> {
    /// Pooling of rows of width `width`.
    pub fn new(width: W) -> Self {
        Reduce {
            width,
            pooling: PhantomData,
        }
    }

    /// The pooled rows, and per sequence and column the winning row.
    fn forward(&self, x: &Ragged<Floats2<W>>) -> (Floats2<W>, Vec<usize>) {
        check_width(P::KIND, self.width, x.data().width());
        let width = self.width.size();
        let mut y = Floats2::zeros(x.len(), self.width);
        let mut winners = vec![0; x.len() * width];
        let rows = x.data().view();
        for ((range, mut out), winners) in x
            .ranges()
            .zip(y.view_mut().rows_mut())
            .zip(winners.chunks_mut(width.max(1)))
        {
            if !range.is_empty() {
                let out = out.as_slice_mut().expect("contiguous rows");
                P::pool(rows.slice(ndarray::s![range, ..]), out, winners);
            }
        }
        (y, winners)
    }
}

impl<W: Dim, P: Pooling> Params for Reduce<W, P> {
    fn visit(&self, walk: &mut Visit<'_>) {
        walk.layer(P::KIND, |walk| walk.attr("width", &self.width.size()));
    }
    fn visit_mut(&mut self, walk: &mut VisitMut<'_>) {
        walk.layer(P::KIND, |_| {});
    }
}

impl<W: Dim, P: Pooling> Model for Reduce<W, P> {
    type In = Ragged<Floats2<W>>;
    type Out = Floats2<W>;

    fn begin_update<'a>(
        &'a self,
        x: Ragged<Floats2<W>>,
    ) -> (
        Floats2<W>,
        impl FnOnce(Floats2<W>) -> Ragged<Floats2<W>> + Send + 'a,
    ) {
        let (y, winners) = self.forward(&x);
        let backprop = move |d_y: Floats2<W>| {
            check_gradient(P::KIND, x.len(), self.width, &d_y);
            let width = self.width.size();
            let mut d_x = Floats2::zeros(x.data().rows(), self.width);
            let mut d_rows = d_x.view_mut();
            for ((range, d_out), winners) in x
                .ranges()
                .zip(d_y.view().rows())
                .zip(winners.chunks(width.max(1)))
            {
                if !range.is_empty() {
                    let d_out = d_out.to_slice().expect("contiguous rows");
                    P::unpool(d_out, winners, d_rows.slice_mut(ndarray::s![range, ..]));
                }
            }
            let (_, lengths) = x.into_parts();
            Ragged::wrap(d_x, lengths)
        };
        (y, backprop)
    }

    fn predict(&self, x: Ragged<Floats2<W>>) -> Floats2<W> {
        self.forward(&x).0
    }

    fn output_width(&self) -> Option<usize> {
        Some(self.width.size())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Const;
    use crate::training::{GradcheckOptions, gradcheck};

    fn batch() -> Ragged<Floats2<Const<2>>> {
        let rows = Floats2::from_rows(&[[0.5, -1.0], [1.5, 0.3], [-0.7, 0.2], [0.9, 2.0]]);
        Ragged::new(rows, vec![2, 0, 2]).unwrap()
    }

    #[test]
    fn reduce_sum_gradients_match_finite_differences() {
        gradcheck(
            &mut ReduceSum::new(Const::<2>),
            &batch(),
            &GradcheckOptions::default(),
        )
        .unwrap();
    }

    #[test]
    fn reduce_mean_gradients_match_finite_differences() {
        gradcheck(
            &mut ReduceMean::new(Const::<2>),
            &batch(),
            &GradcheckOptions::default(),
        )
        .unwrap();
    }

    #[test]
    fn reduce_max_gradients_match_finite_differences() {
        gradcheck(
            &mut ReduceMax::new(Const::<2>),
            &batch(),
            &GradcheckOptions::default(),
        )
        .unwrap();
    }

    #[test]
    fn empty_batch_gives_no_rows() {
        let x = Ragged::new(Floats2::<Const<2>>::zeros(0, Const), vec![]).unwrap();
        assert_eq!(ReduceMax::new(Const::<2>).predict(x).rows(), 0);
    }
}
