//! The built-in layers. Each file states its shapes and its math.
//!
//! Dense layers follow Thinc: [`Relu`], [`Mish`], [`Maxout`] and [`Softmax`] are an affine
//! map followed by their activation, with weights `W` of shape `(out, in)` and bias `b`.

mod dense;
mod mish;
mod relu;
mod softmax;

pub use dense::{Activation, Dense, Identity, Linear};
pub use mish::{Mish, MishActivation};
pub use relu::{Relu, ReluActivation};
pub use softmax::{Softmax, SoftmaxActivation};
