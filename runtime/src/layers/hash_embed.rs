//! [`HashEmbed`]: vectors for unbounded vocabularies, by hashing keys into a fixed table.
//!
//! Shapes: [`Keys`] (a row of `u64` keys per token, a hash of each of its attributes, say) →
//! `Floats2<W>`, from the keys of one column (0 unless [`HashEmbed::with_column`] says).
//! Parameter `E` `(rows, W)`, uniform(±0.1). Each key is hashed with the layer's seed into
//! [`HashEmbed::HASHES`] rows, whose vectors are summed: two keys that collide in one row rarely
//! collide in all.
//!
//! The rows are Thinc's (`HashEmbed`, `ops.hash`): MurmurHash3's 128-bit hash of the key's 8
//! bytes with the 32-bit seed, cut into four 32-bit words, each modulo the number of rows. So a
//! table trained by Thinc or spaCy, with its seed, reads the same rows here for the same keys
//! ([`text`](crate::text) gives spaCy's keys of tokens). The column is Thinc's `column`: spaCy's
//! `MultiHashEmbed` is one layer per column of the table of attributes
//! ([`Attr::table`](crate::text::Attr::table)), with the seeds 8, 9, 10, ... in order, side by
//! side; its `CharacterEmbed` has the seed 5.
//!
//! The seed and the hash are part of the model: a different seed is a different model, and the
//! architecture signature records the hash (`hash=murmurhash3`), so that a file saved with the
//! hash of earlier builds (no `hash`) is refused rather than read into other rows.

use super::boundary::{check_gradient, key_column};
use crate::data::{Dim, Floats2, Keys, NoGrad};
use crate::kernels::murmur::murmurhash3_128_u64;
use crate::kernels::rng::Rng;
use crate::model::{Model, Param, Params, Visit, VisitMut};

/// An embedding of hashed keys into `rows` vectors of width `W`.
///
/// ```
/// use weft_runtime::{Const, Keys, Model, layers::HashEmbed};
/// let embed = HashEmbed::new(1000, Const::<8>, 17);
/// let y = embed.predict(Keys::new(vec![42, 7, 42]));
/// assert_eq!(y.view().row(0), y.view().row(2));
/// assert_ne!(y.view().row(0), y.view().row(1));
/// ```
pub struct HashEmbed<W: Dim> {
    width: W,
    seed: u32,
    column: usize,
    table: Param,
}

impl<W: Dim> HashEmbed<W> {
    /// Number of table rows summed for each key.
    pub const HASHES: usize = 4;

    /// The hash, as the architecture signature records it.
    const HASH: &str = "murmurhash3";

    /// A table of `rows` vectors (at least one) of width `width`; `seed` chooses the hashes.
    ///
    /// # Panics
    /// When the table would hold more values than `usize` counts.
    pub fn new(rows: usize, width: W, seed: u32) -> Self {
        let rows = rows.max(1);
        HashEmbed {
            width,
            seed,
            column: 0,
            table: Param::uniform(&[rows, width.size()], 0.1, &mut Rng::fresh()),
        }
    }

    /// The layer, reading the keys of column `column` of its input's rows.
    pub fn with_column(self, column: usize) -> Self {
        HashEmbed { column, ..self }
    }

    /// The hash seed.
    pub fn seed(&self) -> u32 {
        self.seed
    }

    /// The column of keys the layer reads.
    pub fn column(&self) -> usize {
        self.column
    }

    /// The table rows `key` reads.
    fn rows_of(&self, key: u64) -> [usize; 4] {
        let rows = self.table.shape()[0] as u64;
        murmurhash3_128_u64(key, self.seed).map(|hash| (u64::from(hash) % rows) as usize)
    }

    /// The keys the layer reads, one per row.
    ///
    /// # Panics
    /// When the rows have no column [`HashEmbed::column`].
    fn keys<'k>(&self, keys: &'k Keys) -> impl ExactSizeIterator<Item = u64> + 'k {
        key_column("hash_embed", self.column, keys)
    }

    fn lookup(&self, keys: &Keys) -> Floats2<W> {
        let mut y = Floats2::zeros(keys.rows(), self.width);
        let table = self.table.matrix();
        for (key, mut out) in self.keys(keys).zip(y.view_mut().rows_mut()) {
            for row in self.rows_of(key) {
                out += &table.row(row);
            }
        }
        y
    }
}

impl<W: Dim> Params for HashEmbed<W> {
    fn visit(&self, walk: &mut Visit<'_>) {
        walk.layer("hash_embed", |walk| {
            walk.attr("width", &self.width.size());
            walk.attr("seed", &self.seed);
            if self.column != 0 {
                walk.attr("column", &self.column);
            }
            walk.attr("hash", &Self::HASH);
            walk.param("E", &self.table);
        });
    }
    fn visit_mut(&mut self, walk: &mut VisitMut<'_>) {
        walk.layer("hash_embed", |walk| walk.param("E", &mut self.table));
    }
}

