//! [`WithArray`]: a per-row layer applied to every token of a ragged batch.

use crate::data::{Grad, Ragged, Rows};

use crate::model::{Model, Params, Visit, VisitMut};

/// Applies a layer from rows to rows (an embedding, a dense layer) to the packed tokens of a
/// [`Ragged`] batch, keeping the sequence lengths: `Ragged<L::In>` → `Ragged<L::Out>`.
/// As Thinc's `with_array`, without padding: the layer sees all tokens as one batch.
pub struct WithArray<L> {
    layer: L,
}

/// Lifts `layer` from rows to ragged sequences.
///
/// ```
/// use weft_runtime::{Const, Model, Ragged, combinators::with_array, layers::Embed};
/// let model = with_array(Embed::new(100, Const::<8>));
/// let y = model.predict(Ragged::from_sequences(&[vec![1, 2, 3], vec![4]]));
/// assert_eq!(y.lengths(), &[3, 1]);
/// assert_eq!(y.data().rows(), 4);
/// ```
pub fn with_array<L: Model>(layer: L) -> WithArray<L>
where
    L::In: Rows,
    L::Out: Rows,
{
    WithArray { layer }
}

impl<L: Params> Params for WithArray<L> {
    fn visit(&self, walk: &mut Visit<'_>) {
        self.layer.visit(walk);
    }
    fn visit_mut(&mut self, walk: &mut VisitMut<'_>) {
        self.layer.visit_mut(walk);
    }
}

impl<L: Model> Model for WithArray<L>
where
    L::In: Rows,
    L::Out: Rows,
{
    type In = Ragged<L::In>;
    type Out = Ragged<L::Out>;

    fn begin_update<'a>(
        &'a self,
        x: Ragged<L::In>,
    ) -> (
        Ragged<L::Out>,
        impl FnOnce(Ragged<Grad<L::Out>>) -> Ragged<Grad<L::In>> + Send + 'a,
    ) {
        let (data, lengths) = x.into_parts();
        let (y, backprop_layer) = self.layer.begin_update(data);
        let backprop = move |d_y: Ragged<Grad<L::Out>>| {
            let (d_data, lengths) = d_y.into_parts();
            Ragged::wrap(backprop_layer(d_data), lengths)
        };
        (Ragged::wrap(y, lengths), backprop)
    }

    fn predict(&self, x: Ragged<L::In>) -> Ragged<L::Out> {
        let (data, lengths) = x.into_parts();
        Ragged::wrap(self.layer.predict(data), lengths)
    }

    fn output_width(&self) -> Option<usize> {
        self.layer.output_width()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Const, Floats2};
    use crate::layers::Mish;
    use crate::training::{GradcheckOptions, gradcheck};

    #[test]
    fn with_array_gradients_match_finite_differences() {
        let mut model = with_array(Mish::new(Const::<2>, Const::<3>));
        let rows = Floats2::from_rows(&[[0.5, -1.0], [1.5, 0.3], [-0.7, 0.2]]);
        let x = Ragged::new(rows, vec![2, 0, 1]).unwrap();
        gradcheck(&mut model, &x, &GradcheckOptions::default()).unwrap();
    }
}
