//! What a model is: the [`Model`] trait (here) and [`Boxed`] models for networks assembled at
//! run time; its parameters ([`Param`]), the walk that names them ([`Walk`]) and the [`Params`]
//! trait of everything that holds some; [`Part`], a field of a derived layer; the architecture
//! [`Signature`] a walk records; and [`Uninitialized`] models, whose sizes come from the data.
//!
//! What it may use: `data/` and `kernels/`; and `io/`, for the saving methods of [`Params`]
//! only: `to_bytes`, `from_bytes`, `to_disk` and `from_disk` are thin calls into
//! `io::serialize` and `io::disk`, methods of the model so that users call them on it.

mod initialize;
mod param;
mod params;
mod part;
pub(crate) mod recorder;
mod sharing;
mod signature;
pub(crate) mod walk;

pub use initialize::{DataSizes, Inputs, LeftToTheData, Truths, Uninitialized};
pub use param::{GradGuard, Param, Update};
pub(crate) use params::check_grad_clip;
pub use params::{Optimizer, Params};
pub use part::Part;
pub use signature::{LayerSignature, Signature};
pub use walk::{Visit, VisitMut, Walk};

use rayon::prelude::*;

use crate::data::batch::{Batch, split::Split};
use crate::data::{Data, Grad};
use crate::kernels::threads::threads;

/// A layer or a network: maps `In` to `Out`, and gives back a closure for the gradient.
///
/// `begin_update` runs the forward pass in training mode and returns the output with its
/// backprop closure: `backprop(d_out)` returns `d_in` and adds the parameter gradients into the
/// model's [`Param`](crate::Param)s. [`Params::finish_update`] then applies and clears them;
/// it needs `&mut self`, so the borrow checker ensures no backprop closure outlives the update.
///
/// `predict` is the inference path: no intermediates are kept, dropout is off.
///
/// # Panics
///
/// Every built-in layer checks what it is given, once per call: `predict` and `begin_update`
/// panic when the rows are not the width the layer was built for, and the backprop closure when
/// the gradient is not the shape of the output (its rows, their width, and a ragged output's
/// lengths). The message names the layer and both shapes. With `Const` widths the types rule
/// the first out: only a run-time (`usize`) width can differ.
///
/// ```should_panic
/// use weft_runtime::{Floats2, Model, layers::Linear};
/// let layer = Linear::new(3usize, 2usize);
/// // Panics: "linear: given rows of width 5, but the layer was built for rows of width 3".
/// layer.predict(Floats2::zeros(1, 5usize));
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a weft model",
    label = "not a layer or a network",
    note = "a layer implements `weft::Model` (see examples/custom_layer.rs); a network from `model!` whose sizes come from the data is a model once `.initialize(&x, &y)` has built it"
)]
pub trait Model: Params + Send + Sync {
    /// The input.
    type In: Data;
    /// The output.
    type Out: Data;

    /// The output in training mode, and the closure mapping its gradient to the input's.
    fn begin_update<'a>(
        &'a self,
        x: Self::In,
    ) -> (
        Self::Out,
        impl FnOnce(Grad<Self::Out>) -> Grad<Self::In> + Send + 'a,
    );

    /// The output in inference mode.
    fn predict(&self, x: Self::In) -> Self::Out;

    /// [`predict`](Model::predict) with the batch cut into parts, each part predicted whole on
    /// one thread of the pool; the outputs are joined in order.
    ///
    /// `predict` shares each layer's work among the threads, and so hands work to the pool once
    /// per layer: for small layers the second thread often wakes too late to help. Here the pool
    /// is used once per batch. The parts, two per thread, hold about equal rows (tokens, for
    /// [`Ragged`](crate::Ragged) input); a thread that runs faster than another (on a shared
    /// machine one often does) takes a part more.
    ///
    /// The model must treat each row (or each sequence, for `Ragged` input) on its own, as every
    /// built-in layer does: a layer that mixes the items of a batch (a batch norm, say) would see
    /// only its part.
    ///
    /// With one thread, or a batch of one item, this is `predict`.
    ///
    /// ```
    /// use weft_runtime::{Const, Floats2, Model, layers::Relu};
    /// let model = Relu::new(Const::<2>, Const::<3>);
    /// let x = Floats2::from_rows(&[[1.0, -2.0], [0.5, 4.0], [3.0, 1.0]]);
    /// assert_eq!(model.predict_parallel(x.clone()), model.predict(x));
    /// ```
    fn predict_parallel(&self, x: Self::In) -> Self::Out
    where
        Self::In: Batch,
        Self::Out: Batch,
    {
        let threads = threads();
        let parts = crate::data::batch::split(x, if threads > 1 { 2 * threads } else { 1 });
        if parts.len() == 1 {
            let part = parts.into_iter().next().expect("one part");
            return self.predict(part);
        }
        let outputs = parts
            .into_par_iter()
            .map(|part| crate::kernels::threads::alone(|| self.predict(part)));
        Self::Out::concat(outputs.collect())
    }

    /// The width of the rows it outputs, where it knows it: `model!` asks a layer of yours
    /// for it when a built-in layer follows and the width is a run-time `usize` (a constant
    /// width is read off the type). Built-in layers and combinators say it; `None` (the
    /// default) from a layer that keeps no width of its own (`dropout` of a run-time width).
    ///
    /// ```
    /// use weft_runtime::{Model, layers::Linear};
    /// assert_eq!(Linear::new(3usize, 7usize).output_width(), Some(7));
    /// ```
    fn output_width(&self) -> Option<usize> {
        None
    }

    /// Not to be called: a model has its sizes already. `model!` returns an [`Uninitialized`]
    /// network, whose `initialize` reads sizes off the data, only when it leaves one open (an
    /// `embed` without `rows`, a `softmax` without `classes`); calling `initialize` on a model
    /// is a compile error that says so (its bound, [`LeftToTheData`], holds for no type).
    fn initialize<X: ?Sized, Y: ?Sized>(self, _x: &X, _y: &Y) -> crate::error::Result<Self>
    where
        Self: Sized + LeftToTheData,
    {
        Ok(self)
    }

    /// This model behind a pointer, for networks whose structure is chosen at run time.
    fn boxed(self) -> Boxed<Self::In, Self::Out>
    where
        Self: Sized + 'static,
    {
        Boxed(Box::new(self))
    }
}

