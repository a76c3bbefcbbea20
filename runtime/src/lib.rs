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
//!
//! # Memory
//!
//! A batch's arrays are freed as the next layer reads them, and the next batch allocates as
//! much again. On Linux with glibc, building the first parameter of a process sets malloc's
//! mmap threshold to 32 MiB and its trim threshold to 256 MiB, so that freed arrays are reused
//! rather than handed back to the system and faulted in again, page by page (prediction of
//! spaCy's CNN tagger went 40% faster in a new process). A program that wants glibc's defaults
//! back calls `mallopt` after building its model.

// All unsafe code is in `kernels` and in the LSTM's fused step kernels
// (`layers::recurrence::fused`), the two modules that allow it.
#![deny(unsafe_code)]

pub mod combinators;
mod data;
mod error;
mod io;
#[allow(unsafe_code)]
mod kernels;
pub mod layers;
mod model;
pub mod pipeline;
pub mod spacy;
pub mod text;
pub mod training;

pub use data::{
    Accumulate, Batch, Columns, Const, Data, Dim, Documents, Floats2, Grad, Ids, Keys, NoGrad,
    Pairs, Ragged, Rows, Values,
};
pub use error::{Error, LoadError, Result};
pub use io::{Network, corpus};
pub use kernels::rng::{Rng, set_seed};
pub use kernels::threads::{on_pool, set_threads, threads, with_threads};
pub use model::{
    Boxed, BoxedBackprop, DataSizes, DynModel, GradGuard, Inputs, LayerSignature, LeftToTheData,
    Model, Optimizer, Param, Params, Part, Signature, Truths, Uninitialized, Update, Visit,
    VisitMut, Walk,
};
pub use training::losses;
pub use training::{
    Adam, GradEntry, GradcheckOptions, GradcheckReport, Sgd, WeightDecay, gradcheck,
};
