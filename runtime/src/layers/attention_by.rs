//! [`AttentionBy`]: attention pooling whose query comes from another network, one per
//! sequence, beside [`Attention`](super::Attention)'s learned query.
//!
//! Shapes: `Ragged<Floats2<W>>` → `Floats2<W>`, one row per sequence. The query network `Q`
//! reads the same sequences and gives a query per sequence, `Floats2<W>` (the mean of its
//! tokens through a dense layer, say). For sequence `k` with rows `x_i` and query `q_k`:
//! scores `s_i = x_i · q_k`, weights `a = softmax(s)`, output `y = Σ_i a_i x_i`. An empty
//! sequence gives zeros. No parameters of its own: the query network's.
//!
//! Backprop, with `e_i = dy · x_i`: `ds_i = a_i (e_i - Σ_j a_j e_j)`,
//! `dx_i = a_i dy + ds_i q_k`, `dq_k = Σ_i ds_i x_i`, which the query network's backprop turns
//! into a gradient of the same sequences, added to `dx`.

use super::attention::{Queries, attend, attend_backward};
use super::boundary::check_gradient;
use crate::data::{Accumulate, Dim, Floats2, Ragged};
use crate::model::{Model, Params, Visit, VisitMut};

/// Attention pooling of each sequence against the query `query` gives it.
///
/// ```
/// use weft_runtime::{Const, Floats2, Model, Ragged, layers::{AttentionBy, ReduceMean}};
/// let x = Ragged::new(Floats2::from_rows(&[[1.0, 0.0], [0.0, 3.0], [5.0, 6.0]]), vec![2, 1])?;
/// // The query of each sequence is the mean of its tokens.
/// let y = AttentionBy::new(ReduceMean::new(Const::<2>)).predict(x);
/// // Scores 0.5 and 4.5: the second token takes softmax's weight e^4 / (1 + e^4).
/// let a = 1.0 / (1.0 + (-4.0f32).exp());
/// assert!((y.view()[[0, 1]] - 3.0 * a).abs() < 1e-6);
/// assert_eq!(y.view().row(1).to_vec(), [5.0, 6.0]);
/// # Ok::<(), weft_runtime::Error>(())
/// ```
pub struct AttentionBy<Q> {
    query: Q,
}

impl<Q> AttentionBy<Q> {
    /// Attention pooling whose queries `query` computes from the sequences.
    pub fn new(query: Q) -> Self {
        AttentionBy { query }
    }
}

impl<Q: Params> Params for AttentionBy<Q> {
    fn visit(&self, walk: &mut Visit<'_>) {
        walk.combinator("attention_by", &mut [&mut |walk| self.query.visit(walk)]);
    }
    fn visit_mut(&mut self, walk: &mut VisitMut<'_>) {
        let query = &mut self.query;
        walk.combinator("attention_by", &mut [&mut |walk| query.visit_mut(walk)]);
    }
}

impl<Q, W> Model for AttentionBy<Q>
where
    Q: Model<In = Ragged<Floats2<W>>, Out = Floats2<W>>,
    W: Dim,
{
    type In = Ragged<Floats2<W>>;
    type Out = Floats2<W>;

    fn begin_update<'a>(
        &'a self,
        x: Ragged<Floats2<W>>,
    ) -> (
        Floats2<W>,
        impl FnOnce(Floats2<W>) -> Ragged<Floats2<W>> + Send + 'a,
    ) {
        let (queries, backprop_query) = self.query.begin_update(x.clone());
        let width = x.data().width();
        check_queries(&queries, width);
        let (y, weights) = attend(&x, width, Queries::PerSequence(query_rows(&queries)));
        let backprop = move |d_y: Floats2<W>| {
            check_gradient("attention_by", x.len(), width, &d_y);
            let rows = Queries::PerSequence(query_rows(&queries));
            let (d_x, d_queries) = attend_backward(&x, width, &weights, &d_y, rows);
            let d_queries = Floats2::wrap(
                ndarray::Array2::from_shape_vec((x.len(), width.size()), d_queries)
                    .expect("a row per sequence"),
            );
            let mut d_x = Ragged::wrap(d_x, x.into_parts().1);
            d_x.accumulate(&backprop_query(d_queries));
            d_x
        };
        (y, backprop)
    }

    fn predict(&self, x: Ragged<Floats2<W>>) -> Floats2<W> {
        let queries = self.query.predict(x.clone());
        let width = x.data().width();
        check_queries(&queries, width);
        attend(&x, width, Queries::PerSequence(query_rows(&queries))).0
    }
}

/// Panics unless `queries` are of the tokens' `width`: the query network does not fit.
fn check_queries<W: Dim>(queries: &Floats2<W>, width: W) {
    if queries.width() != width {
        panic!(
            "attention_by: the query network gives queries of width {}, for tokens of width {}",
            queries.width().size(),
            width.size()
        );
    }
}

/// The query rows, one per sequence, back to back.
fn query_rows<W: Dim>(queries: &Floats2<W>) -> &[f32] {
    queries
        .view()
        .to_slice()
        .expect("Floats2 holds its rows in standard layout")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::combinators::chain;
    use crate::data::Const;
    use crate::layers::{Linear, ReduceMean};
    use crate::training::testing::random_ragged;
    use crate::training::{GradcheckOptions, gradcheck};

    /// Queries from a dense layer over each sequence's mean: the gradient reaches the input by
    /// both paths, and the query network's parameters; an empty sequence among them.
    #[test]
    fn attention_by_gradients_match_finite_differences() {
        let query = chain(
            ReduceMean::new(Const::<3>),
            Linear::new(Const::<3>, Const::<3>),
        );
        let mut model = AttentionBy::new(query);
        let x = random_ragged::<3>(&[3, 0, 1, 2], 7);
        gradcheck(&mut model, &x, &GradcheckOptions::default()).unwrap();
    }

    /// A query network whose queries are of another width than the tokens' is refused,
    /// naming the layer.
    #[test]
    #[should_panic(
        expected = "attention_by: the query network gives queries of width 4, for tokens of width 3"
    )]
    fn queries_of_another_width_are_refused() {
        let query = chain(ReduceMean::new(3usize), Linear::new(3usize, 4usize));
        let x = Ragged::new(Floats2::zeros(2, 3usize), vec![2]).unwrap();
        AttentionBy::new(query).predict(x);
    }
}
