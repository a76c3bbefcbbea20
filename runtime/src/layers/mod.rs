//! The built-in layers. Each file states its shapes and its math.
//!
//! Dense layers follow Thinc: [`Relu`], [`Mish`], [`Maxout`], [`Softmax`] and [`Sigmoid`] are
//! an affine map followed by their activation, with weights `W` of shape `(out, in)` and bias
//! `b`.
//!
//! Every layer checks, once per call, the width of the rows it is given and the shape of the
//! gradient its backprop closure is given, and panics with a message naming itself and both
//! shapes (see [`Model`](crate::Model)'s `# Panics`). A NaN in the input comes out as NaN in
//! every row (or sequence) it reaches, never as a number.
//!
//! What they may use: `model/` (each layer is a [`Model`](crate::Model) holding
//! [`Param`](crate::Param)s), `data/` and `kernels/`; a layer made of others
//! ([`MaxoutWindowEncoder`]) also `combinators/`; [`StaticVectors`] also `text/`, for its table. Their tests also use `training/`, to check
//! gradients, and `combinators/`.

mod align;
mod attention;
mod attention_by;
mod bilstm;
mod boundary;
mod concat_sides;
mod dense;
mod dropout;
mod embed;
mod expand_window;
mod hash_embed;
mod layer_norm;
mod lstm;
mod maxout;
mod maxout_window_encoder;
mod mish;
mod recurrence;
mod reduce;
mod relu;
mod sigmoid;
mod softmax;
mod sparse_linear;
mod static_vectors;
#[cfg(test)]
mod tests;

pub use align::Align;
pub use attention::Attention;
pub use attention_by::AttentionBy;
pub use bilstm::BiLstm;
pub use concat_sides::ConcatSides;
pub use dense::{Activation, Dense, Identity, Linear};
pub use dropout::Dropout;
pub use embed::Embed;
pub use expand_window::ExpandWindow;
pub use hash_embed::HashEmbed;
pub use layer_norm::LayerNorm;
pub use lstm::Lstm;
pub use maxout::Maxout;
pub use maxout_window_encoder::MaxoutWindowEncoder;
pub use mish::{Mish, MishActivation};
pub use reduce::{
    MaxPooling, MeanPooling, Pooling, Reduce, ReduceMax, ReduceMean, ReduceSum, SumPooling,
};
pub use relu::{Relu, ReluActivation};
pub use sigmoid::{Sigmoid, SigmoidActivation};
pub use softmax::{Softmax, SoftmaxActivation};
pub use sparse_linear::SparseLinear;
pub use static_vectors::StaticVectors;
