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

use super::boundary::{check_gradient, check_width};
use crate::data::{Dim, Floats2, Ragged};
use crate::kernels::ops::{add_scaled_rows, dot_rows, multiversion, softmax_in_place};
use crate::kernels::rng::Rng;
use crate::kernels::threads::threads;
use crate::model::{Model, Param, Params, Visit, VisitMut};

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
            query: Param::uniform(&[n], 0.1, &mut Rng::fresh()),
        }
    }

    /// The pooled rows and the attention weight of every token.
    fn forward(&self, x: &Ragged<Floats2<W>>) -> (Floats2<W>, Array1<f32>) {
        check_width("attention", self.width, x.data().width());
        attend(x, self.width, Queries::One(self.query.value()))
    }

    /// The gradient of the input rows for `d_y`, the gradient of the pooled rows, given the
    /// attention `weights` of the forward pass; adds the query's gradient, the sum of every
    /// sequence's in order: the same on any number of threads.
    fn backward(
        &self,
        x: &Ragged<Floats2<W>>,
        weights: &Array1<f32>,
        d_y: &Floats2<W>,
    ) -> Floats2<W> {
        check_gradient("attention", x.len(), self.width, d_y);
        let query = self.query.value();
        let (d_x, d_queries) = attend_backward(x, self.width, weights, d_y, Queries::One(query));
        let mut grad = self.query.grad();
        for d_q in d_queries.chunks_exact(self.width.size().max(1)) {
            grad.iter_mut().zip(d_q).for_each(|(g, &d)| *g += d);
        }
        d_x
    }
}

/// The query each sequence is scored against: one for all (a learned query), or a row of its
/// own per sequence ([`AttentionBy`](super::AttentionBy)).
#[derive(Copy, Clone)]
pub(super) enum Queries<'q> {
    /// This query for every sequence.
    One(&'q [f32]),
    /// Row `k` (of the width of the tokens) for sequence `k`.
    PerSequence(&'q [f32]),
}

impl Queries<'_> {
    /// The query of sequence `k`, `width` floats.
    fn of(&self, k: usize, width: usize) -> &[f32] {
        match *self {
            Queries::One(q) => q,
            Queries::PerSequence(rows) => &rows[k * width..(k + 1) * width],
        }
    }
}

/// Attention pooling of each sequence of `x` (rows of `width`, checked by the caller) against
/// its query: the pooled rows and the attention weight of every token. Sequence by sequence,
/// on the thread pool when the batch is large enough ([`in_parallel`]).
pub(super) fn attend<W: Dim>(
    x: &Ragged<Floats2<W>>,
    width: W,
    queries: Queries<'_>,
) -> (Floats2<W>, Array1<f32>) {
    let rows = x.data().view();
    let rows = rows.as_standard_layout();
    let mut weights = Array1::zeros(rows.nrows());
    let mut y = Floats2::zeros(x.len(), width);
    let pool = |(k, ((range, a), mut out)): (
        usize,
        ((Range<usize>, &mut [f32]), ArrayViewMut1<'_, f32>),
    )| {
        let seq = rows.slice(s![range, ..]);
        let seq = seq.as_slice().expect("contiguous rows");
        dot_rows(seq, queries.of(k, width.size()), a);
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
    let work = segments.zip(out.rows_mut()).enumerate();
    if in_parallel(x) {
        let work = work.collect::<Vec<_>>().into_par_iter();
        work.with_min_len(SEQUENCES_PER_TASK).for_each(pool);
    } else {
        work.for_each(pool);
    }
    (y, weights)
}

/// The gradients of [`attend`]'s input rows and of each sequence's query (a row per sequence)
/// for `d_y`, the gradient of the pooled rows (its shape checked by the caller), given the
/// attention `weights` of the forward pass. By tasks of [`SEQUENCES_PER_TASK`] sequences, on
/// the thread pool when [`in_parallel`].
pub(super) fn attend_backward<W: Dim>(
    x: &Ragged<Floats2<W>>,
    width: W,
    weights: &Array1<f32>,
    d_y: &Floats2<W>,
    queries: Queries<'_>,
) -> (Floats2<W>, Vec<f32>) {
    let w = width.size();
    let mut d_x = Floats2::zeros(x.data().rows(), width);
    let mut d_queries = vec![0.0; x.len() * w];
    if w == 0 {
        return (d_x, d_queries);
    }
    let (rows, d_y) = (x.data().view(), d_y.view());
    let (rows, d_y) = (rows.as_standard_layout(), d_y.as_standard_layout());
    let rows = rows.as_slice().expect("standard layout");
    let d_y = d_y.as_slice().expect("standard layout");
    let weights = weights.as_slice().expect("a new array");
    let ranges: Vec<Range<usize>> = x.ranges().collect();
    let mut rest = d_x.view_mut().into_slice().expect("a new array");
    let tasks: Vec<_> = (ranges.chunks(SEQUENCES_PER_TASK).enumerate())
        .zip(d_y.chunks(SEQUENCES_PER_TASK * w))
        .zip(d_queries.chunks_mut(SEQUENCES_PER_TASK * w))
        .map(|(((task, ranges), d_y), d_q)| {
            let tokens = ranges.last().map_or(0, |r| r.end) - ranges[0].start;
            let (d_x, tail) = std::mem::take(&mut rest).split_at_mut(tokens * w);
            rest = tail;
            (task * SEQUENCES_PER_TASK, ranges, d_y, d_x, d_q)
        })
        .collect();
    type Task<'t> = (
        usize,
        &'t [Range<usize>],
        &'t [f32],
        &'t mut [f32],
        &'t mut [f32],
    );
    let task = |(first_sequence, ranges, d_y, d_x, d_q): Task<'_>| {
        let mut d_s = Vec::new();
        let first = ranges[0].start;
        let sequences = ranges
            .iter()
            .zip(d_y.chunks_exact(w))
            .zip(d_q.chunks_exact_mut(w));
        for (k, ((range, dy), d_q)) in sequences.enumerate() {
            let q = queries.of(first_sequence + k, w);
            let seq = &rows[range.start * w..range.end * w];
            let a = &weights[range.clone()];
            let d_seq = &mut d_x[(range.start - first) * w..(range.end - first) * w];
            d_s.resize(range.len(), 0.0);
            dot_rows(seq, dy, &mut d_s);
            let mean: f32 = a.iter().zip(&d_s).map(|(a, e)| a * e).sum();
            d_s.iter_mut()
                .zip(a)
                .for_each(|(e, &a)| *e = a * (*e - mean));
            sequence_input_grad(d_seq, a, dy, &d_s, q);
            add_scaled_rows(d_q, &d_s, seq);
        }
    };
    match in_parallel(x) {
        true => tasks.into_par_iter().for_each(task),
        false => tasks.into_iter().for_each(task),
    }
    (d_x, d_queries)
}

