//! Parameters, their gradients, and the walk that names them.
//!
//! A [`Param`] holds its values and, behind a `Mutex`, its gradient: backprop closures borrow the
//! model immutably and add into the gradient; [`Params::finish_update`] takes the model mutably,
//! so no backprop closure can be alive while the optimizer changes the values.
//!
//! A lookup table (an embedding) adds its gradient with [`Param::add_grad_rows`], which also
//! records the rows it touched. The gradient norm and the optimizer's update then read only
//! those rows of the gradient: for the other rows it is known to be zero. For a table of a million
//! values of which a batch touches a few hundred rows, that saves the norm's pass over the table
//! and a quarter of the optimizer's memory traffic. The values are updated as densely.
//!
//! Every parameter has a stable path such as `2.bilstm.0.fwd.W`: the position of its layer among
//! the layers of the flattened expression, the layer's kind, then the names inside the layer.
//! Combinators are transparent, so `a >> (b >> c)` and `(a >> b) >> c` name their parameters alike.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};

use ndarray::{ArrayView1, ArrayView2, ArrayViewMut2};
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::io::serialize;
use crate::kernels::threads::threads;
use crate::model::Signature;
use crate::model::signature::Recorder;
use crate::training::Optimizer;

/// A parameter: an `f32` array of a fixed shape and its accumulated gradient.
#[derive(Debug)]
pub struct Param {
    shape: Vec<usize>,
    value: Vec<f32>,
    grad: Mutex<Gradient>,
}

/// A parameter's gradient, and where it may be non-zero.
#[derive(Debug)]
struct Gradient {
    values: Vec<f32>,
    /// The gradient may be non-zero anywhere.
    dense: bool,
    /// The rows [`Param::add_grad_rows`] added to, one flag per row of the parameter's
    /// [`matrix`](Param::matrix). Unless `dense`, the gradient is zero in every other row.
    touched: Vec<bool>,
}

/// The gradient of a [`Param`], locked while the guard lives. Borrowing it mutably marks every
/// row as possibly non-zero.
pub struct GradGuard<'a>(MutexGuard<'a, Gradient>);

impl Deref for GradGuard<'_> {
    type Target = [f32];
    fn deref(&self) -> &[f32] {
        &self.0.values
    }
}

impl DerefMut for GradGuard<'_> {
    fn deref_mut(&mut self) -> &mut [f32] {
        self.0.dense = true;
        &mut self.0.values
    }
}

/// What an optimizer updates: a parameter's values and gradient, seen as rows of `width`
/// values, and the rows where the gradient may be non-zero. A dense gradient is one row of all
/// the values.
pub struct Update<'a> {
    /// The values, row-major.
    pub values: &'a mut [f32],
    /// The gradient, shaped like `values`; the optimizer leaves it zero.
    pub grad: &'a mut [f32],
    /// Values per row (the length of `values` for a dense gradient).
    pub width: usize,
    /// One flag per row: true where the gradient may be non-zero, false where it is zero.
    pub touched: &'a [bool],
}

impl Param {
    /// A parameter of `shape` holding `value` (row-major); panics when the sizes differ,
    /// which is a bug in the layer that builds it.
    pub fn new(shape: &[usize], value: Vec<f32>) -> Self {
        assert_eq!(
            shape.iter().product::<usize>(),
            value.len(),
            "parameter values do not fill shape {shape:?}"
        );
        let mut param = Param {
            shape: shape.to_vec(),
            grad: Mutex::new(Gradient {
                values: vec![0.0; value.len()],
                dense: false,
                touched: Vec::new(),
            }),
            value,
        };
        let rows = param.matrix_shape().0;
        param.grad.get_mut().expect("new").touched = vec![false; rows];
        param
    }

    /// A parameter of `shape` filled with zeros.
    pub fn zeros(shape: &[usize]) -> Self {
        Self::new(shape, vec![0.0; shape.iter().product()])
    }

