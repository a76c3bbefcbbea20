//! [`HashEmbed`]: vectors for unbounded vocabularies, by hashing keys into a fixed table.
//!
//! Shapes: [`Keys`] (one `u64` key per row, a hash of the token text, say) → `Floats2<W>`.
//! Parameter `E` `(rows, W)`, uniform(±0.1). Each key is hashed with the layer's seed into
//! [`HashEmbed::HASHES`] rows, whose vectors are summed (Thinc's `HashEmbed`): two keys that
//! collide in one row rarely collide in all. The seed is part of the model: a different seed
//! is a different model.

use super::boundary::check_gradient;
use crate::data::{Dim, Floats2, Keys, NoGrad};
use crate::kernels::rng::Rng;
use crate::kernels::rng::splitmix64;
use crate::model::{Model, Param, Params, Visit, VisitMut};

/// An embedding of hashed keys into `rows` vectors of width `W`.
///
/// ```
/// use weft_runtime::{Const, Keys, Model, layers::HashEmbed};
/// let embed = HashEmbed::new(1000, Const::<8>, 17);
/// let y = embed.predict(Keys(vec![42, 7, 42]));
/// assert_eq!(y.view().row(0), y.view().row(2));
/// assert_ne!(y.view().row(0), y.view().row(1));
/// ```
pub struct HashEmbed<W: Dim> {
    width: W,
    seed: u64,
    table: Param,
}

impl<W: Dim> HashEmbed<W> {
    /// Number of table rows summed for each key.
    pub const HASHES: usize = 4;

    /// A table of `rows` vectors (at least one) of width `width`; `seed` chooses the hashes.
    ///
    /// # Panics
    /// When the table would hold more values than `usize` counts.
    pub fn new(rows: usize, width: W, seed: u64) -> Self {
        let rows = rows.max(1);
        HashEmbed {
            width,
            seed,
            table: Param::uniform(&[rows, width.size()], 0.1, &mut Rng::fresh()),
        }
    }

    /// The hash seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The table rows `key` reads.
    fn rows_of(&self, key: u64) -> [usize; 4] {
        let rows = self.table.shape()[0] as u64;
        let mut state = key ^ splitmix64(&mut self.seed.clone());
        std::array::from_fn(|_| (splitmix64(&mut state) % rows) as usize)
    }

    fn lookup(&self, keys: &Keys) -> Floats2<W> {
        let mut y = Floats2::zeros(keys.0.len(), self.width);
        let table = self.table.matrix();
        for (&key, mut out) in keys.0.iter().zip(y.view_mut().rows_mut()) {
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
            check_gradient("hash_embed", keys.0.len(), self.width, &d_y);
            let d_y = d_y.view();
            let rows = keys.0.iter().zip(d_y.rows());
            self.table.add_grad_rows(
                rows.flat_map(|(&key, d)| self.rows_of(key).map(move |row| (row, d))),
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
        let keys = Keys(vec![11, u64::MAX, 11, 0]);
        gradcheck(&mut embed, &keys, &GradcheckOptions::default()).unwrap();
    }

    #[test]
    fn the_seed_changes_the_rows() {
        let a = HashEmbed::new(1 << 20, Const::<1>, 1);
        let b = HashEmbed::new(1 << 20, Const::<1>, 2);
        assert_ne!(a.rows_of(5), b.rows_of(5));
        assert_eq!(a.rows_of(5), a.rows_of(5));
    }
}
