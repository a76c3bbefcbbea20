//! The values that flow through a model, and their gradients.
//!
//! - [`Floats2<W>`]: a batch of rows of width `W` (row-major `f32`).
//! - [`Ragged<T>`]: a batch of variable-length sequences, packed contiguously: `T` holds every
//!   token of every sequence, one after the other, and `lengths` says where each ends. No padding.
//! - [`Documents`]: a batch of documents of sentences, `Ragged<Ragged<Ids>>`: a ragged batch
//!   whose rows are the sentences, themselves a ragged batch of tokens. No padding at either
//!   level.
//! - [`Pairs<T>`]: a batch of pairs of texts, both sides in one batch `T`, first sides then
//!   second sides.
//! - [`Ids`] and [`Keys`]: one token id (`u32`) or hash key (`u64`) per row; their gradient is
//!   [`NoGrad`].
//! - Widths ([`Dim`]): a compile-time [`Const`] or a run-time `usize`.
//! - [`Batch`]: data that [`Model::predict_parallel`](crate::Model::predict_parallel) cuts into
//!   parts and joins back.
//!
//! The traits that say what a value can do ([`Data`], with its [`Grad`]ient, [`Accumulate`],
//! [`Values`], [`Rows`], [`Columns`]) are defined here; each type has a file of its own.
//!
//! This folder is the bottom of the crate: it uses nothing of it but [`Error`](crate::Error),
//! and every other folder may use it.

pub(crate) mod batch;
pub(crate) mod dim;
mod documents;
mod floats;
mod pairs;
mod ragged;
mod tokens;

pub use batch::Batch;
pub use dim::{Const, Dim};
pub use documents::Documents;
pub use floats::Floats2;
pub use pairs::Pairs;
pub use ragged::Ragged;
pub use tokens::{Ids, Keys, NoGrad};

/// A value that can flow through a model. `Grad` is the type of its gradient.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot flow between weft layers: it does not implement `Data`",
    label = "not weft data",
    note = "layers take and return `Floats2<W>`, `Ragged<T>`, `Ids` or `Keys`; a type of your own implements `weft::Data`, naming the type of its gradient"
)]
pub trait Data: Send + Sized + 'static {
    /// The gradient of this value: the same type for floats, [`NoGrad`] for integers.
    type Grad: Accumulate + Send + 'static;
}

/// The gradient type of a data type `T`.
pub type Grad<T> = <T as Data>::Grad;

/// Gradients that can be summed: fan-out combinators add their branches' gradients.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a gradient: it does not implement `Accumulate`",
    label = "gradients of this type cannot be summed",
    note = "combinators that feed one input to several layers add their gradients; `Floats2<W>` and `Ragged<Floats2<W>>` are gradients, and `NoGrad` is the gradient of data without floats"
)]
pub trait Accumulate {
    /// Adds `other` into `self`, element by element.
    ///
    /// # Panics
    /// When the shapes differ (the rows, their width, or a ragged batch's lengths): the message
    /// gives both.
    fn accumulate(&mut self, other: &Self);
}

/// Read and write access to every float of a value, in a fixed order (used by
/// [`gradcheck`](crate::gradcheck())). Integer data has no floats.
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not give `gradcheck` its floats: it does not implement `Values`",
    label = "no floats to perturb",
    note = "`gradcheck` perturbs the floats of a model's input and output: `Floats2<W>`, `Ragged<Floats2<W>>`, `Ids` and `Keys` (which have none) implement `Values`"
)]
pub trait Values {
    /// All floats of the value.
    fn values(&self) -> &[f32];
    /// All floats of the value, mutably.
    fn values_mut(&mut self) -> &mut [f32];
}

/// Data made of rows: the packed content of a [`Ragged`] batch. The rows of a `Ragged` batch
/// are its sequences, so that a ragged batch of ragged batches packs documents of sentences.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not made of rows",
    label = "not rows",
    note = "a `Ragged` batch packs the rows of its sequences: `Floats2<W>`, `Ids`, `Keys`, or the sequences of a `Ragged` batch"
)]
pub trait Rows: Data {
    /// Number of rows.
    fn rows(&self) -> usize;
}

/// Data whose rows are vectors of one width: `Floats2<W>` and `Ragged<Floats2<W>>`. Lets a
/// type name the width of a model's output, as `<<M as Model>::Out as Columns>::Width`, and
/// lets `a | b` put two outputs of one kind side by side, whatever that kind is: the rows
/// come out as one array ([`unpack`](Columns::unpack)) with how they are grouped (the
/// [`Layout`](Columns::Layout): nothing for `Floats2`, the sequence lengths for `Ragged`), and
/// go back in with another width ([`Of`](Columns::Of)).
///
/// ```
/// use weft_runtime::{Columns, Const, Floats2, Ragged};
/// let x = Ragged::new(Floats2::<Const<2>>::zeros(3, Const), vec![2, 1]).unwrap();
/// let (rows, lengths) = x.unpack();
/// assert_eq!((rows.dim(), lengths.clone()), ((3, 2), vec![2, 1]));
/// let wider = <Ragged<Floats2<Const<2>>> as Columns>::Of::<usize>::pack(
///     ndarray::Array2::zeros((3, 5)),
///     lengths,
/// );
/// assert_eq!(wider.data().width(), 5);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no width: it is not rows of vectors",
    label = "no width",
    note = "`Floats2<W>` and `Ragged<Floats2<W>>` have a width; token ids and hash keys have none"
)]
pub trait Columns: Data<Grad = Self> {
    /// The width of every row.
    type Width: Dim;
    /// The same kind of data with rows `W` wide.
    type Of<W: Dim>: Columns<Width = W, Layout = Self::Layout>;
    /// How the rows are grouped: `()` for `Floats2`, the sequence lengths for `Ragged`.
    type Layout: Clone + PartialEq + std::fmt::Debug + Send;

    /// The rows, as one array, and how they are grouped.
    fn unpack(self) -> (ndarray::Array2<f32>, Self::Layout);

    /// Rows grouped as `layout` says.
    ///
    /// # Panics
    /// When the array's columns are not the constant width `Width`, or the layout does not
    /// hold its rows: callers give back what [`unpack`](Columns::unpack) gave, cut by columns.
    fn pack(rows: ndarray::Array2<f32>, layout: Self::Layout) -> Self;
}
