//! The values that flow through a model, and their gradients.
//!
//! - [`Floats2<W>`]: a batch of rows of width `W` (row-major `f32`).
//! - [`Ragged<T>`]: a batch of variable-length sequences, packed contiguously: `T` holds every
//!   token of every sequence, one after the other, and `lengths` says where each ends. No padding.
//! - [`Ids`] and [`Keys`]: one token id (`u32`) or hash key (`u64`) per row; their gradient is
//!   [`NoGrad`].
//! - Widths ([`Dim`]): a compile-time [`Const`] or a run-time `usize`.
//! - [`Batch`]: data that [`Model::predict_parallel`](crate::Model::predict_parallel) cuts into
//!   parts and joins back.
//!
//! This folder is the bottom of the crate: it uses nothing of it but [`Error`](crate::Error),
//! and every other folder may use it.

pub(crate) mod batch;
pub(crate) mod dim;

pub use batch::Batch;
pub use dim::{Const, Dim};

use std::marker::PhantomData;

use ndarray::{Array2, ArrayView2, ArrayViewMut2, Axis};

use crate::error::{Error, Result};

/// A value that can flow through a model. `Grad` is the type of its gradient.
pub trait Data: Send + Sized + 'static {
    /// The gradient of this value: the same type for floats, [`NoGrad`] for integers.
    type Grad: Accumulate + Send + 'static;
}

/// The gradient type of a data type `T`.
pub type Grad<T> = <T as Data>::Grad;

/// Gradients that can be summed: fan-out combinators add their branches' gradients.
pub trait Accumulate {
    /// Adds `other` into `self`, element by element. Both have the same shape.
    fn accumulate(&mut self, other: &Self);
}

/// The gradient of integer inputs (token ids, hash keys): there is none.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct NoGrad;

impl Accumulate for NoGrad {
    fn accumulate(&mut self, _: &Self) {}
}

/// Read and write access to every float of a value, in a fixed order (used by
/// [`gradcheck`](crate::gradcheck())). Integer data has no floats.
pub trait Values {
    /// All floats of the value.
    fn values(&self) -> &[f32];
    /// All floats of the value, mutably.
    fn values_mut(&mut self) -> &mut [f32];
}

/// Integer data and [`NoGrad`] hold no floats.
macro_rules! no_values {
    ($($t:ty),*) => {$(
        impl Values for $t {
            fn values(&self) -> &[f32] {
                &[]
            }
            fn values_mut(&mut self) -> &mut [f32] {
                &mut []
            }
        }
    )*};
}

no_values!(NoGrad, Ids, Keys);

/// A batch of rows, each `W` wide: shape `(rows, W)`.
///
/// ```
/// use weft_runtime::{Const, Floats2};
/// let x = Floats2::<Const<3>>::from_rows(&[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
/// assert_eq!(x.rows(), 2);
/// assert_eq!(x.view()[[1, 2]], 6.0);
/// assert!(Floats2::<Const<2>>::new(ndarray::Array2::zeros((1, 3))).is_err());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Floats2<W: Dim = usize> {
    array: Array2<f32>,
    width: PhantomData<W>,
}

impl<W: Dim> Floats2<W> {
    /// Wraps `array`; an error when its column count is not the constant width `W`.
    pub fn new(array: Array2<f32>) -> Result<Self> {
        match W::from_size(array.ncols()) {
            Some(_) => Ok(Self::wrap(array)),
            None => Err(Error::shape(
                "Floats2 columns",
                std::any::type_name::<W>(),
                array.ncols(),
            )),
        }
    }

    /// Zeros of shape `(rows, width)`.
    pub fn zeros(rows: usize, width: W) -> Self {
        Self::wrap(Array2::zeros((rows, width.size())))
    }

    /// Wraps an array whose width the caller has already checked.
    pub(crate) fn wrap(array: Array2<f32>) -> Self {
        debug_assert!(W::from_size(array.ncols()).is_some());
        let array = if array.is_standard_layout() {
            array
        } else {
            array.as_standard_layout().into_owned()
        };
        Floats2 {
            array,
            width: PhantomData,
        }
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.array.nrows()
    }

    /// The width, as its [`Dim`] value.
    pub fn width(&self) -> W {
        W::from_size(self.array.ncols()).expect("width checked on construction")
    }

    /// The rows as an ndarray view.
    pub fn view(&self) -> ArrayView2<'_, f32> {
        self.array.view()
    }

    /// The rows as a mutable ndarray view.
    pub fn view_mut(&mut self) -> ArrayViewMut2<'_, f32> {
        self.array.view_mut()
    }

    /// The underlying array.
    pub fn into_array(self) -> Array2<f32> {
        self.array
    }

    /// The column of the largest value in each row (the predicted class), the first on ties.
    pub fn argmax(&self) -> Vec<usize> {
        self.array
            .axis_iter(Axis(0))
            .map(|row| {
                row.iter()
                    .enumerate()
                    .fold((0, f32::NEG_INFINITY), |best, (i, &v)| {
                        if v > best.1 { (i, v) } else { best }
                    })
                    .0
            })
            .collect()
    }
}

impl<const N: usize> Floats2<Const<N>> {
    /// A batch from fixed-width rows.
    pub fn from_rows(rows: &[[f32; N]]) -> Self {
        let flat: Vec<f32> = rows.iter().flatten().copied().collect();
        Self::wrap(Array2::from_shape_vec((rows.len(), N), flat).expect("rows of N columns"))
    }
}

