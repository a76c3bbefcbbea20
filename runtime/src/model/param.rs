//! Parameters and their gradients.
//!
//! A [`Param`] holds its values and, behind a `Mutex`, its gradient: backprop closures borrow the
//! model immutably and add into the gradient; [`Params::finish_update`] takes the model mutably,
//! so no backprop closure can be alive while the optimizer changes the values.
//!
//! [`Params::finish_update`]: crate::Params::finish_update
//!
//! A lookup table (an embedding) adds its gradient with [`Param::add_grad_rows`], which also
//! records the rows it touched. The gradient norm and the optimizer's update then read only
//! those rows of the gradient: for the other rows it is known to be zero. For a table of a million
//! values of which a batch touches a few hundred rows, that saves the norm's pass over the table
//! and a quarter of the optimizer's memory traffic. The values are updated as densely.

use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use ndarray::{ArrayView1, ArrayView2, ArrayViewMut2};
use rayon::prelude::*;

use crate::kernels::ops::{
    largest_magnitude, magnitude_bits, sum_of_squares, sum_of_squares_in_parallel,
};
use crate::kernels::rng::Rng;
use crate::kernels::threads::threads;

/// A parameter: an `f32` array of a fixed shape and its accumulated gradient.
#[derive(Debug)]
pub struct Param {
    shape: Vec<usize>,
    value: Vec<f32>,
    grad: Mutex<Gradient>,
    /// The [`magnitude_bits`] of a bound on the magnitude of the values, or [`UNKNOWN`]: what
    /// [`Param::magnitude_bound`] found or an optimizer's update gave, kept until the values
    /// change otherwise.
    bound: AtomicU32,
}

