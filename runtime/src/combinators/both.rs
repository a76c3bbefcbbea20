//! [`Both`]: one network on both sides of a batch of pairs, with one set of weights.

use crate::data::{Grad, Pairs};
use crate::model::{Model, Params, Visit, VisitMut};

/// Runs `model` on both sides of a batch of [`Pairs`]: `Pairs<M::In>` → `Pairs<M::Out>`.
///
/// The sides of a batch of pairs are one batch of their own (first sides, then second sides),
/// so the model runs once on all of them: one set of weights, saved once, whose gradients are
/// those of both sides summed. The model must treat each item (row or sequence) on its own, as
/// every built-in layer does. Transparent in parameter paths, as [`with_array`](super::with_array).
pub struct Both<M> {
    model: M,
}

/// Shares `model` between the two sides of pairs.
///
/// ```
/// use weft_runtime::{Const, Model, Pairs, Params, Ragged, combinators::{both, with_array}, layers::Embed};
/// let model = both(with_array(Embed::new(10, Const::<4>)));
/// let x = Pairs::new(Ragged::from_sequences([vec![1, 2]]), Ragged::from_sequences([vec![3]]))?;
/// let (premises, hypotheses) = model.predict(x).into_sides();
/// assert_eq!((premises.data().rows(), hypotheses.data().rows()), (2, 1));
/// assert_eq!(model.param_names(), ["0.embed.E"]);
/// # Ok::<(), weft_runtime::Error>(())
/// ```
pub fn both<M: Model>(model: M) -> Both<M> {
    Both { model }
}

impl<M: Params> Params for Both<M> {
    fn visit(&self, walk: &mut Visit<'_>) {
        self.model.visit(walk);
    }
    fn visit_mut(&mut self, walk: &mut VisitMut<'_>) {
        self.model.visit_mut(walk);
    }
}

impl<M: Model> Model for Both<M> {
    type In = Pairs<M::In>;
    type Out = Pairs<M::Out>;

    fn begin_update<'a>(
        &'a self,
        x: Pairs<M::In>,
    ) -> (
        Pairs<M::Out>,
        impl FnOnce(Pairs<Grad<M::Out>>) -> Pairs<Grad<M::In>> + Send + 'a,
    ) {
        let (sides, pairs) = x.into_parts();
        let (y, backprop_model) = self.model.begin_update(sides);
        let backprop =
            move |d_y: Pairs<Grad<M::Out>>| Pairs::wrap(backprop_model(d_y.into_parts().0), pairs);
        (Pairs::wrap(y, pairs), backprop)
    }

    fn predict(&self, x: Pairs<M::In>) -> Pairs<M::Out> {
        let (sides, pairs) = x.into_parts();
        Pairs::wrap(self.model.predict(sides), pairs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::combinators::with_array;
    use crate::data::{Const, Floats2, Ragged};
    use crate::layers::Relu;
    use crate::training::{GradcheckOptions, gradcheck};

    /// One relu on both sides of pairs of different lengths, one side empty: the gradient of
    /// its weights is that of both sides summed.
    #[test]
    fn both_gradients_match_finite_differences() {
        let first = Floats2::from_rows(&[[0.5, -1.0], [1.5, 0.3], [-0.7, 0.2]]);
        let second = Floats2::from_rows(&[[0.9, 2.0], [0.4, -0.6]]);
        let x = Pairs::new(
            Ragged::new(first, vec![3, 0]).unwrap(),
            Ragged::new(second, vec![1, 1]).unwrap(),
        )
        .unwrap();
        let mut model = both(with_array(Relu::new(Const::<2>, Const::<3>)));
        gradcheck(&mut model, &x, &GradcheckOptions::default()).unwrap();
    }
}
