//! [`Floats2`]: a batch of rows of floats, the values most layers take and return.

use std::marker::PhantomData;

use ndarray::{Array2, ArrayView2, ArrayViewMut2, Axis};

use crate::data::{Accumulate, Columns, Const, Data, Dim, Rows, Values};
use crate::error::{Error, Result};

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
    ///
    /// # Panics
    /// When `rows × width` is more than `isize::MAX` (as ndarray's arrays do).
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
    /// An error naming the first value that is NaN or infinite (scores computed from a NaN
    /// input are NaN, and name no class), and for rows of no columns.
    ///
    /// ```
    /// use weft_runtime::{Const, Floats2};
    /// let probs = Floats2::<Const<3>>::from_rows(&[[0.2, 0.5, 0.3], [0.4, 0.4, 0.2]]);
    /// assert_eq!(probs.argmax()?, [1, 0]);
    /// let probs = Floats2::<Const<2>>::from_rows(&[[0.5, 0.5], [f32::NAN, f32::NAN]]);
    /// let error = probs.argmax().unwrap_err();
    /// assert_eq!(error.to_string(), "argmax: value [1, 0] is not finite");
    /// # Ok::<(), weft_runtime::Error>(())
    /// ```
    pub fn argmax(&self) -> Result<Vec<usize>> {
        if self.array.ncols() == 0 && self.rows() > 0 {
            return Err(Error::shape(
                "argmax",
                "rows of one column or more",
                "no columns",
            ));
        }
        let mut classes = Vec::with_capacity(self.rows());
        for (r, row) in self.array.axis_iter(Axis(0)).enumerate() {
            let mut best = 0;
            for (c, &v) in row.iter().enumerate() {
                if !v.is_finite() {
                    return Err(Error::NonFinite {
                        what: format!("argmax: value [{r}, {c}]"),
                    });
                }
                if v > row[best] {
                    best = c;
                }
            }
            classes.push(best);
        }
        Ok(classes)
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
        let shapes = (self.array.dim(), other.array.dim());
        assert!(
            shapes.0 == shapes.1,
            "sum of values of shapes {:?} and {:?}",
            shapes.0,
            shapes.1
        );
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

impl<W: Dim> Rows for Floats2<W> {
    fn rows(&self) -> usize {
        self.array.nrows()
    }
}

impl<W: Dim> Columns for Floats2<W> {
    type Width = W;
    type Of<O: Dim> = Floats2<O>;
    type Layout = ();

    fn unpack(self) -> (Array2<f32>, ()) {
        (self.array, ())
    }

    fn pack(rows: Array2<f32>, (): ()) -> Self {
        assert!(
            W::from_size(rows.ncols()).is_some(),
            "rows of width {} packed as Floats2<{}>",
            rows.ncols(),
            std::any::type_name::<W>()
        );
        Self::wrap(rows)
    }
}
