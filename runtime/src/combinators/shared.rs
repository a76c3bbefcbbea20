//! [`Shared`]: one layer used in several places of a network, with one set of weights.

use std::sync::Arc;

use crate::data::Grad;
use crate::model::{Model, Params, Visit, VisitMut};

/// A use of a layer that other uses share: the same weights wherever it is used (tied
/// embeddings, one encoder over two inputs, a block repeated with one set of parameters).
/// `In` → `Out` as the layer.
///
/// `Shared::new(layer)` makes the first use and `clone()` another. Each use runs the one layer
/// on what it is given, and the gradients of all uses add up in its parameters; the model
/// walks its parameters once, at the first use, so they are saved and updated once (a later
/// use is a `shared` entry of the signature, naming the positions of the first). Every use
/// must be in the model that is updated or loaded: one held by another model makes
/// [`finish_update`](Params::finish_update) an error, as its weights cannot change while that
/// one may read them. In `model!`, a value of yours used twice is shared.
///
/// ```
/// use weft_runtime::{Const, Floats2, Model, Params, combinators::{Shared, chain}, layers::Relu};
/// let relu = Shared::new(Relu::new(Const::<2>, Const::<2>));
/// let twice = chain(relu.clone(), relu); // relu(relu(x)), one weight matrix
/// assert_eq!(twice.param_names(), ["0.relu.W", "0.relu.b"]);
/// assert_eq!(twice.signature().to_string(), "0.relu n_in=2 n_out=2\n1.shared of=0..1\n");
/// let y = twice.predict(Floats2::from_rows(&[[1.0, -2.0]]));
/// assert_eq!(y.rows(), 1);
/// ```
pub struct Shared<M> {
    /// The layer; taken by a walk that changes parameters, for the length of the walk.
    layer: Option<Arc<M>>,
    /// Where the layer lives: one address for all its uses.
    address: usize,
}

impl<M> Shared<M> {
    /// The first use of `layer`; [`clone`](Clone::clone) it for every other.
    pub fn new(layer: M) -> Self {
        let layer = Arc::new(layer);
        Shared {
            address: Arc::as_ptr(&layer).addr(),
            layer: Some(layer),
        }
    }

    fn layer(&self) -> &M {
        self.layer
            .as_deref()
            .expect("a shared layer's use holds it between walks")
    }
}

/// Another use of the same layer.
impl<M> Clone for Shared<M> {
    fn clone(&self) -> Self {
        Shared {
            layer: self.layer.clone(),
            address: self.address,
        }
    }
}

impl<M: Params + Send + Sync + 'static> Params for Shared<M> {
    fn visit(&self, walk: &mut Visit<'_>) {
        walk.shared_use(self.address, |walk| self.layer().visit(walk));
    }
    fn visit_mut(&mut self, walk: &mut VisitMut<'_>) {
        walk.shared_use_mut(&mut self.layer, self.address);
    }
}

impl<M: Model + 'static> Model for Shared<M> {
    type In = M::In;
    type Out = M::Out;

    fn begin_update<'a>(
        &'a self,
        x: M::In,
    ) -> (M::Out, impl FnOnce(Grad<M::Out>) -> Grad<M::In> + Send + 'a) {
        self.layer().begin_update(x)
    }

    fn predict(&self, x: M::In) -> M::Out {
        self.layer().predict(x)
    }

    fn output_width(&self) -> Option<usize> {
        self.layer().output_width()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::combinators::{chain, concat};
    use crate::data::{Const, Floats2};
    use crate::layers::{Linear, Relu};
    use crate::training::{Adam, GradcheckOptions, gradcheck};

    fn x() -> Floats2<Const<2>> {
        Floats2::from_rows(&[[0.5, -1.0], [1.5, 0.3], [-0.7, 0.2]])
    }

    /// A layer used twice in a row: its gradient is the sum of both uses', which the finite
    /// differences of the one weight matrix see.
    #[test]
    fn shared_gradients_match_finite_differences() {
        let layer = Shared::new(Linear::new(Const::<2>, Const::<2>));
        let model = chain(
            layer.clone(),
            chain(Relu::new(Const::<2>, Const::<2>), layer),
        );
        let mut model = model;
        gradcheck(&mut model, &x(), &GradcheckOptions::default()).unwrap();
    }

    /// An update changes the one layer that every use runs, and leaves the uses sharing it.
    #[test]
    fn an_update_changes_every_use() {
        let layer = Shared::new(Linear::new(Const::<2>, Const::<2>));
        let mut model = concat::<_, _, _, _, Const<4>>(layer.clone(), layer);
        let (y, backprop) = model.begin_update(x());
        backprop(y);
        model.finish_update(&mut Adam::new(0.1)).unwrap();
        let y = model.predict(x());
        assert_eq!(y.view().column(0), y.view().column(2));
        assert_eq!(y.view().column(1), y.view().column(3));
        assert_eq!(model.param_names(), ["0.linear.W", "0.linear.b"]);
        let bytes = model.to_bytes().unwrap();
        let layer = Shared::new(Linear::new(Const::<2>, Const::<2>));
        let mut loaded = concat::<_, _, _, _, Const<4>>(layer.clone(), layer);
        loaded.from_bytes(&bytes).unwrap();
        assert_eq!(loaded.predict(x()), y);
    }

    /// A use held by another model: the update is refused before anything changes.
    #[test]
    fn a_use_held_elsewhere_is_an_error() {
        let layer = Shared::new(Linear::new(Const::<2>, Const::<2>));
        let elsewhere = layer.clone();
        let mut model = chain(layer.clone(), layer);
        let before = model.to_bytes().unwrap();
        let (y, backprop) = model.begin_update(x());
        backprop(y);
        let error = model.finish_update(&mut Adam::new(0.1)).unwrap_err();
        assert!(
            error.to_string().contains("also held outside it"),
            "{error}"
        );
        assert_eq!(model.to_bytes().unwrap(), before);
        drop(elsewhere);
        model.finish_update(&mut Adam::new(0.1)).unwrap();
        assert_ne!(model.to_bytes().unwrap(), before);
    }
}