/// Sequences per task of [`Attention`]'s passes.
const SEQUENCES_PER_TASK: usize = 16;

/// Whether the passes over `x` run on the thread pool: when it has more than one thread and
/// `x` at least 2¹⁸ floats. Below that, waking a second thread costs about what it saves.
fn in_parallel<W: Dim>(x: &Ragged<Floats2<W>>) -> bool {
    threads() > 1 && x.data().view().len() >= 1 << 18
}

multiversion! {
    /// `d_x_i = a_i dy + d_s_i q` for the rows `d_x_i` of one sequence's input gradient.
    fn sequence_input_grad(d_x: &mut [f32], a: &[f32], dy: &[f32], d_s: &[f32], q: &[f32]) {
        let width = dy.len();
        for ((d, &a), &d_s) in d_x.chunks_exact_mut(width).zip(a).zip(d_s) {
            let (d, q) = (&mut d[..width], &q[..width]);
            for i in 0..width {
                d[i] = a * dy[i] + d_s * q[i];
            }
        }
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
            let d_x = self.backward(&x, &weights, &d_y);
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
    use crate::training::testing::{assert_close, random_ragged};
    use crate::training::{GradcheckOptions, gradcheck};

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
            let seq = x.data().view().slice(s![range, ..]).mapv(f64::from);
            let e = seq.dot(&q).mapv(f64::exp);
            let expected = (e.dot(&seq) / e.sum().max(f64::MIN_POSITIVE)).mapv(|v| v as f32);
            assert_close(
                found.insert_axis(ndarray::Axis(0)),
                expected.view().insert_axis(ndarray::Axis(0)),
                1e-6,
            );
        }
    }

    /// A batch large enough for the thread pool: on four threads, the output and all gradients
    /// are those of one thread, to the bit.
    #[test]
    fn attention_is_the_same_on_any_number_of_threads() {
        let lengths: Vec<usize> = (0..400).map(|i| (i * 7) % 23).collect();
        let x = random_ragged::<64>(&lengths, 3);
        assert!(x.data().view().len() >= 1 << 18);
        let layer = Attention::new(Const::<64>);
        let d_y = random_ragged::<64>(&[lengths.len()], 4).into_parts().0;
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build();
            pool.expect("a pool").install(|| {
                let (y, backprop) = layer.begin_update(x.clone());
                let d_x = backprop(d_y.clone());
                let d_q = layer.query.grad().to_vec();
                layer.query.grad().fill(0.0);
                (y.view().to_owned(), d_x.data().view().to_owned(), d_q)
            })
        };
        let one = run(1);
        assert!(one.2.iter().any(|&g| g != 0.0));
        assert_eq!(run(4), one);
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
