//! How many threads the layers use.
//!
//! weft runs independent work on a [rayon](https://docs.rs/rayon) thread pool where it pays:
//! the two directions of a BiLSTM (in prediction, also parts of the batch), embedding lookups
//! and their gradients, attention over many sequences, output layers and softmax over many
//! rows, and the optimizer's update of large parameters. The pool has one thread per core unless
//! `RAYON_NUM_THREADS` or [`set_threads`] says otherwise; with one thread everything runs in
//! the calling thread.

use crate::{Error, Result};

/// Sets the number of threads (at least 1). Call it once, before the first model runs: the pool
/// is built on first use and cannot change afterwards, which is an error here.
///
/// ```
/// weft_runtime::set_threads(1).unwrap();
/// assert_eq!(weft_runtime::threads(), 1);
/// assert!(weft_runtime::set_threads(2).is_err());
/// ```
pub fn set_threads(threads: usize) -> Result<()> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build_global()
        .map_err(|err| Error::Threads {
            message: format!("cannot use {threads} threads: {err}"),
        })
}

/// The number of threads the layers use.
pub fn threads() -> usize {
    rayon::current_num_threads()
}
