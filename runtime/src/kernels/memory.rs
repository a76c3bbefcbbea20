//! Freed memory kept for the next batch: on Linux with glibc, malloc's thresholds set once.
//!
//! A batch's arrays are freed as soon as the next layer has read them, and the next batch asks
//! for as much again: spaCy's CNN tagger at 128 sentences a batch allocates arrays of 2,300 rows
//! by 288 or 384 columns, 2.6 MB and 3.5 MB. glibc's malloc gives a block over its mmap threshold
//! (128 KiB at first, raised to the size of each such block freed) pages of its own, and gives
//! the top of its heap back to the system once more than its trim threshold (twice the mmap
//! threshold) is free there. Either way the next batch's arrays are new pages, which the kernel
//! zeroes on their first write: that tagger, predicting in a new process, spent a quarter of its
//! time in page faults (`perf record`), and its words per second went up 40% without them.
//!
//! So [`keep_freed`] sets both thresholds, once per process: blocks up to [`MMAP_THRESHOLD`]
//! come from the heap, and up to [`TRIM_THRESHOLD`] of free memory at its top stays there. The
//! process keeps the memory of its largest batch, as a caching allocator does. A program that
//! wants glibc's own behaviour back calls `mallopt` itself afterwards. Other platforms and C
//! libraries are left alone, and so is Miri, which cannot call C.

/// Blocks up to this size come from malloc's heap: the largest glibc allows on 64-bit targets.
#[cfg(all(target_os = "linux", target_env = "gnu", not(miri)))]
const MMAP_THRESHOLD: std::ffi::c_int = 32 << 20;
/// Free memory at the top of the heap kept up to this size.
#[cfg(all(target_os = "linux", target_env = "gnu", not(miri)))]
const TRIM_THRESHOLD: std::ffi::c_int = 256 << 20;

/// Sets malloc's thresholds as the module says, the first time it is called.
pub(crate) fn keep_freed() {
    #[cfg(all(target_os = "linux", target_env = "gnu", not(miri)))]
    {
        use std::ffi::c_int;
        static ONCE: std::sync::Once = std::sync::Once::new();
        // glibc's malloc.h.
        const M_TRIM_THRESHOLD: c_int = -1;
        const M_MMAP_THRESHOLD: c_int = -3;
        unsafe extern "C" {
            fn mallopt(param: c_int, value: c_int) -> c_int;
        }
        ONCE.call_once(|| {
            // SAFETY: `mallopt` only sets malloc's parameters, under its own lock; both values
            // are within the ranges glibc accepts (it returns 0 and changes nothing otherwise).
            unsafe {
                mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD);
                mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD);
            }
        });
    }
}

#[cfg(all(test, target_os = "linux", target_env = "gnu", not(miri)))]
mod tests {
    use super::*;

    /// Page faults of this thread so far: field 10 of `/proc/thread-self/stat`, after the
    /// command's name in parentheses.
    fn minor_faults() -> u64 {
        let stat = std::fs::read_to_string("/proc/thread-self/stat").expect("procfs");
        let fields = stat.rsplit_once(')').expect("(name)").1;
        fields
            .split_whitespace()
            .nth(7)
            .expect("minflt")
            .parse()
            .expect("a count")
    }

    /// A batch's arrays, written and freed: three blocks of 4 MiB at once, so that glibc's own
    /// thresholds (raised to 4 MiB and 8 MiB by the first batch) would give 12 MiB of free heap
    /// top back to the system every time, and fault it in again.
    fn batch() {
        let arrays: Vec<Vec<f32>> = (0..3).map(|i| vec![i as f32; 1 << 20]).collect();
        std::hint::black_box(&arrays);
    }

    #[test]
    fn the_next_batch_reuses_the_freed_memory() {
        keep_freed();
        // Two batches first: the first array of each comes zeroed (calloc), and calloc leaves
        // new pages untouched, so the first batch does not fault in all it leaves.
        batch();
        batch();
        let before = minor_faults();
        for _ in 0..10 {
            batch();
        }
        // Ten batches of 3,072 pages would fault 30,720 times; a few stray faults are allowed.
        let faults = minor_faults() - before;
        assert!(faults < 300, "{faults} page faults in ten batches");
    }
}
