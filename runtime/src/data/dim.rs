//! Widths: a compile-time constant ([`Const`]) or a run-time value (`usize`).
//!
//! Data types and layers carry their widths as type parameters implementing [`Dim`].
//! With `Const<N>` the compiler checks that neighbouring layers agree; a `usize` width
//! (say, the number of classes read from the data) is checked when the model is built.

use std::fmt::Debug;

/// A width: either a compile-time [`Const`] or a run-time `usize`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a width",
    label = "not a width",
    note = "a width is `Const::<N>` (checked at compile time) or a `usize` (a run-time value); convert another integer with `as usize`"
)]
pub trait Dim: Copy + Debug + PartialEq + Send + Sync + 'static {
    /// The width when it is a compile-time constant; `None` for a run-time width.
    const CONST: Option<usize>;
    /// The width as a number.
    fn size(&self) -> usize;
    /// The width of this type for `n` columns, or `None` when a constant width differs from `n`.
    fn from_size(n: usize) -> Option<Self>;
}

/// A width fixed at compile time. It displays as its number, as a `usize` width does.
///
/// ```
/// use weft_runtime::{Const, Dim};
/// assert_eq!(Const::<64>.size(), 64);
/// assert_eq!(Const::<64>::from_size(32), None);
/// assert_eq!(Const::<64>.to_string(), "64");
/// ```
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Const<const N: usize>;

impl<const N: usize> Dim for Const<N> {
    const CONST: Option<usize> = Some(N);
    fn size(&self) -> usize {
        N
    }
    fn from_size(n: usize) -> Option<Self> {
        (n == N).then_some(Const)
    }
}

impl<const N: usize> std::fmt::Display for Const<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{N}")
    }
}

impl Dim for usize {
    const CONST: Option<usize> = None;
    fn size(&self) -> usize {
        *self
    }
    fn from_size(n: usize) -> Option<Self> {
        Some(n)
    }
}

/// True when `out` can hold `parts` side by side: both constant and equal to their sum, or
/// `out` is a run-time width. Layers check it in a `const` block, so a wrong constant width
/// is a build error.
pub(crate) const fn sum_fits(parts: &[Option<usize>], out: Option<usize>) -> bool {
    let Some(out) = out else { return true };
    let mut sum = 0;
    let mut i = 0;
    while i < parts.len() {
        match parts[i] {
            Some(n) => sum += n,
            None => return false,
        }
        i += 1;
    }
    sum == out
}