/// The backprop closure of a [`Boxed`] model.
pub type BoxedBackprop<'a, In, Out> = Box<dyn FnOnce(Grad<Out>) -> Grad<In> + Send + 'a>;

/// The dyn-compatible face of [`Model`], implemented for every model.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a weft model from `{In}` to `{Out}`",
    label = "not a model from `{In}` to `{Out}`",
    note = "a boxed model is any `weft::Model` with these input and output types: `model.boxed()` makes one"
)]
pub trait DynModel<In: Data, Out: Data>: Params + Send + Sync {
    /// [`Model::begin_update`] with a boxed closure.
    fn begin_update_boxed(&self, x: In) -> (Out, BoxedBackprop<'_, In, Out>);
    /// [`Model::predict`].
    fn predict_boxed(&self, x: In) -> Out;
    /// [`Model::output_width`].
    fn output_width_boxed(&self) -> Option<usize>;
}

impl<M: Model> DynModel<M::In, M::Out> for M {
    fn begin_update_boxed(&self, x: M::In) -> (M::Out, BoxedBackprop<'_, M::In, M::Out>) {
        let (y, backprop) = self.begin_update(x);
        (y, Box::new(backprop))
    }

    fn predict_boxed(&self, x: M::In) -> M::Out {
        self.predict(x)
    }

    fn output_width_boxed(&self) -> Option<usize> {
        self.output_width()
    }
}

/// A model behind a pointer: one type for any model from `In` to `Out`.
///
/// ```
/// use weft_runtime::{Const, Floats2, Model, Params, combinators::chain, layers::{Linear, Relu}};
/// let layers: Vec<_> = (0..3).map(|_| Relu::new(Const::<4>, Const::<4>).boxed()).collect();
/// let mut model = layers.into_iter().reduce(|a, b| chain(a, b).boxed()).unwrap();
/// let y = model.predict(Floats2::from_rows(&[[1.0, -2.0, 3.0, 0.5]]));
/// assert_eq!(y.rows(), 1);
/// assert_eq!(model.param_names()[2], "1.relu.W");
/// # let _ = &mut model;
/// ```
pub struct Boxed<In, Out>(Box<dyn DynModel<In, Out>>);

impl<In: Data, Out: Data> Params for Boxed<In, Out> {
    fn visit(&self, walk: &mut Visit<'_>) {
        self.0.visit(walk);
    }
    fn visit_mut(&mut self, walk: &mut VisitMut<'_>) {
        self.0.visit_mut(walk);
    }
}

impl<In: Data, Out: Data> Model for Boxed<In, Out> {
    type In = In;
    type Out = Out;

    fn begin_update<'a>(&'a self, x: In) -> (Out, impl FnOnce(Grad<Out>) -> Grad<In> + Send + 'a) {
        self.0.begin_update_boxed(x)
    }

    fn predict(&self, x: In) -> Out {
        self.0.predict_boxed(x)
    }

    fn output_width(&self) -> Option<usize> {
        self.0.output_width_boxed()
    }
}
