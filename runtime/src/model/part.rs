//! [`Part`]: what a field of a `#[derive(Params)]` struct can be, a parameter or a sub-layer.
//!
//! The derive walks every field through this trait, so it needs no knowledge of field types: a
//! [`Param`] is visited under the field's name (`<layer path>.<field>`), a sub-layer in a
//! scope of that name (`<layer path>.<field>.<position>.<kind>...`). Any other type is a
//! compile error at the field.

use crate::model::{Param, Params, Visit, VisitMut};

/// A field of a layer that `#[derive(Params)]` walks: a [`Param`], or a sub-layer (any type
/// implementing [`Params`]).
///
/// ```
/// use weft_runtime::{Const, Param, Params, Part, Visit, VisitMut, layers::Linear};
/// struct Scaled {
///     scale: Param,
///     inner: Linear<Const<2>, Const<2>>,
/// }
/// // What `#[derive(Params)]` writes for `Scaled`:
/// impl Params for Scaled {
///     fn visit(&self, walk: &mut Visit<'_>) {
///         walk.layer("scaled", |walk| {
///             self.scale.visit_part("scale", walk);
///             self.inner.visit_part("inner", walk);
///         });
///     }
///     fn visit_mut(&mut self, walk: &mut VisitMut<'_>) {
///         walk.layer("scaled", |walk| {
///             self.scale.visit_part_mut("scale", walk);
///             self.inner.visit_part_mut("inner", walk);
///         });
///     }
/// }
/// let layer = Scaled { scale: Param::zeros(&[1]), inner: Linear::new(Const::<2>, Const::<2>) };
/// assert_eq!(layer.param_names(), ["0.scaled.scale", "0.scaled.inner.0.linear.W", "0.scaled.inner.0.linear.b"]);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is neither a parameter nor a layer",
    label = "not a `Param`, and does not implement `Params`",
    note = "a field of a `#[derive(Params)]` struct is a `Param` or a layer; mark other fields \
            `#[weft(skip)]`, or `#[weft(attr)]` to record their value in the signature"
)]
pub trait Part {
    /// Visits this part of the current layer under `name`.
    fn visit_part(&self, name: &str, walk: &mut Visit<'_>);
    /// Visits this part of the current layer under `name`, mutably.
    fn visit_part_mut(&mut self, name: &str, walk: &mut VisitMut<'_>);
}

impl Part for Param {
    fn visit_part(&self, name: &str, walk: &mut Visit<'_>) {
        walk.param(name, self);
    }
    fn visit_part_mut(&mut self, name: &str, walk: &mut VisitMut<'_>) {
        walk.param(name, self);
    }
}

impl<L: Params> Part for L {
    fn visit_part(&self, name: &str, walk: &mut Visit<'_>) {
        walk.scope(name, |walk| walk.child(|walk| self.visit(walk)));
    }
    fn visit_part_mut(&mut self, name: &str, walk: &mut VisitMut<'_>) {
        walk.scope(name, |walk| walk.child(|walk| self.visit_mut(walk)));
    }
}
