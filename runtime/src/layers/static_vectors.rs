//! [`StaticVectors`]: pretrained word vectors, frozen, projected to the network's width.
//!
//! Shapes: [`Keys`] → `Floats2<W>`, from the keys of one column (0 unless
//! [`StaticVectors::with_column`] says): each token's vector `v` in a [`Vectors`] table of
//! width `dim`, zeros where the table lacks the key, then `y = v · Wᵀ`. Parameter `W`
//! `(W, dim)`, Glorot-uniform; no bias; the table is not trained. Backprop: `dW += d_yᵀ · V`.
//!
//! This is spaCy's `StaticVectors` (in `MultiHashEmbed` with `include_static_vectors`, beside
//! the hash embeddings, before the maxout that mixes them), whose keys are the tokens' `ORTH`
//! ([`Attr::Orth`](crate::text::Attr::Orth)). One difference in training: for a token the
//! table lacks, spaCy's output is zeros but its gradient of `W` adds the table's last row; here
//! such a token adds nothing.
//!
//! The table is the user's, given when the layer is built (a large one is shared by an
//! [`Arc`]), and is not saved with the model: its [`fingerprint`](Vectors::fingerprint) is, in
//! the architecture signature (`vectors=…`), so that weights trained over one table are not
//! loaded over another.

use std::sync::Arc;

use ndarray::Array2;

use super::boundary::{check_gradient, key_column};
use crate::data::{Dim, Floats2, Keys, NoGrad};
use crate::kernels::matmul::{add_t_matmul, matmul};
use crate::kernels::rng::Rng;
use crate::model::{Model, Param, Params, Visit, VisitMut};
use crate::text::Vectors;

/// A frozen table of vectors, projected to width `W` by a learned `W`.
///
/// ```
/// use ndarray::array;
/// use weft_runtime::text::{Attr, Token, Vectors};
/// use weft_runtime::{Const, Model, layers::StaticVectors};
/// let table = Vectors::new(["cat", "dog"], array![[1.0, 0.0, 2.0], [0.0, 1.0, 0.0]])?;
/// let layer = StaticVectors::new(table, Const::<4>);
/// let words = ["dog", "axolotl", "cat"].map(|text| Token { text, space_after: true });
/// let y = layer.predict(Attr::Orth.keys(&words));
/// assert_eq!(y.view().shape(), [3, 4]);
/// assert!(y.view().row(1).iter().all(|&x| x == 0.0)); // not in the table
/// # Ok::<(), weft_runtime::Error>(())
/// ```
pub struct StaticVectors<W: Dim> {
    width: W,
    column: usize,
    vectors: Arc<Vectors>,
    w: Param,
}

impl<W: Dim> StaticVectors<W> {
    /// A projection of `vectors` to `width`, with Glorot-uniform weights.
    ///
    /// # Panics
    /// When the weights would hold more values than `usize` counts.
    pub fn new(vectors: impl Into<Arc<Vectors>>, width: W) -> Self {
        let vectors = vectors.into();
        let (n_out, n_in) = (width.size(), vectors.dim());
        let limit = (6.0 / n_in.saturating_add(n_out).max(1) as f32).sqrt();
        StaticVectors {
            width,
            column: 0,
            w: Param::uniform(&[n_out, n_in], limit, &mut Rng::fresh()),
            vectors,
        }
    }

    /// The layer, reading the keys of column `column` of its input's rows.
    pub fn with_column(self, column: usize) -> Self {
        StaticVectors { column, ..self }
    }

    /// The column of keys the layer reads.
    pub fn column(&self) -> usize {
        self.column
    }

    /// The table.
    pub fn vectors(&self) -> &Arc<Vectors> {
        &self.vectors
    }

    /// Each row's vector, `(rows, dim)`: zeros for a key the table lacks.
    ///
    /// # Panics
    /// When the rows have no column [`StaticVectors::column`].
    fn lookup(&self, keys: &Keys) -> Array2<f32> {
        let (table, dim) = (self.vectors.data(), self.vectors.dim());
        let mut v = Vec::with_capacity(keys.rows() * dim);
        for key in key_column("static_vectors", self.column, keys) {
            match self.vectors.row_of(key) {
                Some(row) => v.extend(table.row(row)),
                None => v.resize(v.len() + dim, 0.0),
            }
        }
        Array2::from_shape_vec((keys.rows(), dim), v).expect("a row of dim per key")
    }
}

