//! [`Embed`]: a table lookup from token ids to vectors.
//!
//! Shapes: [`Ids`] (one id per row) → `Floats2<W>`. Parameter `E` `(rows, W)`, uniform(±0.1)
//! as in Thinc. Row 0 is the out-of-vocabulary row: every id `>= rows` reads it.
//! Backprop adds each row's gradient into the table row it read; the ids get no gradient.

use super::boundary::check_gradient;
use crate::data::{Dim, Floats2, Ids, NoGrad};
use crate::kernels::ops::gather_rows;
use crate::kernels::rng::Rng;
use crate::model::{Model, Param, Params, Visit, VisitMut};

/// An embedding table of `rows` vectors of width `W`, row 0 for unknown ids.
///
/// ```
/// use weft_runtime::{Const, Ids, Model, layers::Embed};
/// let embed = Embed::new(10, Const::<4>);
/// let y = embed.predict(Ids(vec![3, 99, 0]));
/// // 99 is out of the vocabulary: it reads row 0, as id 0 does.
/// assert_eq!(y.view().row(1), y.view().row(2));
/// ```
pub struct Embed<W: Dim> {
    width: W,
    table: Param,
}

impl<W: Dim> Embed<W> {
    /// A table of `rows` vectors (at least one: the out-of-vocabulary row) of width `width`.
    ///
    /// # Panics
    /// When the table would hold more values than `usize` counts.
    pub fn new(rows: usize, width: W) -> Self {
        let rows = rows.max(1);
        Embed {
            width,
            table: Param::uniform(&[rows, width.size()], 0.1, &mut Rng::fresh()),
        }
    }

    /// Number of rows, the out-of-vocabulary row included.
    pub fn rows(&self) -> usize {
        self.table.shape()[0]
    }

    /// The row an id reads.
    fn row(&self, id: u32) -> usize {
        let id = id as usize;
        if id < self.rows() { id } else { 0 }
    }
}

impl<W: Dim> Params for Embed<W> {
    fn visit(&self, walk: &mut Visit<'_>) {
        walk.layer("embed", |walk| {
            walk.attr("width", &self.width.size());
            walk.param("E", &self.table);
        });
    }
    fn visit_mut(&mut self, walk: &mut VisitMut<'_>) {
        walk.layer("embed", |walk| walk.param("E", &mut self.table));
    }
}

impl<W: Dim> Model for Embed<W> {
    type In = Ids;
    type Out = Floats2<W>;

    fn begin_update<'a>(
        &'a self,
        ids: Ids,
    ) -> (Floats2<W>, impl FnOnce(Floats2<W>) -> NoGrad + Send + 'a) {
        let y = self.predict_ref(&ids);
        let backprop = move |d_y: Floats2<W>| {
            check_gradient("embed", ids.0.len(), self.width, &d_y);
            let rows = ids.0.iter().map(|&id| self.row(id));
            self.table.add_grad_rows(rows.zip(d_y.view().rows()));
            NoGrad
        };
        (y, backprop)
    }

    fn predict(&self, ids: Ids) -> Floats2<W> {
        self.predict_ref(&ids)
    }

    fn output_width(&self) -> Option<usize> {
        Some(self.width.size())
    }
}

impl<W: Dim> Embed<W> {
    fn predict_ref(&self, ids: &Ids) -> Floats2<W> {
        let (table, width) = (self.table.value(), self.width.size());
        let rows = gather_rows(table, width, ids.0.len(), |i| self.row(ids.0[i]));
        Floats2::wrap(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Const;
    use crate::training::testing::grad_of;
    use crate::training::{GradcheckOptions, gradcheck};

    #[test]
    fn embed_gradients_match_finite_differences() {
        let mut embed = Embed::new(5, Const::<3>);
        gradcheck(
            &mut embed,
            &Ids(vec![1, 4, 1, 9]),
            &GradcheckOptions::default(),
        )
        .unwrap();
    }

    #[test]
    fn repeated_and_unknown_ids_sum_into_their_rows() {
        let embed = Embed::new(3, Const::<2>);
        let (_, backprop) = embed.begin_update(Ids(vec![1, 1, 7]));
        backprop(Floats2::from_rows(&[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]));
        assert_eq!(grad_of(&embed, "0.embed.E"), [5.0, 6.0, 4.0, 6.0, 0.0, 0.0]);
    }
}
