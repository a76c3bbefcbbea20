//! How many threads the layers use.
//!
//! weft runs independent work on a [rayon](https://docs.rs/rayon) thread pool where it pays:
//! the two directions of a BiLSTM (in prediction, also parts of the batch), embedding lookups
//! and their gradients, attention over many sequences, output layers and softmax over many
//! rows, and the optimizer's update of large parameters. The pool has one thread per core unless
//! `RAYON_NUM_THREADS` or [`set_threads`] says otherwise; with one thread everything runs in
//! the calling thread.
//!
//! A training step handed to the pool whole ([`on_pool`]) saves a hand-off per layer.
//!
//! [`Model::predict_parallel`](crate::Model::predict_parallel) runs each part of a batch through
//! the whole model on one thread: inside [`alone`], [`threads`] is 1 and the layers do not split
//! their work again.

use std::cell::Cell;

use crate::error::{Error, Result};

thread_local! {
    /// True while this thread runs work that must stay on it (see [`alone`]).
    static ALONE: Cell<bool> = const { Cell::new(false) };
}

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

/// The number of threads the layers use: 1 inside a part of
/// [`Model::predict_parallel`](crate::Model::predict_parallel), the pool's size elsewhere.
pub fn threads() -> usize {
    if ALONE.get() {
        1
    } else {
        rayon::current_num_threads()
    }
}

/// Runs `f` on a pool of its own of `threads` threads (at least 1), as if the pool were set to
/// that size for it: the layers it runs split their work among those threads. For a program
/// whose pool is already set, or a library that should not set it.
///
/// ```
/// let seen = weft_runtime::with_threads(3, weft_runtime::threads)?;
/// assert_eq!(seen, 3);
/// # Ok::<(), weft_runtime::Error>(())
/// ```
pub fn with_threads<R: Send>(threads: usize, f: impl FnOnce() -> R + Send) -> Result<R> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()
        .map_err(|err| Error::Threads {
            message: format!("cannot start {threads} threads: {err}"),
        })?;
    Ok(pool.install(f))
}

/// Runs `f` with [`threads`] at 1 on this thread, so that the layers it calls keep their work
/// on this thread.
pub(crate) fn alone<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            ALONE.set(self.0);
        }
    }
    let _restore = Restore(ALONE.replace(true));
    f()
}

/// Runs `f` on a thread of the pool, or in this thread when [`threads`] is 1 or this thread is
/// already one of the pool's, and returns what it returns.
///
/// Each layer that splits its work hands it to the pool. From a thread outside the pool (a
/// program's main thread) every hand-off wakes a thread of the pool and puts the caller to sleep
/// until the work is done; from inside, the other threads take their share directly. So run a
/// whole training step in it (forward pass, loss, backprop and update): that saves a hand-off
/// for every layer that splits its work.
///
/// ```
/// use weft_runtime::{on_pool, threads};
/// let on_a_worker = on_pool(|| rayon::current_thread_index().is_some());
/// assert_eq!(on_a_worker, threads() > 1);
/// ```
pub fn on_pool<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    if threads() == 1 || rayon::current_thread_index().is_some() {
        f()
    } else {
        // From outside the pool, a scope runs its body on one of the pool's threads.
        rayon::scope(|_| f())
    }
}

/// `(a(), b())`, on two threads of the pool when [`threads`] is more than 1.
pub(crate) fn join<A: Send, B: Send>(
    a: impl FnOnce() -> A + Send,
    b: impl FnOnce() -> B + Send,
) -> (A, B) {
    if threads() == 1 {
        (a(), b())
    } else {
        rayon::join(a, b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_alone_sees_one_thread_and_join_stays_on_it() {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build();
        pool.expect("a pool").install(|| {
            assert_eq!(threads(), 2);
            let here = || (threads(), std::thread::current().id());
            let (a, b) = alone(|| join(here, here));
            assert_eq!(a, (1, std::thread::current().id()));
            assert_eq!(a, b);
            assert_eq!(threads(), 2);
        });
    }

    #[test]
    fn on_pool_stays_on_a_thread_of_the_pool() {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build();
        pool.expect("a pool").install(|| {
            let here = std::thread::current().id();
            assert_eq!(on_pool(|| std::thread::current().id()), here);
            assert_eq!(alone(|| on_pool(|| std::thread::current().id())), here);
        });
    }
}
