//! Models whose sizes come from the data: [`Uninitialized`].
//!
//! `model!(embed >> bilstm >> attention >> softmax)` leaves two sizes open: the rows of the
//! embedding table (the vocabulary) and the number of classes. The macro then returns an
//! [`Uninitialized`] model, which is not a [`Model`] yet: it cannot be trained or run by mistake.
//! [`Uninitialized::initialize`] reads the open sizes off the training data and builds the model.

use crate::data::{Dim, Floats2, Ids, Keys, Pairs, Ragged};

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
    /// A size beyond [`DataSizes::MAX_VOCAB_ROWS`] or [`DataSizes::MAX_CLASSES`] is an error
    /// rather than an allocation that would abort the process: a stray id or label (a hash, a
    /// sentinel) would otherwise size the model.
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
        M::In: Inputs,
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

/// Sizes left to the data: what a model would need for [`Model::initialize`], which no type
/// has (models have their sizes; [`Uninitialized`] networks are not models), so that calling
/// `initialize` on a model is a compile error that says what to do.
#[diagnostic::on_unimplemented(
    message = "this network has all its sizes: it is a model already, with nothing to initialize",
    label = "this network is built: remove `.initialize(..)`",
    note = "`model!` returns an `Uninitialized` network, which `initialize` builds from the data, only when it leaves a size open: an `embed` without `rows`, a `softmax` without `classes`"
)]
pub trait LeftToTheData: sealed::Nothing {}

mod sealed {
    /// Implemented by no type, so that [`LeftToTheData`](super::LeftToTheData) is not either.
    pub trait Nothing {}
}

/// The sizes read off the data by [`Uninitialized::initialize`].
///
/// ```
/// use weft_runtime::{Ids, Uninitialized, layers::Embed};
/// let uninit = Uninitialized::new(|sizes: &weft_runtime::DataSizes| {
///     Ok(Embed::new(sizes.vocab_rows("embed")?, 4usize))
/// });
/// let error = uninit.initialize(&Ids(vec![3, u32::MAX - 1]), &()).map(drop).unwrap_err();
/// assert_eq!(
///     error.to_string(),
///     "initialize: `embed` sizes its table from the token ids, and the largest is \
///      4294967294: more than 16777216 rows are refused (ids index a vocabulary; \
///      hash_embed takes keys of any size)",
/// );
/// ```
#[derive(Clone, Debug)]
pub struct DataSizes {
    max_id: Option<u32>,
    max_class: Option<usize>,
}

impl DataSizes {
    /// The most rows [`vocab_rows`](Self::vocab_rows) gives an embedding table: 2²⁴, a
    /// vocabulary of 16.8 million ids.
    pub const MAX_VOCAB_ROWS: usize = 1 << 24;
    /// The most classes [`classes`](Self::classes) gives a layer: 2²⁴.
    pub const MAX_CLASSES: usize = 1 << 24;

    /// Sizes known without the data, such as those a saved model was trained with: a
    /// vocabulary of `vocab_rows` rows (the unknown row among them), `classes` classes. A size
    /// left `None` is an error when a layer asks for it, as when the data lacks it.
    ///
    /// ```
    /// use weft_runtime::DataSizes;
    /// let sizes = DataSizes::given(Some(1000), None);
    /// assert_eq!(sizes.vocab_rows("embed").unwrap(), 1000);
    /// assert!(sizes.classes("softmax").is_err());
    /// ```
    pub fn given(vocab_rows: Option<usize>, classes: Option<usize>) -> Self {
        DataSizes {
            max_id: vocab_rows.and_then(|rows| u32::try_from(rows.checked_sub(1)?).ok()),
            max_class: classes.and_then(|classes| classes.checked_sub(1)),
        }
    }

    /// Rows of the embedding table of `layer`: the largest id plus one; an error when the data
    /// holds no token ids, or when that is more than [`MAX_VOCAB_ROWS`](Self::MAX_VOCAB_ROWS).
    pub fn vocab_rows(&self, layer: &str) -> Result<usize> {
        let max = self.max_id.ok_or_else(|| Error::Initialize {
            message: format!(
                "`{layer}` sizes its table from the token ids, but the inputs hold none: give \
                 its rows in the network (`{layer}(rows = ..)`)"
            ),
        })?;
        let rows = usize::try_from(max).ok().and_then(|max| max.checked_add(1));
        rows.filter(|&rows| rows <= Self::MAX_VOCAB_ROWS)
            .ok_or_else(|| Error::Initialize {
                message: format!(
                    "`{layer}` sizes its table from the token ids, and the largest is {max}: \
                     more than {} rows are refused (ids index a vocabulary; hash_embed takes \
                     keys of any size)",
                    Self::MAX_VOCAB_ROWS
                ),
            })
    }