    /// The shape: `[rows, columns]` for a matrix, `[n]` for a vector.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        self.value.len()
    }

    /// True for a parameter with no values.
    pub fn is_empty(&self) -> bool {
        self.value.is_empty()
    }

    /// The values, row-major.
    pub fn value(&self) -> &[f32] {
        &self.value
    }

    /// The values, mutably.
    pub fn value_mut(&mut self) -> &mut [f32] {
        &mut self.value
    }

    /// The values as a matrix: `(rows, columns)`, or `(1, n)` for a vector.
    pub fn matrix(&self) -> ArrayView2<'_, f32> {
        ArrayView2::from_shape(self.matrix_shape(), &self.value).expect("shape checked in new")
    }

    /// The values as a vector.
    pub fn vector(&self) -> ArrayView1<'_, f32> {
        ArrayView1::from(&self.value[..])
    }

    /// The gradient accumulated since the last update (locked while the guard lives).
    pub fn grad(&self) -> GradGuard<'_> {
        GradGuard(self.grad.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Runs `add` on the gradient seen as a matrix (shaped like [`matrix`](Self::matrix)).
    pub fn add_grad_matrix(&self, add: impl FnOnce(ArrayViewMut2<'_, f32>)) {
        let shape = self.matrix_shape();
        let mut grad = self.grad();
        add(ArrayViewMut2::from_shape(shape, &mut grad[..]).expect("shape checked in new"));
    }

    /// Adds each `(row, d)` into that row of the gradient seen as a matrix (the backward pass
    /// of a table lookup), and records the rows, so that the update skips the others. With
    /// several threads and many rows, each thread adds the rows of its part of the table (in
    /// the given order: the sums are the same).
    ///
    /// Panics when a row is out of range or `d` is not a row's width: a bug in the layer.
    ///
    /// ```
    /// use ndarray::array;
    /// use weft_runtime::Param;
    /// let table = Param::zeros(&[3, 2]);
    /// let d = array![[1.0, 2.0], [0.5, 0.5]];
    /// table.add_grad_rows([(2, d.row(0)), (2, d.row(1))]);
    /// assert_eq!(&table.grad()[..], &[0.0, 0.0, 0.0, 0.0, 1.5, 2.5]);
    /// ```
    pub fn add_grad_rows<'d>(&self, rows: impl IntoIterator<Item = (usize, ArrayView1<'d, f32>)>) {
        /// Fewer floats to add than this stay on one thread.
        const PARALLEL: usize = 1 << 14;
        let (n_rows, width) = self.matrix_shape();
        let rows: Vec<(usize, ArrayView1<'d, f32>)> = rows.into_iter().collect();
        for &(row, d) in &rows {
            assert!(row < n_rows, "row {row} of a table of {n_rows}");
            assert_eq!(d.len(), width, "a gradient row of the table's width");
        }
        let mut guard = self.grad.lock().unwrap_or_else(PoisonError::into_inner);
        let Gradient {
            values, touched, ..
        } = &mut *guard;
        let threads = threads();
        if threads == 1 || rows.len() * width < PARALLEL || width == 0 {
            return add_rows(&rows, 0, width, values, touched);
        }
        let part = n_rows.div_ceil(threads);
        let parts = values
            .par_chunks_mut(part * width)
            .zip(touched.par_chunks_mut(part));
        parts
            .enumerate()
            .for_each(|(i, (values, touched))| add_rows(&rows, i * part, width, values, touched));
    }

    /// `Σ g²` over the gradient, in `f64`, reading only the rows it may be non-zero in.
    pub(crate) fn grad_sum_of_squares(&self) -> f64 {
        let grad = self.grad.lock().unwrap_or_else(PoisonError::into_inner);
        if grad.dense {
            return crate::kernels::ops::sum_of_squares_in_parallel(&grad.values);
        }
        let width = self.matrix_shape().1;
        let rows = grad.values.chunks_exact(width.max(1)).zip(&grad.touched);
        rows.filter(|(_, touched)| **touched)
            .map(|(row, _)| crate::kernels::ops::sum_of_squares(row))
            .sum()
    }

    /// Sets the gradient to zero.
    pub fn zero_grad(&mut self) {
        let (_, grad) = self.value_and_grad_mut();
        grad.fill(0.0);
        self.forget_touched();
    }

    /// The values and the gradient, mutably, without locking. The gradient may be changed
    /// anywhere, so later updates read all of it until [`update`](Self::update).
    pub fn value_and_grad_mut(&mut self) -> (&mut [f32], &mut [f32]) {
        let grad = self.grad.get_mut().unwrap_or_else(PoisonError::into_inner);
        grad.dense = true;
        (&mut self.value, &mut grad.values)
    }

    /// For optimizers: runs `step` on the values, the gradient and the rows where it may be
    /// non-zero. `step` must leave the gradient zero in those rows; it is then zero everywhere.
    ///
    /// ```
    /// use ndarray::array;
    /// use weft_runtime::Param;
    /// let mut table = Param::zeros(&[3, 2]);
    /// table.add_grad_rows([(1, array![1.0, -1.0].view())]);
    /// table.update(|u| {
    ///     assert_eq!((u.width, u.touched), (2, &[false, true, false][..]));
    ///     for (i, g) in u.grad.iter_mut().enumerate() {
    ///         u.values[i] -= 0.5 * *g;
    ///         *g = 0.0;
    ///     }
    /// });
    /// assert_eq!(table.value(), &[0.0, 0.0, -0.5, 0.5, 0.0, 0.0]);
    /// ```
    pub fn update(&mut self, step: impl FnOnce(Update<'_>)) {
        let width = self.matrix_shape().1;
        let grad = self.grad.get_mut().unwrap_or_else(PoisonError::into_inner);
        let (width, touched) = match grad.dense {
            true => (self.value.len(), &[true][..]),
            false => (width, &grad.touched[..]),
        };
        step(Update {
            values: &mut self.value,
            grad: &mut grad.values,
            width,
            touched,
        });
        self.forget_touched();
    }

    /// Records the gradient as zero everywhere.
    fn forget_touched(&mut self) {
        let grad = self.grad.get_mut().unwrap_or_else(PoisonError::into_inner);
        grad.dense = false;
        grad.touched.fill(false);
    }

    fn matrix_shape(&self) -> (usize, usize) {
        match self.shape[..] {
            [rows, cols] => (rows, cols),
            _ => (1, self.value.len()),
        }
    }
}

/// Adds the `rows` that fall in a part of a table, its rows from `first` (`values`, `width`
/// floats each, and their `touched` flags), in order.
fn add_rows(
    rows: &[(usize, ArrayView1<'_, f32>)],
    first: usize,
    width: usize,
    values: &mut [f32],
    touched: &mut [bool],
) {
    for &(row, d) in rows {
        let Some(r) = row.checked_sub(first).filter(|&r| r < touched.len()) else {
            continue;
        };
        let target = &mut values[r * width..(r + 1) * width];
        // As a slice (a copy only if `d` is strided), so that the loop vectorizes.
        let d = d.as_standard_layout();
        let d = d.as_slice().expect("standard layout");
        target.iter_mut().zip(d).for_each(|(g, &d)| *g += d);
        touched[r] = true;
    }
}

/// A walk over a model's parameters that keeps track of their paths.
///
/// Layers call [`layer`](Walk::layer) once with their kind and name their parameters inside it
/// with [`param`](Walk::param); a layer with inner structure (the directions of a BiLSTM) opens
/// [`scope`](Walk::scope)s, and records what its parameters do not tell about its architecture
/// with [`attr`](Walk::attr). `F` is the visitor: see [`Visit`] and [`VisitMut`].
pub struct Walk<'f, F: ?Sized> {
    path: String,
    counters: Vec<usize>,
    visit: &'f mut F,
    /// The layers and their attributes, in a walk for [`Params::signature`].
    signature: Option<Recorder>,
}

/// A walk that reads every parameter.
pub type Visit<'f> = Walk<'f, dyn FnMut(&str, &Param) + 'f>;
/// A walk that changes every parameter.
pub type VisitMut<'f> = Walk<'f, dyn FnMut(&str, &mut Param) + 'f>;

impl<'f, F: ?Sized> Walk<'f, F> {
    /// A walk from the top of a model, calling `visit` with every parameter and its path.
    pub fn new(visit: &'f mut F) -> Self {
        Walk {
            path: String::new(),
            counters: vec![0],
            visit,
            signature: None,
        }
    }

    /// A walk that also records the architecture signature.
    pub(crate) fn recording(visit: &'f mut F) -> Self {
        Walk {
            signature: Some(Recorder::default()),
            ..Self::new(visit)
        }
    }

    /// The signature a [`recording`](Self::recording) walk saw.
    pub(crate) fn into_signature(self) -> Signature {
        self.signature.map(Recorder::finish).unwrap_or_default()
    }

    /// Enters the next layer of the current scope: its parameters are named
    /// `<position>.<kind>.<name>`.
    pub fn layer(&mut self, kind: &str, body: impl FnOnce(&mut Self)) {
        let counter = self
            .counters
            .last_mut()
            .expect("the top scope is never closed");
        let position = *counter;
        *counter += 1;
        self.nested(&format!("{position}.{kind}"), |walk| {
            if let Some(signature) = &mut walk.signature {
                signature.open(&walk.path);
            }
            body(walk);
            if let Some(signature) = &mut walk.signature {
                signature.close();
            }
        });
    }

    /// Records attribute `name` of the current layer in the architecture signature: a width,
    /// a seed, a rate, anything a saved model must agree on that its parameters' shapes do not
    /// show. Only a signature walk formats `value`; other walks ignore it, and so does a call
    /// outside every [`layer`](Self::layer).
    ///
    /// ```
    /// use weft_runtime::{Params, Visit, VisitMut};
    /// struct Noise {
    ///     rate: f32,
    /// }
    /// impl Params for Noise {
    ///     fn visit(&self, walk: &mut Visit<'_>) {
    ///         walk.layer("noise", |walk| walk.attr("rate", &self.rate));
    ///     }
    ///     fn visit_mut(&mut self, walk: &mut VisitMut<'_>) {
    ///         walk.layer("noise", |_| {});
    ///     }
    /// }
    /// assert_eq!(Noise { rate: 0.5 }.signature().to_string(), "0.noise rate=0.5\n");
    /// ```
    pub fn attr(&mut self, name: &str, value: &dyn fmt::Display) {
        if let Some(signature) = &mut self.signature {
            signature.attr(name, value);
        }
    }

    /// Walks the `branches` of a combinator other than a chain (`concat`, `add`, `residual`).
    /// Parameter paths do not change; a signature walk records the combinator's kind and the
    /// layer positions each branch spans (`concat branches=0..2 2..3`), so that the same layers
    /// put together another way (`a >> residual(b)` against `a >> b`) are another
    /// architecture, and a saved model of one does not load into the other.
    pub fn combinator(&mut self, kind: &str, branches: &mut [&mut dyn FnMut(&mut Self)]) {
        let place = self.signature.as_mut().map(Recorder::reserve);
        let mut spans = Vec::with_capacity(branches.len());
        for branch in branches {
            let start = self.position();
            branch(self);
            spans.push(format!("{start}..{}", self.position()));
        }
        if let (Some(place), Some(signature)) = (place, &mut self.signature) {
            let path = match self.path.is_empty() {
                true => kind.to_owned(),
                false => format!("{}.{kind}", self.path),
            };
            signature.describe(place, path, spans.join(" "));
        }
    }

    /// The position the next layer of the current scope will have.
    fn position(&self) -> usize {
        *self.counters.last().expect("the top scope is never closed")
    }

    /// Enters a named part of the current layer (`fwd`, `bwd`, a sub-layer field); layers
    /// inside it are numbered from 0 again.
    pub fn scope(&mut self, name: &str, body: impl FnOnce(&mut Self)) {
        self.nested(name, body);
    }

    fn nested(&mut self, segment: &str, body: impl FnOnce(&mut Self)) {
        let len = self.path.len();
        self.push(segment);
        self.counters.push(0);
        body(self);
        self.counters.pop();
        self.path.truncate(len);
    }

    fn push(&mut self, segment: &str) {
        if !self.path.is_empty() {
            self.path.push('.');
        }
        self.path.push_str(segment);
    }

    fn with_name<R>(&mut self, name: &str, f: impl FnOnce(&str, &mut F) -> R) -> R {
        let len = self.path.len();
        self.push(name);
        let result = f(&self.path, self.visit);
        self.path.truncate(len);
        result
    }
}

impl Visit<'_> {
    /// Visits parameter `name` of the current layer.
    pub fn param(&mut self, name: &str, param: &Param) {
        self.with_name(name, |path, visit| visit(path, param));
    }
}

impl VisitMut<'_> {
    /// Visits parameter `name` of the current layer.
    pub fn param(&mut self, name: &str, param: &mut Param) {
        self.with_name(name, |path, visit| visit(path, param));
    }
}

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

    /// Calls `f` with the path and value of every parameter, mutably.
    fn for_each_param_mut(&mut self, f: &mut dyn FnMut(&str, &mut Param)) {
        self.visit_mut(&mut Walk::new(f));
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
    /// assert_eq!(text, "0.hash_embed seed=17 width=8\n1.dropout rate=0.25\n");
    /// ```
    fn signature(&self) -> Signature {
        let mut ignore = |_: &str, _: &Param| {};
        let mut walk = Walk::recording(&mut ignore as &mut dyn FnMut(&str, &Param));
        self.visit(&mut walk);
        walk.into_signature()
    }

    /// The model in weft's saved form (`docs/format.md`): msgpack of the format version, the
    /// [`signature`](Self::signature) and every parameter by path, with its shape and its
    /// values as little-endian `f32`. The same weights give the same bytes, however the
    /// model's chains nest. A NaN or infinite value is an error naming the parameter: no file
    /// is written that [`from_bytes`](Self::from_bytes) would refuse.
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
    /// difference. Loading clears the accumulated gradients.
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
        serialize::from_bytes(self, bytes).map_err(|error| Error::Load { path: None, error })
    }

    /// Saves the model to `path` as [`to_bytes`](Self::to_bytes) does. The bytes go to a
    /// temporary file in the same folder, which is synced and then renamed over `path`: a
    /// crash or a full disk never leaves a half-written model. I/O errors name the file.
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
        serialize::to_disk(self, path.as_ref())
    }

    /// Loads a model saved by [`to_disk`](Self::to_disk), as [`from_bytes`](Self::from_bytes)
    /// does; its errors name the file.
    #[allow(clippy::wrong_self_convention)]
    fn from_disk(&mut self, path: impl AsRef<Path>) -> Result<()>
    where
        Self: Sized,
    {
        serialize::from_disk(self, path.as_ref())
    }

    /// Applies the accumulated gradients with `optimizer` and clears them.
    ///
    /// When a gradient holds NaN or infinity, no value changes, the gradients are cleared, and
    /// the error names the first parameter concerned. The optimizer's gradient-norm clipping
    /// (if any) scales all gradients together by their global L2 norm.
    fn finish_update(&mut self, optimizer: &mut dyn Optimizer) -> Result<()> {
        let mut sum_sq = 0.0f64;
        let mut first_bad = None;
        self.for_each_param(&mut |path, p| {
            let grad_sq = p.grad_sum_of_squares();
            if !grad_sq.is_finite() && first_bad.is_none() {
                first_bad = Some(path.to_owned());
            }
            sum_sq += grad_sq;
        });
        if let Some(path) = first_bad {
            self.for_each_param_mut(&mut |_, p| p.zero_grad());
            return Err(Error::NonFinite {
                what: format!("the gradient of {path}"),
            });
        }
        let norm = sum_sq.sqrt() as f32;
        let scale = match optimizer.grad_clip() {
            Some(max) if norm > max => max / norm,
            _ => 1.0,
        };
        optimizer.begin_step();
        self.for_each_param_mut(&mut |path, p| optimizer.update(path, p, scale));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use ndarray::array;

    use super::*;

    #[test]
    fn the_norm_reads_touched_rows_until_a_dense_borrow() {
        let mut table = Param::zeros(&[4, 2]);
        let d = array![[3.0, 4.0], [1.0, 2.0]];
        table.add_grad_rows([(1, d.row(0)), (3, d.row(1))]);
        assert_eq!(table.grad_sum_of_squares(), 30.0);
        // A write outside the recorded rows through `grad()` is counted: it made the gradient dense.
        table.grad()[0] = 2.0;
        assert_eq!(table.grad_sum_of_squares(), 34.0);
        table.update(|u| {
            assert_eq!((u.width, u.touched), (8, &[true][..]));
            u.grad.fill(0.0);
        });
        table.add_grad_rows([(2, d.row(1))]);
        table.update(|u| assert_eq!((u.width, u.touched), (2, &[false, false, true, false][..])));
    }

    #[test]
    fn zero_grad_clears_values_and_rows() {
        let mut table = Param::zeros(&[2, 1]);
        table.add_grad_rows([(1, array![f32::NAN].view())]);
        assert!(table.grad_sum_of_squares().is_nan());
        table.zero_grad();
        assert_eq!(table.grad_sum_of_squares(), 0.0);
        table.update(|u| assert_eq!(u.touched, &[false, false]));
    }
}
