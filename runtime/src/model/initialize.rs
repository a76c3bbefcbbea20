//! Models whose sizes come from the data: [`Uninitialized`].
//!
//! `model!(embed >> bilstm >> attention >> softmax)` leaves two sizes open: the rows of the
//! embedding table (the vocabulary) and the number of classes. The macro then returns an
//! [`Uninitialized`] model, which is not a [`Model`] yet: it cannot be trained or run by mistake.
//! [`Uninitialized::initialize`] reads the open sizes off the training data and builds the model.

use crate::data::{Ids, Ragged};

use crate::error::{Error, Result};

use crate::model::Model;

/// A model that needs sizes from the data before it exists: see [`initialize`](Self::initialize).
#[must_use = "an uninitialized model does nothing until `.initialize(&x, &y)` builds it"]
pub struct Uninitialized<F> {
    build: F,
}

impl<F> Uninitialized<F> {
    /// Wraps `build`, which makes the model from the sizes found in the data.
    pub fn new(build: F) -> Self {
        Uninitialized { build }
    }

    /// Builds the model with the sizes left open read from the training inputs `x` and truths
    /// `y`: the vocabulary rows are the largest token id plus one (ids are dense, 0 is the
    /// out-of-vocabulary row), the classes the largest class index plus one. Pass all of the
    /// training data, or a part that holds every id and class. Pass `&()` as `y` when no size
    /// comes from the truths.
    ///
    /// ```
    /// use weft_runtime::{Const, Model, Ragged, Uninitialized, combinators::with_array, layers::Embed};
    /// let uninit = Uninitialized::new(|sizes: &weft_runtime::DataSizes| {
    ///     Ok(with_array(Embed::new(sizes.vocab_rows("embed")?, Const::<4>)))
    /// });
    /// let x = Ragged::from_sequences([vec![1, 5], vec![3]]);
    /// let model = uninit.initialize(&x, &()).unwrap();
    /// assert_eq!(model.predict(x).data().rows(), 3);
    /// ```
    pub fn initialize<M, Y>(self, x: &M::In, y: &Y) -> Result<M>
    where
        F: FnOnce(&DataSizes) -> Result<M>,
        M: Model,
        M::In: TokenIds,
        Y: Truths + ?Sized,
    {
        let (examples, truths) = (x.examples(), y.count());
        if let Some(truths) = truths.filter(|&n| n != examples) {
            return Err(Error::shape(
                "initialize: the truths",
                format!("one per input, {examples} inputs"),
                format!("{truths} truths"),
            ));
        }
        (self.build)(&DataSizes {
            max_id: x.max_id(),
            max_class: y.max_class(),
        })
    }
}

/// The sizes read off the data by [`Uninitialized::initialize`].
#[derive(Clone, Debug)]
pub struct DataSizes {
    max_id: Option<u32>,
    max_class: Option<usize>,
}

impl DataSizes {
    /// Rows of the embedding table of `layer`: the largest id plus one; an error when the data
    /// holds no token ids.
    pub fn vocab_rows(&self, layer: &str) -> Result<usize> {
        let max = self.max_id.ok_or_else(|| Error::Initialize {
            message: format!(
                "`{layer}` sizes its table from the token ids, but the data holds none"
            ),
        })?;
        Ok(max as usize + 1)
    }

    /// Number of classes `layer` outputs: the largest class plus one; an error when there are no
    /// truths.
    pub fn classes(&self, layer: &str) -> Result<usize> {
        let max = self.max_class.ok_or_else(|| Error::Initialize {
            message: format!("`{layer}` counts its classes from the truths, but none were given"),
        })?;
        Ok(max + 1)
    }
}

/// Inputs that carry token ids: what [`Uninitialized::initialize`] sizes a vocabulary from.
pub trait TokenIds {
    /// Number of examples (sequences, or rows).
    fn examples(&self) -> usize;
    /// The largest id, if there is any.
    fn max_id(&self) -> Option<u32>;
}

impl TokenIds for Ids {
    fn examples(&self) -> usize {
        self.0.len()
    }
    fn max_id(&self) -> Option<u32> {
        self.0.iter().copied().max()
    }
}

impl TokenIds for Ragged<Ids> {
    fn examples(&self) -> usize {
        self.len()
    }
    fn max_id(&self) -> Option<u32> {
        self.data().max_id()
    }
}

/// Truths a number of classes can be read from: class indices per example (`[usize]`), per
/// token (`[Vec<usize>]`), or none (`()`).
pub trait Truths {
    /// Number of examples, or `None` when there are no truths.
    fn count(&self) -> Option<usize>;
    /// The largest class index, if there is any.
    fn max_class(&self) -> Option<usize>;
}

impl Truths for () {
    fn count(&self) -> Option<usize> {
        None
    }
    fn max_class(&self) -> Option<usize> {
        None
    }
}

impl Truths for [usize] {
    fn count(&self) -> Option<usize> {
        Some(self.len())
    }
    fn max_class(&self) -> Option<usize> {
        self.iter().copied().max()
    }
}

impl Truths for [Vec<usize>] {
    fn count(&self) -> Option<usize> {
        Some(self.len())
    }
    fn max_class(&self) -> Option<usize> {
        self.iter().flatten().copied().max()
    }
}

impl<T: Truths + ?Sized> Truths for &T {
    fn count(&self) -> Option<usize> {
        (**self).count()
    }
    fn max_class(&self) -> Option<usize> {
        (**self).max_class()
    }
}

impl<T> Truths for Vec<T>
where
    [T]: Truths,
{
    fn count(&self) -> Option<usize> {
        self.as_slice().count()
    }
    fn max_class(&self) -> Option<usize> {
        self.as_slice().max_class()
    }
}