impl<W: Dim> Data for Floats2<W> {
    type Grad = Self;
}

impl<W: Dim> Accumulate for Floats2<W> {
    fn accumulate(&mut self, other: &Self) {
        self.array += &other.array;
    }
}

impl<W: Dim> Values for Floats2<W> {
    fn values(&self) -> &[f32] {
        self.array.as_slice().expect("standard layout")
    }
    fn values_mut(&mut self) -> &mut [f32] {
        self.array.as_slice_mut().expect("standard layout")
    }
}

/// Data whose rows are vectors of one width: `Floats2<W>` and `Ragged<Floats2<W>>`. Lets a
/// type name the width of a model's output, as `<<M as Model>::Out as Columns>::Width`.
pub trait Columns: Data {
    /// The width of every row.
    type Width: Dim;
}

impl<W: Dim> Columns for Floats2<W> {
    type Width = W;
}

impl<W: Dim> Columns for Ragged<Floats2<W>> {
    type Width = W;
}

/// One token id per row: the input of [`Embed`](crate::layers::Embed).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ids(pub Vec<u32>);

/// One 64-bit key per row (a hash of the token's text, say): the input of
/// [`HashEmbed`](crate::layers::HashEmbed).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Keys(pub Vec<u64>);

impl Data for Ids {
    type Grad = NoGrad;
}

impl Data for Keys {
    type Grad = NoGrad;
}

/// Data made of rows: the packed content of a [`Ragged`] batch.
pub trait Rows: Data {
    /// Number of rows.
    fn rows(&self) -> usize;
}

impl<W: Dim> Rows for Floats2<W> {
    fn rows(&self) -> usize {
        self.array.nrows()
    }
}

impl Rows for Ids {
    fn rows(&self) -> usize {
        self.0.len()
    }
}

impl Rows for Keys {
    fn rows(&self) -> usize {
        self.0.len()
    }
}

impl Rows for NoGrad {
    fn rows(&self) -> usize {
        0
    }
}

impl Data for NoGrad {
    type Grad = NoGrad;
}

/// A batch of sequences packed without padding: `data` holds the rows of sequence 0, then those
/// of sequence 1, and so on; `lengths[i]` is the number of rows of sequence `i`.
///
/// ```
/// use weft_runtime::{Ids, Ragged};
/// let batch = Ragged::from_sequences(&[vec![4, 2, 7], vec![], vec![1]]);
/// assert_eq!(batch.data, Ids(vec![4, 2, 7, 1]));
/// assert_eq!(batch.lengths(), &[3, 0, 1]);
/// assert_eq!(batch.ranges().collect::<Vec<_>>(), vec![0..3, 3..3, 3..4]);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Ragged<T> {
    /// Every row of every sequence, sequence after sequence.
    pub data: T,
    lengths: Vec<usize>,
}

impl<T: Rows> Ragged<T> {
    /// Packs `data` with sequence `lengths`; an error unless the lengths add up to the rows.
    pub fn new(data: T, lengths: Vec<usize>) -> Result<Self> {
        let total: usize = lengths.iter().sum();
        if total != data.rows() {
            return Err(Error::shape(
                "Ragged rows",
                format!("{total} rows (the sum of the lengths)"),
                format!("{} rows", data.rows()),
            ));
        }
        Ok(Ragged { data, lengths })
    }
}

impl<T> Ragged<T> {
    /// Packs data whose rows the caller knows to match `lengths`.
    pub(crate) fn wrap(data: T, lengths: Vec<usize>) -> Self {
        Ragged { data, lengths }
    }

    /// The length of each sequence.
    pub fn lengths(&self) -> &[usize] {
        &self.lengths
    }

    /// Number of sequences.
    pub fn len(&self) -> usize {
        self.lengths.len()
    }

    /// True when the batch holds no sequences.
    pub fn is_empty(&self) -> bool {
        self.lengths.is_empty()
    }

    /// The row range of each sequence within `data`.
    pub fn ranges(&self) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
        self.lengths.iter().scan(0, |start, &len| {
            let range = *start..*start + len;
            *start += len;
            Some(range)
        })
    }

    /// Splits into the packed data and the lengths.
    pub fn into_parts(self) -> (T, Vec<usize>) {
        (self.data, self.lengths)
    }
}

impl Ragged<Ids> {
    /// Packs sequences of token ids.
    pub fn from_sequences<S: AsRef<[u32]>>(sequences: impl IntoIterator<Item = S>) -> Self {
        let (mut ids, mut lengths) = (Vec::new(), Vec::new());
        for sequence in sequences {
            ids.extend_from_slice(sequence.as_ref());
            lengths.push(sequence.as_ref().len());
        }
        Ragged::wrap(Ids(ids), lengths)
    }
}

impl<T: Data> Data for Ragged<T> {
    type Grad = Ragged<T::Grad>;
}

impl<T: Accumulate> Accumulate for Ragged<T> {
    fn accumulate(&mut self, other: &Self) {
        debug_assert_eq!(self.lengths, other.lengths);
        self.data.accumulate(&other.data);
    }
}

impl<T: Values> Values for Ragged<T> {
    fn values(&self) -> &[f32] {
        self.data.values()
    }
    fn values_mut(&mut self) -> &mut [f32] {
        self.data.values_mut()
    }
}