/// [`Param::bound`] when no bound is known: above the bits of every magnitude.
const UNKNOWN: u32 = u32::MAX;

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
    /// A parameter of `shape` holding `value` (row-major).
    ///
    /// # Panics
    /// When `value` does not hold the values of `shape` (a bug in the layer that builds it), or
    /// when `shape` holds more values than `usize` counts.
    pub fn new(shape: &[usize], value: Vec<f32>) -> Self {
        assert_eq!(
            values_of(shape),
            value.len(),
            "parameter values do not fill shape {shape:?}"
        );
        // A model is being built: its batches' arrays should reuse the memory of the last ones.
        crate::kernels::memory::keep_freed();
        let mut param = Param {
            shape: shape.to_vec(),
            grad: Mutex::new(Gradient {
                values: vec![0.0; value.len()],
                dense: false,
                touched: Vec::new(),
            }),
            value,
            bound: AtomicU32::new(UNKNOWN),
        };
        let rows = param.matrix_shape().0;
        param.grad.get_mut().expect("new").touched = vec![false; rows];
        param
    }

    /// A parameter of `shape` filled with zeros.
    ///
    /// # Panics
    /// When `shape` holds more values than `usize` counts.
    pub fn zeros(shape: &[usize]) -> Self {
        Self::new(shape, vec![0.0; values_of(shape)])
    }

    /// A parameter of `shape` whose values are drawn from `rng`, uniform in `[-limit, limit)`.
    ///
    /// # Panics
    /// When `shape` holds more values than `usize` counts.
    ///
    /// ```
    /// use weft_runtime::{Param, Rng};
    /// let w = Param::uniform(&[3, 2], 0.1, &mut Rng::new(7));
    /// assert!(w.value().iter().all(|v| v.abs() <= 0.1));
    /// ```
    pub fn uniform(shape: &[usize], limit: f32, rng: &mut Rng) -> Self {
        Self::new(shape, rng.uniform_vec(values_of(shape), limit))
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
        *self.bound.get_mut() = UNKNOWN;
        &mut self.value
    }

    /// A number no value exceeds in magnitude, or NaN or infinity: when a value is, or when the
    /// last update knew no finite bound. The one the last optimizer's update gave (see
    /// [`update_bounded`](Self::update_bounded)), or the
    /// [`largest_magnitude`](Self::largest_magnitude) of the values, found once and kept until
    /// they change.
    pub(crate) fn magnitude_bound(&self) -> f32 {
        match self.bound.load(Ordering::Relaxed) {
            UNKNOWN => self.largest_magnitude(),
            bits => f32::from_bits(bits),
        }
    }

    /// The largest magnitude of the values (NaN when one is NaN, else infinity when one is
    /// infinite), by a pass over them; kept as the [`magnitude_bound`](Self::magnitude_bound).
    pub(crate) fn largest_magnitude(&self) -> f32 {
        let largest = largest_magnitude(&self.value);
        self.bound.store(magnitude_bits(largest), Ordering::Relaxed);
        largest
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
    ///
    /// The gradient stays locked while `add` runs, and a large product in it is split among the
    /// pool's threads: a thread waiting for its part may meanwhile run other work of the pool.
    /// That is safe as long as no two backprops of one parameter run at once (none of weft's
    /// combinators runs them so: a layer shared by two branches is backpropagated in turn);
    /// otherwise the thread holding the lock could take up the other and wait on itself.
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
    /// # Panics
    /// When a row is out of range or `d` is not a row's width: a bug in the layer.
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

    /// The rows of the gradient (seen as a matrix) that may be non-zero, in order: `None` when
    /// it may be non-zero anywhere (a dense gradient). What a data-parallel step sends of a
    /// lookup table's gradient.
    ///
    /// ```
    /// use ndarray::array;
    /// use weft_runtime::Param;
    /// let table = Param::zeros(&[4, 1]);
    /// table.add_grad_rows([(3, array![1.0].view()), (1, array![2.0].view())]);
    /// assert_eq!(table.touched_rows(), Some(vec![1, 3]));
    /// table.grad()[0] = 1.0;
    /// assert_eq!(table.touched_rows(), None);
    /// ```
    pub fn touched_rows(&self) -> Option<Vec<usize>> {
        let grad = self.grad.lock().unwrap_or_else(PoisonError::into_inner);
        let rows = grad.touched.iter().enumerate().filter(|(_, t)| **t);
        (!grad.dense).then(|| rows.map(|(row, _)| row).collect())
    }

    /// Sets `rows` of the gradient (seen as a matrix) to `values` (a row's width each, in the
    /// order of `rows`) and records them as touched. The gradient must be zero in every other
    /// row it may be non-zero in: `rows` holds the [`touched_rows`](Self::touched_rows).
    ///
    /// # Panics
    /// When a row is out of range or `values` does not hold a row per row: a bug in the caller.
    ///
    /// ```
    /// use weft_runtime::Param;
    /// let mut table = Param::zeros(&[3, 2]);
    /// table.set_grad_rows(&[0, 2], &[1.0, 2.0, 3.0, 4.0]);
    /// assert_eq!(&table.grad()[..], &[1.0, 2.0, 0.0, 0.0, 3.0, 4.0]);
    /// assert_eq!(table.touched_rows(), Some(vec![0, 2]));
    /// ```
    pub fn set_grad_rows(&mut self, rows: &[usize], values: &[f32]) {
        let width = self.matrix_shape().1;
        assert_eq!(values.len(), rows.len() * width, "a row of values per row");
        let grad = self.grad.get_mut().unwrap_or_else(PoisonError::into_inner);
        for (&row, values) in rows.iter().zip(values.chunks_exact(width.max(1))) {
            grad.values[row * width..(row + 1) * width].copy_from_slice(&values[..width]);
            grad.touched[row] = true;
        }
    }

    /// `Σ g²` over the gradient, in `f64`, reading only the rows it may be non-zero in.
    pub(crate) fn grad_sum_of_squares(&self) -> f64 {
        let grad = self.grad.lock().unwrap_or_else(PoisonError::into_inner);
        if grad.dense {
            return sum_of_squares_in_parallel(&grad.values);
        }
        let width = self.matrix_shape().1;
        let rows = grad.values.chunks_exact(width.max(1)).zip(&grad.touched);
        rows.filter(|(_, touched)| **touched)
            .map(|(row, _)| sum_of_squares(row))
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
        *self.bound.get_mut() = UNKNOWN;
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
        self.run_update(step);
        *self.bound.get_mut() = UNKNOWN;
    }

    /// [`update`](Self::update) by a `step` that returns a number no value it leaves exceeds in
    /// magnitude (or NaN or infinity, as [`magnitude_bound`](Self::magnitude_bound) states),
    /// which `magnitude_bound` then gives without a pass over the values.
    pub(crate) fn update_bounded(&mut self, step: impl FnOnce(Update<'_>) -> f32) {
        let bound = self.run_update(step);
        *self.bound.get_mut() = magnitude_bits(bound);
    }

    /// Runs `step` as [`update`](Self::update) describes; returns what it returns.
    fn run_update<R>(&mut self, step: impl FnOnce(Update<'_>) -> R) -> R {
        let width = self.matrix_shape().1;
        let grad = self.grad.get_mut().unwrap_or_else(PoisonError::into_inner);
        let (width, touched) = match grad.dense {
            true => (self.value.len(), &[true][..]),
            false => (width, &grad.touched[..]),
        };
        let result = step(Update {
            values: &mut self.value,
            grad: &mut grad.values,
            width,
            touched,
        });
        self.forget_touched();
        result
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

/// The number of values of a parameter of `shape`.
///
/// # Panics
/// When it is more than `usize` counts: a size no layer can be built with, which would
/// otherwise wrap to a small one.
fn values_of(shape: &[usize]) -> usize {
    let count = shape
        .iter()
        .try_fold(1usize, |count, &n| count.checked_mul(n));
    count.unwrap_or_else(|| {
        panic!("a parameter of shape {shape:?} has more values than usize counts")
    })
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

    /// A shape whose values wrap `usize` would build a parameter of a few values.
    #[test]
    #[should_panic(expected = "a parameter of shape [4611686018427387904, 4] has more values")]
    fn a_shape_beyond_usize_is_refused() {
        Param::zeros(&[1 << 62, 4]);
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
