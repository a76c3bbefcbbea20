//! [`Attention`]: parametric attention pooling, one vector per sequence.
//!
//! Shapes: `Ragged<Floats2<W>>` → `Floats2<W>`. Parameter `Q` `(W)`, a learned query,
//! uniform(±0.1). For each sequence with rows `x_i`: scores `s_i = x_i · q`, weights
//! `a = softmax(s)` over the sequence's tokens, output `y = Σ_i a_i x_i` (Thinc's
//! `ParametricAttention` followed by `reduce_sum`). An empty sequence gives zeros.
//!
//! Backprop, with `e_i = dy · x_i`: `ds_i = a_i (e_i - Σ_j a_j e_j)`,
//! `dx_i = a_i dy + ds_i q`, `dq = Σ_i ds_i x_i`.

use std::ops::Range;

use ndarray::{Array1, ArrayViewMut1, s};
use rayon::prelude::*;

use crate::ops::{add_scaled_rows, dot_rows, softmax_in_place};
use crate::{Dim, Floats2, Model, Param, Params, Ragged, Rng, Visit, VisitMut};

/// Attention pooling with a learned query vector.
///
/// ```
/// use weft_runtime::{Const, Floats2, Model, Ragged, layers::Attention};
/// let x = Ragged::new(Floats2::from_rows(&[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]), vec![2, 1]).unwrap();
/// let y = Attention::new(Const::<2>).predict(x);
/// assert_eq!(y.rows(), 2);
/// // A one-token sequence attends only to itself.
/// assert_eq!(y.view().row(1).to_vec(), vec![5.0, 6.0]);
/// ```
pub struct Attention<W: Dim> {
    width: W,
    query: Param,
}

impl<W: Dim> Attention<W> {
    /// Attention over rows of width `width`.
    pub fn new(width: W) -> Self {
        let n = width.size();
        Attention {
            width,
            query: Param::new(&[n], Rng::fresh().uniform_vec(n, 0.1)),
        }
    }

    /// The pooled rows and the attention weight of every token. Sequence by sequence, on the
    /// thread pool when it has more than one thread.
    fn forward(&self, x: &Ragged<Floats2<W>>) -> (Floats2<W>, Array1<f32>) {
        let rows = x.data.view();
        let rows = rows.as_standard_layout();
        let q = self.query.value();
        let mut weights = Array1::zeros(rows.nrows());
        let mut y = Floats2::zeros(x.len(), self.width);
        let pool = |((range, a), mut out): ((Range<usize>, &mut [f32]), ArrayViewMut1<'_, f32>)| {
            let seq = rows.slice(s![range, ..]);
            let seq = seq.as_slice().expect("contiguous rows");
            dot_rows(seq, q, a);
            softmax_in_place(a, a.len());
            // Row by row: `a · X` as a product would walk the columns of X.
            add_scaled_rows(out.as_slice_mut().expect("a row"), a, seq);
        };
        let mut rest = weights.as_slice_mut().expect("a new array");
        let segments = x.ranges().map(|range| {
            let (a, tail) = std::mem::take(&mut rest).split_at_mut(range.len());
            rest = tail;
            (range, a)
        });
        let mut out = y.view_mut();
        let work = segments.zip(out.rows_mut());
        if crate::threads() > 1 {
            work.collect::<Vec<_>>().into_par_iter().for_each(pool);
        } else {
            work.for_each(pool);
        }
        (y, weights)
    }
}

impl<W: Dim> Params for Attention<W> {
    fn visit(&self, walk: &mut Visit<'_>) {
        walk.layer("attention", |walk| {
            walk.attr("width", &self.width.size());
            walk.param("Q", &self.query);
        });
    }
    fn visit_mut(&mut self, walk: &mut VisitMut<'_>) {
        walk.layer("attention", |walk| walk.param("Q", &mut self.query));
    }
}

impl<W: Dim> Model for Attention<W> {
    type In = Ragged<Floats2<W>>;
    type Out = Floats2<W>;

    fn begin_update<'a>(
        &'a self,
        x: Ragged<Floats2<W>>,
    ) -> (
        Floats2<W>,
        impl FnOnce(Floats2<W>) -> Ragged<Floats2<W>> + Send + 'a,
    ) {
        let (y, weights) = self.forward(&x);
        let backprop = move |d_y: Floats2<W>| {
            let rows = x.data.view();
            let q = self.query.vector();
            let mut d_x = Floats2::zeros(x.data.rows(), self.width);
            let mut d_q = Array1::<f32>::zeros(self.width.size());
            for (range, dy) in x.ranges().zip(d_y.view().rows()) {
                let seq = rows.slice(s![range.clone(), ..]);
                let a = weights.slice(s![range.clone()]);
                let e = seq.dot(&dy);
                let mean_e = a.dot(&e);
                let ds = &a * &(e - mean_e);
                let mut d_seq = d_x.view_mut();
                let mut d_seq = d_seq.slice_mut(s![range, ..]);
                for ((mut d, &a), &ds) in d_seq.rows_mut().into_iter().zip(a).zip(&ds) {
                    d.scaled_add(a, &dy);
                    d.scaled_add(ds, &q);
                }
                d_q += &ds.dot(&seq);
            }
            self.query
                .grad()
                .iter_mut()
                .zip(&d_q)
                .for_each(|(g, &d)| *g += d);
            let (_, lengths) = x.into_parts();
            Ragged::wrap(d_x, lengths)
        };
        (y, backprop)
    }

    fn predict(&self, x: Ragged<Floats2<W>>) -> Floats2<W> {
        self.forward(&x).0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{assert_close, random_ragged};
    use crate::{Const, GradcheckOptions, gradcheck};

    /// Each output row is `softmax(X q) · X` of its sequence, computed here in `f64`: over
    /// enough sequences that a pool of several threads shares them out.
    #[test]
    fn attention_pools_each_sequence() {
        let layer = Attention::new(Const::<4>);
        let lengths: Vec<usize> = (0..40).map(|i| i % 7).collect();
        let x = random_ragged::<4>(&lengths, 9);
        let y = layer.predict(x.clone());
        let q = layer.query.vector().mapv(f64::from);
        for (range, found) in x.ranges().zip(y.view().rows()) {
            let seq = x.data.view().slice(s![range, ..]).mapv(f64::from);
            let e = seq.dot(&q).mapv(f64::exp);
            let expected = (e.dot(&seq) / e.sum().max(f64::MIN_POSITIVE)).mapv(|v| v as f32);
            assert_close(
                found.insert_axis(ndarray::Axis(0)),
                expected.view().insert_axis(ndarray::Axis(0)),
                1e-6,
            );
        }
    }

    #[test]
    fn attention_gradients_match_finite_differences() {
        let mut layer = Attention::new(Const::<3>);
        layer.query.value_mut().copy_from_slice(&[0.7, -0.4, 1.1]);
        let rows = Floats2::from_rows(&[
            [0.5, -1.0, 2.0],
            [1.5, 0.3, -0.7],
            [-0.2, 0.8, 0.4],
            [0.9, 2.0, -1.3],
        ]);
        let x = Ragged::new(rows, vec![3, 0, 1]).unwrap();
        gradcheck(&mut layer, &x, &GradcheckOptions::default()).unwrap();
    }
}
