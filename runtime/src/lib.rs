//! The runtime of [weft](https://docs.rs/weft): data types, layers, combinators, optimizers,
//! losses and gradient checking.
//!
//! A layer is a value holding its parameters. [`Model::begin_update`] returns the output and a
//! closure that maps the output's gradient to the input's, adding the parameter gradients into
//! the layer on the way; combinators nest these closures. There is no tape and no graph.
//!
//! ```
//! use weft_runtime::{Adam, Const, Floats2, Model, Params, combinators::chain, layers::{Linear, Relu}};
//! let mut model = chain(Relu::new(Const::<2>, Const::<8>), Linear::new(Const::<8>, Const::<1>));
//! let x = Floats2::from_rows(&[[0.0, 1.0], [1.0, 0.0]]);
//! let mut adam = Adam::new(0.01);
//! for _ in 0..3 {
//!     let (y, backprop) = model.begin_update(x.clone());
//!     let d_y = Floats2::new(y.view().mapv(|v| v - 1.0).to_owned()).unwrap();
//!     let _d_x = backprop(d_y);
//!     model.finish_update(&mut adam).unwrap();
//! }
//! assert_eq!(model.param_names(), ["0.relu.W", "0.relu.b", "1.linear.W", "1.linear.b"]);
//! ```

#![warn(missing_docs)]

mod activations;
mod batch;
mod data;
mod dim;
mod error;
mod gemm;
mod gradcheck;
mod initialize;
mod model;
mod ops;
mod optimizers;
mod param;
mod part;
#[cfg(target_arch = "x86_64")]
mod product;
mod rng;
mod serialize;
mod signature;
#[cfg(target_arch = "x86_64")]
mod simd;
#[cfg(test)]
mod testing;
mod threads;

pub mod combinators;
pub mod corpus;
pub mod layers;
pub mod losses;

pub use batch::Batch;
pub use data::{Accumulate, Columns, Data, Floats2, Grad, Ids, Keys, NoGrad, Ragged, Rows, Values};
pub use dim::{Const, Dim};
pub use error::{Error, LoadError, Result};
pub use gradcheck::{GradEntry, GradcheckOptions, GradcheckReport, gradcheck};
pub use initialize::{DataSizes, TokenIds, Truths, Uninitialized};
pub use model::{Boxed, BoxedBackprop, DynModel, Model};
pub use optimizers::{Adam, Optimizer, Sgd, WeightDecay};
pub use param::{GradGuard, Param, Params, Update, Visit, VisitMut, Walk};
pub use part::Part;
pub use rng::{Rng, set_seed};
pub use signature::{LayerSignature, Signature};
pub use threads::{on_pool, set_threads, threads};
