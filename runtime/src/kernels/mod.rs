//! Numeric kernels, threads and random numbers: the code that does the layers' arithmetic and,
//! with the LSTM's fused step kernels, all of the crate's `unsafe` code.
//!
//! - `matmul`: the matrix products the layers call, and which kernel runs each.
//! - `ops`: the row-wise kernels and table lookups the layers call, and the `multiversion!`
//!   macro that also compiles a loop for AVX2.
//! - `activations`: `exp`, σ and tanh in plain arithmetic, scalar and on vector registers.
//! - `simd`: the registers of AVX-512 and AVX2 behind one trait, for kernels written once.
//! - `product` and `gemm`: matrix products without ndarray's copies, for the LSTM and for
//!   dense, maxout and output layers.
//! - `threads`: how many threads the layers use, and running work on the pool.
//! - `murmur`: the MurmurHash functions of spaCy's string ids and of Thinc's `HashEmbed`.
//! - `memory`: freed memory kept for the next batch (malloc's thresholds, on glibc).
//! - `routed`: maxout's backward products over the winning pieces alone.
//! - `rng`: the seeded random generator of initialization, dropout and shuffling.
//! - `unwritten`: an array written in place, a row at a time, without being zeroed first.
//!
//! What it may use: nothing else of the crate but [`Error`](crate::Error). Kernels work on
//! slices and ndarray views, not on the data types of `data/`.
//!
//! # Portable kernels
//!
//! On x86-64 the kernels choose at run time between code for AVX-512, for AVX2 + FMA, and
//! portable code, which is all that other CPUs (aarch64 among them) run. Setting the environment
//! variable `WEFT_PORTABLE` to anything but `0` or nothing (read once, at the first kernel call)
//! makes every choice take the portable path, as on a CPU without either: so that tests and CI
//! run the other CPUs' code on x86-64, with the same test binary
//! (`WEFT_PORTABLE=1 cargo test -p weft-runtime`), and so that a result can be compared with
//! another machine's. Every choice asks `simd`'s `detect`s, which honour the switch: the packed
//! product of `gemm`, the products of `product` (matrixmultiply in their place), the LSTM's fused
//! step and the vector activations it runs, and every function defined with `multiversion!`
//! (softmax, attention's row products, gradient clipping's sum of squares, Adam's update, the
//! LSTM's gate kernels).

pub(crate) mod activations;
pub(crate) mod gemm;
pub(crate) mod matmul;
pub(crate) mod memory;
pub(crate) mod murmur;
pub(crate) mod ops;
#[cfg(target_arch = "x86_64")]
pub(crate) mod product;
pub(crate) mod rng;
pub(crate) mod routed;
#[cfg(target_arch = "x86_64")]
pub(crate) mod simd;
pub(crate) mod threads;
pub(crate) mod unwritten;
