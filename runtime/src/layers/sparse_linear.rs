//! [`SparseLinear`]: class scores straight from hashed features (n-grams, say), a linear model
//! over a bag of keys (Thinc's `SparseLinear_v2`, spaCy's bag-of-words text classifier).
//!
//! Shapes: `Ragged<Keys>` (each sequence a bag of feature keys: every key of its rows, whatever
//! their columns) → `Floats2<O>`, one row of
//! `O` class scores per sequence. Parameters `W` `(length, O)` (zeros) and `b` `(O)` (zeros).
//! Each key `k` is hashed into two rows, `h_s(k) mod length` for the seeds `s` = 0 and 1, with
//! `h_s` the 32-bit MurmurHash3 (x86) of the key's 8 little-endian bytes, and
//! `y[n] = b + Σ_{k in sequence n} (W[h_0(k)] + W[h_1(k)])`: a key given twice counts twice
//! (Thinc's feature values are these counts). An empty sequence scores `b`.
//!
//! Thinc's `W` is class-major (`W[c·length + i]`): this `W` transposed, one row per hashed
//! feature, so that a batch's gradient is the rows of its keys alone (`Param::add_grad_rows`).
//! Backprop: `db += Σ_n dy[n]`, and `dy[n]` is added to both rows of every key of sequence `n`.

use super::boundary::check_gradient;
use crate::data::{Dim, Floats2, Keys, NoGrad, Ragged};
use crate::kernels::murmur::murmurhash3_32_u64;
use crate::kernels::ops::add_column_sums;
use crate::model::{Model, Param, Params, Visit, VisitMut};

/// A linear model of `O` class scores over hashed keys, in a table of `length` rows.
///
/// ```
/// use weft_runtime::{Const, Keys, Model, Ragged, layers::SparseLinear};
/// let layer = SparseLinear::new(1 << 18, Const::<3>);
/// let x = Ragged::new(Keys::new(vec![11, 12, 13]), vec![2, 1])?;
/// // Zero-initialized: every score starts at 0.
/// assert_eq!(layer.predict(x).view().shape(), &[2, 3]);
/// # Ok::<(), weft_runtime::Error>(())
/// ```
pub struct SparseLinear<O: Dim> {
    n_out: O,
    weights: Param,
    bias: Param,
}

impl<O: Dim> SparseLinear<O> {
    /// A table of `length` rows (at least one) of `n_out` class scores.
    ///
    /// # Panics
    /// When the table would hold more values than `usize` counts.
    pub fn new(length: usize, n_out: O) -> Self {
        SparseLinear {
            n_out,
            weights: Param::zeros(&[length.max(1), n_out.size()]),
            bias: Param::zeros(&[n_out.size()]),
        }
    }

    /// The rows `key` adds.
    fn rows_of(&self, key: u64) -> [usize; 2] {
        let length = self.weights.shape()[0] as u64;
        [0, 1].map(|seed| (u64::from(murmurhash3_32_u64(key, seed)) % length) as usize)
    }

    fn scores(&self, x: &Ragged<Keys>) -> Floats2<O> {
        let mut y = Floats2::zeros(x.len(), self.n_out);
        let table = self.weights.matrix();
        let mut y_view = y.view_mut();
        for (mut out, range) in y_view.rows_mut().into_iter().zip(x.ranges()) {
            out.assign(&self.bias.vector());
            for &key in x.data().of_rows(range) {
                for row in self.rows_of(key) {
                    out += &table.row(row);
                }
            }
        }
        y
    }
}

impl<O: Dim> Params for SparseLinear<O> {
    fn visit(&self, walk: &mut Visit<'_>) {
        walk.layer("sparse_linear", |walk| {
            walk.attr("n_out", &self.n_out.size());
            walk.param("W", &self.weights);
            walk.param("b", &self.bias);
        });
    }
    fn visit_mut(&mut self, walk: &mut VisitMut<'_>) {
        walk.layer("sparse_linear", |walk| {
            walk.param("W", &mut self.weights);
            walk.param("b", &mut self.bias);
        });
    }
}

impl<O: Dim> Model for SparseLinear<O> {
    type In = Ragged<Keys>;
    type Out = Floats2<O>;

    fn begin_update<'a>(
        &'a self,
        x: Ragged<Keys>,
    ) -> (
        Floats2<O>,
        impl FnOnce(Floats2<O>) -> Ragged<NoGrad> + Send + 'a,
    ) {
        let y = self.scores(&x);
        let backprop = move |d_y: Floats2<O>| {
            check_gradient("sparse_linear", x.len(), self.n_out, &d_y);
            let d_y = d_y.view();
            add_column_sums(&mut self.bias.grad(), d_y);
            let keys = x.ranges().zip(d_y.rows()).flat_map(|(range, d)| {
                let keys = x.data().of_rows(range).iter();
                keys.flat_map(move |&key| self.rows_of(key).map(move |row| (row, d)))
            });
            self.weights.add_grad_rows(keys);
            Ragged::wrap(NoGrad, x.into_parts().1)
        };
        (y, backprop)
    }

    fn predict(&self, x: Ragged<Keys>) -> Floats2<O> {
        self.scores(&x)
    }

    fn output_width(&self) -> Option<usize> {
        Some(self.n_out.size())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Const;
    use crate::training::testing::draw_weights;
    use crate::training::{GradcheckOptions, gradcheck};

    /// A layer of weights away from zero, so that the scores depend on them.
    fn random_layer(length: usize) -> SparseLinear<Const<3>> {
        let mut layer = SparseLinear::new(length, Const::<3>);
        draw_weights(&mut layer, "", 8);
        layer
    }

    #[test]
    fn sparse_linear_gradients_match_finite_differences() {
        let mut layer = random_layer(7);
        let x = Ragged::new(Keys::new(vec![11, u64::MAX, 11, 0, 5]), vec![3, 0, 2]).unwrap();
        gradcheck(&mut layer, &x, &GradcheckOptions::default()).unwrap();
    }

    #[test]
    fn scores_are_the_bias_plus_both_rows_of_every_key() {
        let layer = random_layer(1 << 10);
        let x = Ragged::new(Keys::new(vec![42, 42]), vec![0, 2]).unwrap();
        let y = layer.predict(x);
        let (w, b) = (layer.weights.matrix(), layer.bias.vector());
        assert_eq!(y.view().row(0), b);
        let [r0, r1] = layer.rows_of(42);
        let expected = &b + &(&(&w.row(r0) + &w.row(r1)) * 2.0);
        for (found, expected) in y.view().row(1).iter().zip(&expected) {
            assert!((found - expected).abs() < 1e-6, "{y:?}");
        }
    }

    #[test]
    fn a_saved_model_loads_with_the_same_weights() {
        let layer = random_layer(16);
        let x = || Ragged::new(Keys::new(vec![1, 2, 3]), vec![1, 2]).unwrap();
        let mut loaded = SparseLinear::new(16, Const::<3>);
        loaded.from_bytes(&layer.to_bytes().unwrap()).unwrap();
        assert_eq!(loaded.predict(x()), layer.predict(x()));
        let other = SparseLinear::new(32, Const::<3>).to_bytes().unwrap();
        assert!(loaded.from_bytes(&other).is_err());
    }
}