impl<W: Dim> Model for HashEmbed<W> {
    type In = Keys;
    type Out = Floats2<W>;

    fn begin_update<'a>(
        &'a self,
        keys: Keys,
    ) -> (Floats2<W>, impl FnOnce(Floats2<W>) -> NoGrad + Send + 'a) {
        let y = self.lookup(&keys);
        let backprop = move |d_y: Floats2<W>| {
            check_gradient("hash_embed", keys.rows(), self.width, &d_y);
            let d_y = d_y.view();
            let rows = self.keys(&keys).zip(d_y.rows());
            self.table.add_grad_rows(
                rows.flat_map(|(key, d)| self.rows_of(key).map(move |row| (row, d))),
            );
            NoGrad
        };
        (y, backprop)
    }

    fn predict(&self, keys: Keys) -> Floats2<W> {
        self.lookup(&keys)
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

    #[test]
    fn hash_embed_gradients_match_finite_differences() {
        let mut embed = HashEmbed::new(7, Const::<3>, 1);
        let keys = Keys::new(vec![11, u64::MAX, 11, 0]);
        gradcheck(&mut embed, &keys, &GradcheckOptions::default()).unwrap();
        let mut second = HashEmbed::new(7, Const::<3>, 1).with_column(1);
        let table = Keys::table(2, vec![5, 11, 6, u64::MAX, 7, 11]).unwrap();
        gradcheck(&mut second, &table, &GradcheckOptions::default()).unwrap();
    }

    #[test]
    fn a_column_reads_its_keys_alone() {
        let first = HashEmbed::new(100, Const::<4>, 3);
        let table = Keys::table(2, vec![1, 2, 3, 4]).unwrap();
        assert_eq!(
            first.predict(table.clone()),
            first.predict(Keys::new(vec![1, 3]))
        );
        let of_second = first.predict(Keys::new(vec![2, 4]));
        assert_eq!(first.with_column(1).predict(table), of_second);
    }

    #[test]
    #[should_panic(expected = "hash_embed: reads column 2 of its keys, but they come in rows of 2")]
    fn a_column_beyond_the_rows_is_named() {
        let embed = HashEmbed::new(10, Const::<2>, 0).with_column(2);
        embed.predict(Keys::table(2, vec![1, 2]).unwrap());
    }

    /// Thinc's HashEmbed layers, with their tables, keys, rows and outputs, as
    /// `bench/spacy_attrs.py` wrote them from Thinc 8.3.
    #[test]
    fn the_rows_and_outputs_are_thincs() {
        use serde_json::Value;
        let integers = |v: &Value| -> Vec<u64> {
            let items = v.as_array().unwrap().iter();
            items.map(|x| x.as_u64().unwrap()).collect()
        };
        let floats = |v: &Value| -> Vec<f32> {
            let rows = v.as_array().unwrap().iter();
            let items = rows.flat_map(|row| row.as_array().unwrap());
            items.map(|x| x.as_f64().unwrap() as f32).collect()
        };
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/thinc_hash_embed.jsonl"
        );
        for layer in std::fs::read_to_string(path).unwrap().lines() {
            let layer: Value = serde_json::from_str(layer).unwrap();
            let [seed, rows, width] = ["seed", "rows", "width"].map(|k| layer[k].as_u64().unwrap());
            let seed = u32::try_from(seed).unwrap();
            let mut embed = HashEmbed::new(rows as usize, width as usize, seed);
            embed
                .table
                .value_mut()
                .copy_from_slice(&floats(&layer["table"]));
            let keys = integers(&layer["keys"]);
            for (&key, thinc) in keys.iter().zip(layer["hashes"].as_array().unwrap()) {
                let ours = embed.rows_of(key).map(|row| row as u64);
                assert_eq!(ours[..], integers(thinc), "seed {seed}, key {key}");
            }
            let (ours, thinc) = (embed.predict(Keys::new(keys)), floats(&layer["output"]));
            assert_eq!(ours.view().len(), thinc.len());
            for (ours, thinc) in ours.view().iter().zip(thinc) {
                assert!(
                    (ours - thinc).abs() < 1e-6,
                    "seed {seed}: {ours} against {thinc}"
                );
            }
        }
    }

    #[test]
    fn the_seed_changes_the_rows() {
        let a = HashEmbed::new(1 << 20, Const::<1>, 1);
        let b = HashEmbed::new(1 << 20, Const::<1>, 2);
        assert_ne!(a.rows_of(5), b.rows_of(5));
        assert_eq!(a.rows_of(5), a.rows_of(5));
    }
}