    /// Number of classes `layer` outputs: the largest class plus one; an error when there are no
    /// truths, or when that is more than [`MAX_CLASSES`](Self::MAX_CLASSES).
    pub fn classes(&self, layer: &str) -> Result<usize> {
        let max = self.max_class.ok_or_else(|| Error::Initialize {
            message: format!(
                "`{layer}` counts its classes from the truths, but none were given: pass them \
                 to `initialize`, or give the classes in the network (`{layer}(classes = ..)`)"
            ),
        })?;
        let classes = max.checked_add(1);
        classes
            .filter(|&classes| classes <= Self::MAX_CLASSES)
            .ok_or_else(|| Error::Initialize {
                message: format!(
                    "`{layer}` counts its classes from the truths, and the largest is {max}: \
                     more than {} classes are refused (truths are class indices)",
                    Self::MAX_CLASSES
                ),
            })
    }
}

/// Inputs [`Uninitialized::initialize`] reads sizes from: the number of examples and, where
/// they carry token ids, the largest (an embedding's rows). Token ids (`Ids`), hash keys
/// (`Keys`) and feature rows (`Floats2`) implement it, and `Ragged` and `Pairs` batches of
/// them; a type of your own implements it to initialize a network over it (`None` from
/// [`max_id`](Self::max_id) if it holds no ids).
#[diagnostic::on_unimplemented(
    message = "`initialize` reads sizes from the inputs, and cannot from `{Self}`",
    label = "no sizes to read from `{Self}`",
    note = "`initialize` reads `Ids`, `Keys`, `Floats2`, and `Ragged` and `Pairs` batches of them; implement `weft::Inputs` for a type of your own, or give the sizes in the network (`embed(rows = ..)`, `softmax(classes = ..)`), and `model!` returns the model at once, with no `initialize`"
)]
pub trait Inputs {
    /// Number of examples (sequences, or rows).
    fn examples(&self) -> usize;
    /// The largest token id, if there is any.
    fn max_id(&self) -> Option<u32>;
}

impl Inputs for Ids {
    fn examples(&self) -> usize {
        self.0.len()
    }
    fn max_id(&self) -> Option<u32> {
        self.0.iter().copied().max()
    }
}

/// Hash keys size no table (a hash embedding's rows are its own).
impl Inputs for Keys {
    fn examples(&self) -> usize {
        self.rows()
    }
    fn max_id(&self) -> Option<u32> {
        None
    }
}

/// Feature rows: one example per row, no ids.
impl<W: Dim> Inputs for Floats2<W> {
    fn examples(&self) -> usize {
        self.rows()
    }
    fn max_id(&self) -> Option<u32> {
        None
    }
}

/// Sequences of token ids, and sequences of those (documents of sentences): one example per
/// sequence.
impl<T: Inputs> Inputs for Ragged<T> {
    fn examples(&self) -> usize {
        self.len()
    }
    fn max_id(&self) -> Option<u32> {
        self.data().max_id()
    }
}

/// A pair is one example; its ids are those of both sides.
impl<T: Inputs> Inputs for Pairs<T> {
    fn examples(&self) -> usize {
        self.len()
    }
    fn max_id(&self) -> Option<u32> {
        self.sides().max_id()
    }
}

/// Truths a number of classes can be read from: class indices per example (`[usize]`), per
/// token or as each example's set of classes (`[Vec<usize>]`: a tagger's tags, a multi-label
/// classifier's labels, for `sigmoid`), or none (`()`).
#[diagnostic::on_unimplemented(
    message = "`initialize` counts the classes in the truths, and `{Self}` are not class indices",
    label = "not class indices",
    note = "give a class index per example (`&[usize]`, `&Vec<usize>`) or per token (`&[Vec<usize>]`), or `&()` when `softmax(classes = ..)` gives the classes; map labels to indices first"
)]
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The sizes of data whose largest id is `max_id` and largest class `max_class`.
    fn sizes(max_id: u32, max_class: usize) -> DataSizes {
        DataSizes {
            max_id: Some(max_id),
            max_class: Some(max_class),
        }
    }

    #[test]
    fn sizes_up_to_the_limits_are_read_off_the_data() {
        let largest = sizes(
            DataSizes::MAX_VOCAB_ROWS as u32 - 1,
            DataSizes::MAX_CLASSES - 1,
        );
        assert_eq!(
            largest.vocab_rows("embed").unwrap(),
            DataSizes::MAX_VOCAB_ROWS
        );
        assert_eq!(largest.classes("softmax").unwrap(), DataSizes::MAX_CLASSES);
    }

    /// A stray id or label is an error, not an allocation that aborts the process, nor a sum
    /// that wraps to a model of 0 classes.
    #[test]
    fn sizes_beyond_the_limits_are_errors() {
        for (max_id, max_class) in [(u32::MAX - 1, 1 << 40), (u32::MAX, usize::MAX)] {
            let sizes = sizes(max_id, max_class);
            let error = sizes.vocab_rows("embed").unwrap_err().to_string();
            assert!(
                error.contains(&format!("the largest is {max_id}: more than")),
                "{error}"
            );
            let error = sizes.classes("softmax").unwrap_err().to_string();
            assert!(
                error.contains(&format!("the largest is {max_class}: more than")),
                "{error}"
            );
        }
        let beyond = sizes(DataSizes::MAX_VOCAB_ROWS as u32, DataSizes::MAX_CLASSES);
        assert!(beyond.vocab_rows("embed").is_err());
        assert!(beyond.classes("softmax").is_err());
    }
}
