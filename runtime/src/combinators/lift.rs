//! [`After`]: what a layer of yours hands to the built-in layers that `model!` puts after it:
//! the kind of its output ([`Lift`]: one vector per example, or a vector per token) and its
//! width, a constant read off the type or a run-time width the layer reports
//! ([`Model::output_width`]).
//!
//! The macro cannot see the types of your layers; rustc can. For `model!(mine >> relu >>
//! linear(width = 2))` the macro writes, in effect:
//!
//! ```text
//! let after = After::of(&mine, "mine");
//! chain(mine, chain(after.lift(Relu::new(after.width("relu"), ..)), after.lift(Linear::new(..))))
//! ```
//!
//! so that `relu` runs on every token when `mine` outputs sequences, and is as wide as `mine`'s
//! output, whether that width is a constant or known only when the network is built.

use std::marker::PhantomData;

use crate::combinators::{WithArray, with_array};
use crate::data::{Columns, Dim, Floats2, Ragged, Rows};
use crate::model::Model;

/// How a layer from rows to rows applies to data of this kind: to the rows themselves
/// (`Floats2`), or to every token of sequences (`Ragged<Floats2>`, through [`with_array`]).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not vectors, so a dense layer cannot follow the layer that outputs it",
    label = "not `Floats2` or `Ragged<Floats2>`",
    note = "built-in dense layers (`linear`, `relu`, ...) take one vector per example or a vector per token"
)]
pub trait Lift: Columns {
    /// `L` applied to this data.
    type Lifted<L>;
    /// `layer` applied to this data.
    fn lift<L: Model>(layer: L) -> Self::Lifted<L>
    where
        L::In: Rows,
        L::Out: Rows;
}

impl<W: Dim> Lift for Floats2<W> {
    type Lifted<L> = L;
    fn lift<L: Model>(layer: L) -> L {
        layer
    }
}

impl<W: Dim> Lift for Ragged<Floats2<W>> {
    type Lifted<L> = WithArray<L>;
    fn lift<L: Model>(layer: L) -> WithArray<L>
    where
        L::In: Rows,
        L::Out: Rows,
    {
        with_array(layer)
    }
}

/// The output of a layer of yours (`T`), as the layers after it need it: its kind and width.
pub struct After<T: Columns> {
    width: Option<T::Width>,
    layer: &'static str,
    kind: PhantomData<fn() -> T>,
}

impl<T: Columns> Clone for After<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Columns> Copy for After<T> {}

impl<T: Lift> After<T> {
    /// What `model`, written `layer` in `model!`, outputs: a constant width from the type, a
    /// run-time width as the model reports it.
    ///
    /// ```
    /// use weft_runtime::{Const, combinators::After, layers::{Linear, Relu}};
    /// let mine = Linear::new(Const::<3>, 5usize);
    /// let after = After::of(&mine, "mine");
    /// assert_eq!(after.width("relu"), 5);
    /// let relu = after.lift(Relu::new(after.width("relu"), Const::<2>));
    /// # let _ = relu;
    /// ```
    pub fn of<M: Model<Out = T>>(model: &M, layer: &'static str) -> Self {
        let width = match <T::Width as Dim>::CONST {
            Some(width) => Dim::from_size(width),
            None => model.output_width().and_then(Dim::from_size),
        };
        After {
            width,
            layer,
            kind: PhantomData,
        }
    }

    /// The width of the output, for the layer `next` after it.
    ///
    /// # Panics
    /// When the width is a run-time width the layer does not report: the message names both
    /// layers and says what to do.
    pub fn width(&self, next: &str) -> T::Width {
        self.width.unwrap_or_else(|| {
            panic!(
                "`{next}` after `{}` cannot be sized: `{}` outputs rows of a run-time width \
                 that it does not report. Implement `Model::output_width` for it, or give \
                 `{next}` its width as `input = ...`",
                self.layer, self.layer
            )
        })
    }

    /// `layer` over the output: on every token when it is sequences.
    pub fn lift<L: Model>(&self, layer: L) -> T::Lifted<L>
    where
        L::In: Rows,
        L::Out: Rows,
    {
        T::lift(layer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Const;
    use crate::layers::{Dropout, Embed, Linear, Relu};
    use crate::model::Model;

    #[test]
    fn a_run_time_width_is_read_off_the_layer_and_sequences_are_lifted() {
        let mine = with_array(Embed::new(10, 6usize));
        let after = After::of(&mine, "mine");
        assert_eq!(after.width("relu"), 6);
        let relu = after.lift(Relu::new(after.width("relu"), Const::<2>));
        let y = relu.predict(Ragged::new(Floats2::zeros(3, 6usize), vec![2, 1]).unwrap());
        assert_eq!(y.lengths(), &[2, 1]);
    }

    #[test]
    #[should_panic(expected = "`relu` after `mine` cannot be sized: `mine` outputs rows")]
    fn a_width_not_reported_names_both_layers() {
        let mine = crate::combinators::chain(Linear::new(3usize, 4usize), Dropout::new(0.1));
        After::of(&mine, "mine").width("relu");
    }
}
