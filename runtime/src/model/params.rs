//! [`Params`], the trait of everything that holds parameters, and [`Optimizer`], what
//! [`Params::finish_update`] applies the gradients with.
//!
//! A layer writes the walk ([`visit`](Params::visit) and [`visit_mut`](Params::visit_mut), or
//! `#[derive(Params)]` writes them); every other method is provided on top of it: the names and
//! the count of the parameters, the architecture [`Signature`], the update, and saving and
//! loading. The saving methods are the model's so that users call them on it; each is a thin
//! call into `io::serialize`, which holds the format, or `io::disk`, which holds the files.

use std::path::Path;

use crate::error::{Error, Result};
use crate::io::{disk, serialize};
use crate::model::recorder::Rules;
use crate::model::sharing::walk_mut;
use crate::model::walk::signature_of;
use crate::model::{Param, Signature, Visit, VisitMut, Walk};

/// Everything that holds parameters: layers, combinators, whole models.
///
/// Implementations call the walk's [`layer`](Walk::layer) and [`param`](Walk::param) for their
/// own parameters, or pass the walk on to their children in a fixed order (combinators).
/// `#[derive(Params)]` writes both methods for a struct of parameters and sub-layers.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a weft layer: it does not implement `Params`",
    label = "not a layer",
    note = "derive it with `#[derive(weft::Params)]`, or implement `Params` and `Model` by hand"
)]
pub trait Params {
    /// Visits every parameter, with its path.
    fn visit(&self, walk: &mut Visit<'_>);
    /// Visits every parameter mutably, with its path, in the same order as [`visit`](Self::visit).
    fn visit_mut(&mut self, walk: &mut VisitMut<'_>);

    /// Calls `f` with the path and value of every parameter.
    fn for_each_param(&self, f: &mut dyn FnMut(&str, &Param)) {
        self.visit(&mut Walk::new(f));
    }

    /// Calls `f` with the path and value of every parameter, mutably: a shared layer's
    /// ([`Shared`](crate::combinators::Shared)) once. An error, before `f` sees any
    /// parameter, when a layer the model shares is also held outside it.
    fn for_each_param_mut(&mut self, f: &mut dyn FnMut(&str, &mut Param)) -> Result<()> {
        walk_mut(self, f)
    }

    /// The path of every parameter, in walk order.
    fn param_names(&self) -> Vec<String> {
        let mut names = Vec::new();
        self.for_each_param(&mut |path, _| names.push(path.to_owned()));
        names
    }

    /// The number of trainable values.
    fn param_count(&self) -> usize {
        let mut count = 0;
        self.for_each_param(&mut |_, p| count += p.len());
        count
    }

    /// The architecture signature: every layer in walk order, with the attributes it records
    /// with [`Walk::attr`]. Saved models carry it; loading checks it first.
    ///
    /// ```
    /// use weft_runtime::{Const, Params, combinators::chain, layers::{Dropout, HashEmbed}};
    /// let model = chain(HashEmbed::new(100, Const::<8>, 17), Dropout::new(0.25));
    /// let text = model.signature().to_string();
    /// assert_eq!(text, "0.hash_embed hash=murmurhash3 seed=17 width=8\n1.dropout rate=0.25\n");
    /// ```
    fn signature(&self) -> Signature {
        signature_of(self, Rules::Current)
    }

    /// The model in weft's saved form (`docs/format.md`): msgpack of the format version, the
    /// [`signature`](Self::signature), every parameter by path, with its shape and its
    /// values as little-endian `f32`, and a checksum of them. The same weights give the same
    /// bytes, however the model's chains nest. A NaN or infinite value is an error naming the
    /// parameter: no file is written that [`from_bytes`](Self::from_bytes) would refuse.
    ///
    /// ```
    /// use weft_runtime::{Const, Floats2, Model, Params, layers::Relu};
    /// let trained = Relu::new(Const::<2>, Const::<3>);
    /// let bytes = trained.to_bytes()?;
    /// let mut copy = Relu::new(Const::<2>, Const::<3>);
    /// copy.from_bytes(&bytes)?;
    /// let x = Floats2::from_rows(&[[1.0, -1.0]]);
    /// assert_eq!(copy.predict(x.clone()), trained.predict(x));
    /// assert_eq!(copy.to_bytes()?, bytes);
    /// # Ok::<(), weft_runtime::Error>(())
    /// ```
    fn to_bytes(&self) -> Result<Vec<u8>> {
        serialize::to_bytes(self)
    }

    /// Loads the parameters saved by [`to_bytes`](Self::to_bytes) into this model, which must
    /// have the same architecture. Everything is checked before anything is written: on error
    /// the model is unchanged, and the [`LoadError`](crate::LoadError) names the first
    /// difference; bytes changed since they were saved are refused by their checksum. Loading
    /// clears the accumulated gradients.
    ///
    /// Named after Thinc's method: the architecture is code, so loading fills a model built by
    /// that code rather than making one.
    ///
    /// ```
    /// use weft_runtime::{Const, Params, layers::Relu};
    /// let bytes = Relu::new(Const::<2>, Const::<3>).to_bytes()?;
    /// let mut other = Relu::new(Const::<2>, Const::<4>);
    /// let error = other.from_bytes(&bytes).unwrap_err();
    /// assert_eq!(
    ///     error.to_string(),
    ///     "cannot load the model: the architecture differs at layer 0.relu: \
    ///      n_out = 3 in the file, n_out = 4 in the model",
    /// );
    /// # Ok::<(), weft_runtime::Error>(())
    /// ```
    #[allow(clippy::wrong_self_convention)]
    fn from_bytes(&mut self, bytes: &[u8]) -> Result<()> {
        serialize::from_bytes(self, bytes, None)
    }

    /// Saves the model to `path` as [`to_bytes`](Self::to_bytes) does. The bytes go to a
    /// temporary file in the same folder, which is synced and then renamed over `path`: a
    /// crash or a full disk never leaves a half-written model, and the next save removes the
    /// temporary files that killed saves left. Only a regular file is replaced: a symbolic
    /// link, a FIFO, a device or a folder at `path` is an error. I/O errors name the file.
    ///
    /// ```
    /// use weft_runtime::{Const, Params, layers::Linear};
    /// let path = std::env::temp_dir().join(format!("weft-doc-{}.weft", std::process::id()));
    /// let model = Linear::new(Const::<2>, Const::<1>);
    /// model.to_disk(&path)?;
    /// let mut copy = Linear::new(Const::<2>, Const::<1>);
    /// copy.from_disk(&path)?;
    /// assert_eq!(copy.to_bytes()?, model.to_bytes()?);
    /// # std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), weft_runtime::Error>(())
    /// ```
    fn to_disk(&self, path: impl AsRef<Path>) -> Result<()>
    where
        Self: Sized,
    {
        disk::to_disk(self, path.as_ref())
    }

    /// Loads a model saved by [`to_disk`](Self::to_disk), as [`from_bytes`](Self::from_bytes)
    /// does; its errors name the file. Only a regular file is read (a FIFO, a device or a
    /// folder is an error), and no further than the longest saved form of this model: a longer
    /// file is refused without being read whole.
    #[allow(clippy::wrong_self_convention)]
    fn from_disk(&mut self, path: impl AsRef<Path>) -> Result<()>
    where
        Self: Sized,
    {
        disk::from_disk(self, path.as_ref())
    }

    /// Applies the accumulated gradients with `optimizer` and clears them. The optimizer's
    /// gradient-norm clipping (if any) scales all gradients together by their global L2 norm.
    ///
    /// Nothing is written before everything is checked: the optimizer's settings
    /// ([`Optimizer::validate`]), the gradients (NaN or infinity), then the update of each
    /// parameter ([`Optimizer::check`]: for [`Adam`](crate::Adam) and [`Sgd`](crate::Sgd),
    /// values that it would make NaN, infinite, or beyond `1e30` in magnitude). On any of these
    /// errors no value changes, nor the optimizer's state; the gradients are cleared, and the
    /// error names the setting or the first parameter concerned. A layer the model shares that
    /// is also held outside it ([`Error::Shared`]) is refused before any walk: nothing changes,
    /// and the gradients stay, to be applied once the other holder lets go.
    ///
    /// ```
    /// use weft_runtime::{Adam, Const, Floats2, Model, Params, layers::Linear};
    /// let mut model = Linear::new(Const::<2>, Const::<1>);
    /// let before = model.to_bytes()?;
    /// let (_, backprop) = model.begin_update(Floats2::from_rows(&[[1.0, 2.0]]));
    /// backprop(Floats2::from_rows(&[[1.0]]));
    /// let error = model.finish_update(&mut Adam::new(f32::MAX)).unwrap_err();
    /// assert_eq!(
    ///     error.to_string(),
    ///     "the values of 0.linear.W after this update must be finite and within ±1e30, \
    ///      found 3.40e38",
    /// );
    /// assert_eq!(model.to_bytes()?, before);
    /// # Ok::<(), weft_runtime::Error>(())
    /// ```
    fn finish_update(&mut self, optimizer: &mut dyn Optimizer) -> Result<()> {
        match check_update(self, optimizer) {
            Ok(scale) => {
                // The step begins with the first update: a walk that fails fails before it.
                let mut begun = false;
                self.for_each_param_mut(&mut |path, p| {
                    if !std::mem::replace(&mut begun, true) {
                        optimizer.begin_step();
                    }
                    optimizer.update(path, p, scale);
                })
            }
            Err(error) => {
                self.for_each_param_mut(&mut |_, p| p.zero_grad())?;
                Err(error)
            }
        }
    }
}

/// The scale of the gradients in the update `optimizer` is to make of `model`, once the
/// checks of [`Params::finish_update`] have passed.
///
/// Without clipping the scale is 1, and each parameter's update is checked in the walk that
/// reads its gradient: the update walks the model once more, as it would unchecked. With
/// clipping the scale comes from all the gradients, and the updates are checked in a walk of
/// their own.
fn check_update<P: Params + ?Sized>(model: &P, optimizer: &dyn Optimizer) -> Result<f32> {
    optimizer.validate()?;
    let clip = optimizer.grad_clip();
    let mut squares = Vec::new();
    until_refused(model, |path, p| {
        let grad_sq = p.grad_sum_of_squares();
        if !grad_sq.is_finite() {
            return Err(Error::NonFinite {
                what: format!("the gradient of {path}"),
            });
        }
        if clip.is_none() {
            return optimizer.check(path, p, 1.0, grad_sq.sqrt() as f32);
        }
        squares.push(grad_sq);
        Ok(())
    })?;
    let Some(max) = clip else { return Ok(1.0) };
    let norm = squares.iter().sum::<f64>().sqrt() as f32;
    let scale = if norm > max { max / norm } else { 1.0 };
    let mut squares = squares.into_iter();
    until_refused(model, |path, p| {
        let grad_norm = squares.next().unwrap_or(0.0).sqrt() as f32;
        optimizer.check(path, p, scale, grad_norm)
    })?;
    Ok(scale)
}

/// Calls `check` with every parameter of `model` and its path, in walk order, until it
/// returns an error, which is returned.
fn until_refused<P: Params + ?Sized>(
    model: &P,
    mut check: impl FnMut(&str, &Param) -> Result<()>,
) -> Result<()> {
    let mut checked = Ok(());
    model.for_each_param(&mut |path, p| {
        if checked.is_ok() {
            checked = check(path, p);
        }
    });
    checked
}

/// Updates parameters from their gradients.
///
/// [`Params::finish_update`] calls [`validate`](Self::validate), reads
/// [`grad_clip`](Self::grad_clip), calls [`check`](Self::check) for every parameter, and then,
/// when nothing was refused, [`begin_step`](Self::begin_step) and [`update`](Self::update) for
/// every parameter.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an optimizer",
    label = "not an optimizer",
    note = "pass an optimizer, such as `&mut Adam::new(0.001)` or `&mut Sgd::new(0.1)`, or implement `weft::Optimizer`"
)]
pub trait Optimizer {
    /// The largest global gradient L2 norm allowed; larger gradients are scaled down to it.
    fn grad_clip(&self) -> Option<f32>;
    /// Checks the settings: an [`Error::OutOfRange`] naming the first one out of its range. The
    /// default checks [`grad_clip`](Self::grad_clip): `None`, or finite and above 0 (a limit of
    /// 0 would scale every gradient to 0, and nothing would learn).
    fn validate(&self) -> Result<()> {
        check_grad_clip("the optimizer", self.grad_clip())
    }
    /// Sets the learning rate, as the training loop and its schedules do. The default
    /// refuses: an optimizer without one (or that does not say how to set it) cannot be
    /// scheduled.
    fn set_learn_rate(&mut self, rate: f32) -> Result<()> {
        Err(Error::out_of_range(
            "the learning rate of this optimizer",
            "an optimizer that has one (it implements Optimizer::set_learn_rate)",
            rate,
        ))
    }
    /// Called once per update, before the parameters.
    fn begin_step(&mut self);
    /// Checks, before anything is written, that the coming update of `param` (at `path`) with
    /// its gradient times `grad_scale` leaves its values sound (finite, say): an error naming
    /// the parameter if not. `grad_norm` is the L2 norm of the gradient before scaling, a bound
    /// on each of its values. Called before [`begin_step`](Self::begin_step). The default
    /// refuses nothing.
    fn check(&self, path: &str, param: &Param, grad_scale: f32, grad_norm: f32) -> Result<()> {
        let _ = (path, param, grad_scale, grad_norm);
        Ok(())
    }
    /// Updates `param` (at `path`) from its gradient times `grad_scale`, and zeroes the gradient.
    fn update(&mut self, path: &str, param: &mut Param, grad_scale: f32);