impl<W: Dim> Params for StaticVectors<W> {
    fn visit(&self, walk: &mut Visit<'_>) {
        walk.layer("static_vectors", |walk| {
            walk.attr("width", &self.width.size());
            if self.column != 0 {
                walk.attr("column", &self.column);
            }
            let fingerprint = format!("{:016x}", self.vectors.fingerprint());
            walk.attr("vectors", &fingerprint);
            walk.param("W", &self.w);
        });
    }
    fn visit_mut(&mut self, walk: &mut VisitMut<'_>) {
        walk.layer("static_vectors", |walk| walk.param("W", &mut self.w));
    }
}

impl<W: Dim> Model for StaticVectors<W> {
    type In = Keys;
    type Out = Floats2<W>;

    fn begin_update<'a>(
        &'a self,
        keys: Keys,
    ) -> (Floats2<W>, impl FnOnce(Floats2<W>) -> NoGrad + Send + 'a) {
        let v = self.lookup(&keys);
        let y = Floats2::wrap(matmul(v.view(), self.w.matrix().t()));
        let backprop = move |d_y: Floats2<W>| {
            check_gradient("static_vectors", keys.rows(), self.width, &d_y);
            self.w
                .add_grad_matrix(|mut g| add_t_matmul(&mut g, d_y.view(), v.view()));
            NoGrad
        };
        (y, backprop)
    }

    fn predict(&self, keys: Keys) -> Floats2<W> {
        Floats2::wrap(matmul(self.lookup(&keys).view(), self.w.matrix().t()))
    }

    fn output_width(&self) -> Option<usize> {
        Some(self.width.size())
    }
}

#[cfg(test)]
mod tests {
    use ndarray::array;

    use super::*;
    use crate::data::Const;
    use crate::text::string_id;
    use crate::training::{GradcheckOptions, gradcheck};

    fn table() -> Vectors {
        let data = array![[0.5, -1.0], [2.0, 0.25], [-0.75, 1.5]];
        Vectors::new(["a", "b", "c"], data).unwrap()
    }

    #[test]
    fn static_vectors_gradients_match_finite_differences() {
        let [a, b, c] = ["a", "b", "c"].map(string_id);
        let mut layer = StaticVectors::new(table(), Const::<3>);
        let keys = Keys::new(vec![a, 99, c, b, a]);
        gradcheck(&mut layer, &keys, &GradcheckOptions::default()).unwrap();
        let mut second = StaticVectors::new(table(), 2usize).with_column(1);
        let rows = Keys::table(2, vec![a, b, 7, 99, b, c]).unwrap();
        gradcheck(&mut second, &rows, &GradcheckOptions::default()).unwrap();
    }

    #[test]
    fn each_key_reads_its_row_projected_and_unknown_keys_read_zeros() {
        let mut layer = StaticVectors::new(table(), Const::<1>);
        layer.w.value_mut().copy_from_slice(&[2.0, 3.0]);
        let keys = Keys::new(["b", "zebra", "a", "c"].map(string_id).to_vec());
        let y = layer.predict(keys);
        // [2, 0.25]·[2, 3], nothing, [0.5, -1]·[2, 3], [-0.75, 1.5]·[2, 3]
        assert_eq!(y.view().column(0).to_vec(), [4.75, 0.0, -2.0, 3.0]);
        let nothing = layer.predict(Keys::new(vec![]));
        assert_eq!(nothing.view().shape(), [0, 1]);
    }

    #[test]
    #[should_panic(
        expected = "static_vectors: reads column 1 of its keys, but they come in rows of 1"
    )]
    fn a_column_beyond_the_rows_is_named() {
        StaticVectors::new(table(), 2usize)
            .with_column(1)
            .predict(Keys::new(vec![1]));
    }

    #[test]
    fn the_table_is_part_of_the_architecture() {
        let layer = StaticVectors::new(table(), Const::<2>);
        let bytes = layer.to_bytes().unwrap();
        let mut same = StaticVectors::new(table(), Const::<2>);
        same.from_bytes(&bytes).unwrap();
        assert_eq!(same.w.value(), layer.w.value());
        let other = Vectors::new(["a", "b", "d"], table().data().to_owned()).unwrap();
        let mut over_other = StaticVectors::new(other, Const::<2>);
        let err = over_other.from_bytes(&bytes).unwrap_err().to_string();
        let (saved, built) = (table().fingerprint(), over_other.vectors.fingerprint());
        let expected = format!(
            "the architecture differs at layer 0.static_vectors: vectors = {saved:016x} in the \
             file, vectors = {built:016x} in the model"
        );
        assert!(err.contains(&expected), "{err}");
    }
}
