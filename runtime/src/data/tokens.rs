//! Token ids ([`Ids`]) and hash keys ([`Keys`]), the inputs of embeddings, and their gradient,
//! [`NoGrad`].

use crate::data::{Accumulate, Data, Rows, Values};
use crate::error::{Error, Result};

/// One token id per row: the input of [`Embed`](crate::layers::Embed).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ids(pub Vec<u32>);

/// 64-bit keys, a row of `columns` keys for each token (a hash of each of its attributes, say,
/// as spaCy's `FeatureExtractor` gives them), stored row by row: the input of
/// [`HashEmbed`](crate::layers::HashEmbed), which reads one column, and of
/// [`SparseLinear`](crate::layers::SparseLinear), which reads them all.
///
/// ```
/// use weft_runtime::Keys;
/// let keys = Keys::table(2, vec![10, 11, 20, 21, 30, 31])?;
/// assert_eq!((keys.rows(), keys.columns()), (3, 2));
/// assert_eq!(keys.row(1), [20, 21]);
/// assert_eq!(keys.column(1).collect::<Vec<_>>(), [11, 21, 31]);
/// assert!(Keys::table(2, vec![1, 2, 3]).is_err());
/// # Ok::<(), weft_runtime::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keys {
    keys: Vec<u64>,
    columns: usize,
}

impl Keys {
    /// One key per row.
    pub fn new(keys: Vec<u64>) -> Keys {
        Keys { keys, columns: 1 }
    }

    /// Rows of `columns` keys each, stored row by row in `keys`.
    ///
    /// # Errors
    /// When `columns` is 0, or `keys` does not divide into rows of `columns`.
    pub fn table(columns: usize, keys: Vec<u64>) -> Result<Keys> {
        if columns == 0 || !keys.len().is_multiple_of(columns) {
            return Err(Error::shape(
                "a table of keys",
                format!("rows of {columns} keys (at least 1)"),
                format!("{} keys, which do not make such rows", keys.len()),
            ));
        }
        Ok(Keys { keys, columns })
    }

    /// The number of rows.
    pub fn rows(&self) -> usize {
        self.keys.len() / self.columns
    }

    /// The number of keys in each row.
    pub fn columns(&self) -> usize {
        self.columns
    }

    /// Every key, row by row.
    pub fn as_slice(&self) -> &[u64] {
        &self.keys
    }

    /// The keys of row `i`.
    ///
    /// # Panics
    /// When there is no row `i`.
    pub fn row(&self, i: usize) -> &[u64] {
        self.of_rows(i..i + 1)
    }

    /// The keys of rows `rows`, row by row.
    ///
    /// # Panics
    /// When the rows are not all there.
    pub fn of_rows(&self, rows: std::ops::Range<usize>) -> &[u64] {
        &self.keys[rows.start * self.columns..rows.end * self.columns]
    }

    /// The keys of column `c`, one per row.
    ///
    /// # Panics
    /// When there is no column `c`.
    pub fn column(&self, c: usize) -> impl ExactSizeIterator<Item = u64> + '_ {
        assert!(
            c < self.columns,
            "keys: no column {c} in rows of {} keys",
            self.columns
        );
        self.keys.chunks_exact(self.columns).map(move |row| row[c])
    }

    /// Rows `start..end`.
    pub(crate) fn slice(&self, start: usize, end: usize) -> Keys {
        let keys = self.of_rows(start..end).to_vec();
        Keys {
            keys,
            columns: self.columns,
        }
    }
}

impl Default for Keys {
    fn default() -> Keys {
        Keys::new(Vec::new())
    }
}

impl From<Vec<u64>> for Keys {
    fn from(keys: Vec<u64>) -> Keys {
        Keys::new(keys)
    }
}

impl Data for Ids {
    type Grad = NoGrad;
}

impl Data for Keys {
    type Grad = NoGrad;
}

impl Rows for Ids {
    fn rows(&self) -> usize {
        self.0.len()
    }
}

impl Rows for Keys {
    fn rows(&self) -> usize {
        Keys::rows(self)
    }
}

/// The gradient of integer inputs (token ids, hash keys): there is none.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct NoGrad;

impl Accumulate for NoGrad {
    fn accumulate(&mut self, _: &Self) {}
}

impl Data for NoGrad {
    type Grad = NoGrad;
}

impl Rows for NoGrad {
    fn rows(&self) -> usize {
        0
    }
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
