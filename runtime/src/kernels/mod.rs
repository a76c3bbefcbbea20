//! Numeric kernels, threads and random numbers: the code that does the layers' arithmetic and,
//! with the LSTM's fused step kernels, all of the crate's `unsafe` code.
//!
//! - `ops`: the products, row-wise kernels and table lookups the layers call, and the
//!   `multiversion!` macro that also compiles a loop for AVX2.
//! - `activations`: `exp`, σ and tanh in plain arithmetic, scalar and on vector registers.
//! - `simd`: the registers of AVX-512 and AVX2 behind one trait, for kernels written once.
//! - `product` and `gemm`: matrix products without ndarray's copies, for the LSTM and for
//!   output layers.
//! - `threads`: how many threads the layers use, and running work on the pool.
//! - `rng`: the seeded random generator of initialization, dropout and shuffling.
//! - `unwritten`: an array written in place, a row at a time, without being zeroed first.
//!
//! What it may use: nothing else of the crate but [`Error`](crate::Error). Kernels work on
//! slices and ndarray views, not on the data types of `data/`.

pub(crate) mod activations;
pub(crate) mod gemm;
pub(crate) mod ops;
#[cfg(target_arch = "x86_64")]
pub(crate) mod product;
pub(crate) mod rng;
#[cfg(target_arch = "x86_64")]
pub(crate) mod simd;
pub(crate) mod threads;
pub(crate) mod unwritten;