    /// The optimizer's state for the parameters of `model` (for [`Adam`](crate::Adam), its
    /// step count and its moments), with the settings it holds it under, as bytes that
    /// [`load_state`](Self::load_state) reads back: what a training checkpoint keeps of the
    /// optimizer (`docs/format.md`, "Checkpoints"). The default has none to give, and refuses:
    /// an optimizer that does not implement both methods cannot be checkpointed.
    fn save_state(&self, model: &dyn Params) -> Result<Vec<u8>> {
        let _ = model;
        Err(no_saved_state())
    }

    /// Takes up the state that [`save_state`](Self::save_state) gave, for the parameters of
    /// `model`, checking it first: an [`Error::Checkpoint`] for bytes that are not a state or
    /// are damaged, a state of another optimizer or saved under other settings, or of a
    /// parameter the model lacks or has another shape of. On error the optimizer is as it
    /// was. The default refuses, as `save_state`'s does.
    fn load_state(&mut self, state: &[u8], model: &dyn Params) -> Result<()> {
        let _ = (state, model);
        Err(no_saved_state())
    }
}

/// The error of an optimizer that cannot save or load its state.
fn no_saved_state() -> Error {
    Error::checkpoint(
        "this optimizer cannot save its state (it does not implement Optimizer::save_state \
         and Optimizer::load_state)",
    )
}

/// Checks the gradient-norm limit `clip` of `optimizer` (named in the error), as
/// [`Optimizer::validate`] states.
pub(crate) fn check_grad_clip(optimizer: &str, clip: Option<f32>) -> Result<()> {
    match clip {
        Some(max) if !(max.is_finite() && max > 0.0) => Err(Error::out_of_range(
            format!("{optimizer}'s grad_clip"),
            "finite and above 0 (None for no clipping)",
            max,
        )),
        _ => Ok(()),
    }
}
