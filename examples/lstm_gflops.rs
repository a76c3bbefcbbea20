//! How close weft's BiLSTM comes to the machine: achieved GFLOP/s of its forward pass (training
//! and inference) and of its backward pass, beside a large single-thread matrix product.
//!
//!     cargo run --release --example lstm_gflops [-- --threads N]
//!
//! Last, the machine's own limit: a loop of independent AVX-512 multiply-adds and nothing else,
//! on as many threads at once as weft uses (on a VM two vCPUs may share one core's FMA units).
//!
//! The BiLSTM is the benchmark's (64 inputs, 64 units per direction) on batches of sequences of
//! 5 to 40 tokens: 32 per batch for training, 128 for inference. FLOPs are counted as the matrix
//! products' `2·m·k·n` (the gate nonlinearities are not counted): per token and direction,
//! forward `2·4H·(I + H)`, backward twice that (input, recurrent and weight gradients).

use std::time::Instant;

use ndarray::Array2;
use weft::layers::BiLstm;
use weft::{Const, Floats2, Model, Ragged, Rng};

const INPUT: usize = 64;
const HIDDEN: usize = 64;

fn batch(rng: &mut Rng, sequences: usize) -> Ragged<Floats2<Const<INPUT>>> {
    let lengths: Vec<usize> = (0..sequences).map(|_| 5 + rng.below(36)).collect();
    let rows = lengths.iter().sum();
    let data = Array2::from_shape_fn((rows, INPUT), |_| rng.uniform(-1.0, 1.0));
    Ragged::new(Floats2::new(data).expect("64 columns"), lengths).expect("rows match")
}

/// Best of `runs` timings of `f`, in seconds.
fn best(runs: usize, mut f: impl FnMut()) -> f64 {
    (0..runs)
        .map(|_| {
            let started = Instant::now();
            f();
            started.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    let mut args = std::env::args().skip(1);
    if let (Some(flag), Some(n)) = (args.next(), args.next()) {
        let threads = n.parse().unwrap_or(1);
        assert_eq!(flag, "--threads", "usage: lstm_gflops [--threads N]");
        weft::set_threads(threads).expect("threads set before first use");
    }
    let mut rng = Rng::new(0);
    let bilstm = BiLstm::<_, _, Const<{ 2 * HIDDEN }>>::new(Const::<INPUT>, Const::<HIDDEN>, 1);
    let forward_flops = |tokens: usize| (2 * 2 * 4 * HIDDEN * (INPUT + HIDDEN) * tokens) as f64;
    let gflops = |flops: f64, seconds: f64| flops / seconds / 1e9;

    let train = batch(&mut rng, 32);
    let tokens = train.data().rows();
    let (mut fwd, mut bwd) = (f64::INFINITY, f64::INFINITY);
    for _ in 0..50 {
        let started = Instant::now();
        let (y, backprop) = bilstm.begin_update(train.clone());
        let middle = Instant::now();
        std::hint::black_box(backprop(y));
        fwd = fwd.min((middle - started).as_secs_f64());
        bwd = bwd.min(middle.elapsed().as_secs_f64());
    }
    let infer = batch(&mut rng, 128);
    let infer_tokens = infer.data().rows();
    let predict = best(50, || {
        std::hint::black_box(bilstm.predict(infer.clone()));
    });

    let n = 1024;
    let a = Array2::from_shape_fn((n, n), |_| rng.uniform(-1.0, 1.0));
    let b = Array2::from_shape_fn((n, n), |_| rng.uniform(-1.0, 1.0));
    let sgemm = best(5, || {
        std::hint::black_box(a.dot(&b));
    });

    println!("threads: {}", weft::threads());
    println!(
        "BiLSTM forward, training (batch 32, {tokens} tokens): {:.1} GFLOP/s",
        gflops(forward_flops(tokens), fwd)
    );
    println!(
        "BiLSTM backward (batch 32): {:.1} GFLOP/s",
        gflops(2.0 * forward_flops(tokens), bwd)
    );
    println!(
        "BiLSTM predict (batch 128, {infer_tokens} tokens): {:.1} GFLOP/s",
        gflops(forward_flops(infer_tokens), predict)
    );
    println!(
        "sgemm {n}x{n}x{n} (ndarray/matrixmultiply): {:.1} GFLOP/s",
        gflops(2.0 * (n * n * n) as f64, sgemm)
    );
    #[cfg(target_arch = "x86_64")]
    if let Some(peak) = fma_peak::gflops(weft::threads()) {
        println!(
            "FMA peak (AVX-512, {} thread(s) at once, summed): {peak:.1} GFLOP/s",
            weft::threads()
        );
    }
}

/// The single-precision multiply-add peak of the machine.
#[cfg(target_arch = "x86_64")]
mod fma_peak {
    use std::arch::x86_64::*;
    use std::time::Instant;

    const ITERATIONS: usize = 20_000_000;
    /// Independent accumulators: more than the FMA units' latency × throughput (4 × 2).
    const CHAINS: usize = 24;

    /// `CHAINS` chains of `ITERATIONS` multiply-adds on 16 lanes, summed at the end.
    #[target_feature(enable = "avx512f")]
    fn multiply_adds() -> f32 {
        let mut acc = [_mm512_setzero_ps(); CHAINS];
        let (a, b) = (_mm512_set1_ps(0.999_999), _mm512_set1_ps(1e-6));
        for _ in 0..ITERATIONS {
            for x in &mut acc {
                *x = _mm512_fmadd_ps(*x, a, b);
            }
        }
        let sum = acc
            .into_iter()
            .fold(_mm512_setzero_ps(), |s, x| _mm512_add_ps(s, x));
        _mm512_reduce_add_ps(sum)
    }

    /// GFLOP/s of `threads` threads running the loop at once, summed; `None` without AVX-512.
    #[expect(
        clippy::disallowed_macros,
        reason = "the CPU's peak, not a kernel's choice"
    )]
    pub fn gflops(threads: usize) -> Option<f64> {
        if !is_x86_feature_detected!("avx512f") {
            return None;
        }
        let started = Instant::now();
        std::thread::scope(|scope| {
            for _ in 0..threads {
                // SAFETY: the CPU has AVX-512F, checked above.
                scope.spawn(|| std::hint::black_box(unsafe { multiply_adds() }));
            }
        });
        let flops = (threads * ITERATIONS * CHAINS * 16 * 2) as f64;
        Some(flops / started.elapsed().as_secs_f64() / 1e9)
    }
}
