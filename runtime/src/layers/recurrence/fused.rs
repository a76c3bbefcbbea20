//! The fused step kernel of one LSTM direction (see the `forward` module), for the registers of
//! any [`Simd`](crate::kernels::simd::Simd): blocks of as many units as a register has lanes.
//!
//! With the kernels of `crate::kernels`, the only `unsafe` code of the crate: the kernel reads
//! and writes through pointers, on registers. Its safe entry, `step`, checks the operands first.

use super::LstmWeights;
use super::forward::Step;
use crate::kernels::activations::vector::{sigmoid, tanh};
use crate::kernels::gemm::Line;
use crate::kernels::simd::{Avx2, Avx512, Simd};

/// The weights of one direction in blocks of `S::LANES` units (see the `forward` module).
pub(super) struct Blocks<S> {
    simd: S,
    pub(super) n_in: usize,
    pub(super) hidden: usize,
    /// Block `b` from row `b · (n_in + hidden)`: `n_in` rows of `W_ihᵀ`, then `hidden`
    /// rows of `W_hhᵀ`, zero past the last unit. A row is `4 · S::LANES` floats, gate `q`
    /// of the block's unit `u` at `q · S::LANES + u`.
    weights: Vec<Line>,
    /// The bias, a row per block.
    bias: Vec<Line>,
}

impl<S: Simd> Blocks<S> {
    /// Floats per row.
    const ROW: usize = 4 * S::LANES;
    /// Sequences per kernel call: as many as leave four registers for a row of weights and
    /// one for a broadcast beside their four accumulators each (6 with AVX-512, 2 with AVX2).
    const SEQUENCES: usize = (S::REGISTERS - 5) / 4;

    /// `weights` laid out in blocks, for the instruction set `simd`.
    pub(super) fn new(simd: S, weights: &LstmWeights) -> Self {
        let (n_in, hidden) = (weights.w_ih.shape()[1], weights.hidden);
        let (w_ih, w_hh, b) = (weights.w_ih.value(), weights.w_hh.value(), &weights.bias());
        let (count, rows) = (hidden.div_ceil(S::LANES), n_in + hidden);
        let (mut packed, mut bias) = (
            Line::zeros(count * rows * Self::ROW),
            Line::zeros(count * Self::ROW),
        );
        let (to, to_bias) = (Line::floats_mut(&mut packed), Line::floats_mut(&mut bias));
        // (No block at all when `hidden` is 0, nor any row: the chunks are never empty.)
        let blocks = to
            .chunks_exact_mut((rows * Self::ROW).max(1))
            .zip(to_bias.chunks_exact_mut(Self::ROW));
        for (block, (to, to_bias)) in blocks.enumerate() {
            let units = block * S::LANES..hidden.min((block + 1) * S::LANES);
            for ((u, unit), q) in units.enumerate().flat_map(|u| (0..4).map(move |q| (u, q))) {
                let (gate, lane) = (q * hidden + unit, q * S::LANES + u);
                to_bias[lane] = b[gate];
                let from_ih = &w_ih[gate * n_in..(gate + 1) * n_in];
                let from_hh = &w_hh[gate * hidden..(gate + 1) * hidden];
                let (to_ih, to_hh) = to.split_at_mut(n_in * Self::ROW);
                for (to, from) in [(to_ih, from_ih), (to_hh, from_hh)] {
                    for (row, &v) in to.chunks_exact_mut(Self::ROW).zip(from) {
                        row[lane] = v;
                    }
                }
            }
        }
        Blocks {
            simd,
            n_in,
            hidden,
            weights: packed,
            bias,
        }
    }

    /// Block `block`'s first row of weights and its bias.
    fn block(&self, block: usize) -> (*const f32, *const f32) {
        let rows = self.n_in + self.hidden;
        (
            Line::floats(&self.weights)[block * rows * Self::ROW..].as_ptr(),
            Line::floats(&self.bias)[block * Self::ROW..].as_ptr(),
        )
    }

    /// The step, [`Self::SEQUENCES`] sequences and one block at a time; inlined into the
    /// [`Compiled`] entry points, which enable the instruction set.
    ///
    /// # Safety
    /// The CPU has the instruction set of `S`, and the step passes the checks of
    /// [`step`](Self::step).
    #[inline(always)]
    unsafe fn run(&self, step: &mut Step<'_, '_>) {
        let k = step.x_rows.len();
        let out = (step.h.as_mut_ptr(), step.h.stride());
        for block in 0..self.hidden.div_ceil(S::LANES) {
            let mut j = 0;
            while j < k {
                // SAFETY: as the caller promises, for sequences j..j + R (R <= k - j).
                unsafe {
                    // Groups as even as possible: with six at most, 13 sequences go 5, 4, 4
                    // rather than 6, 6, 1. (Arms above `SEQUENCES` are never reached.)
                    let rest = k - j;
                    j += match rest.div_ceil(rest.div_ceil(Self::SEQUENCES)) {
                        1 => self.rows::<1>(step, out, block, j),
                        2 => self.rows::<2>(step, out, block, j),
                        3 => self.rows::<3>(step, out, block, j),
                        4 => self.rows::<4>(step, out, block, j),
                        5 => self.rows::<5>(step, out, block, j),
                        _ => self.rows::<6>(step, out, block, j),
                    };
                }
            }
        }
    }

    /// Sequences `j..j + R` through block `block`; returns `R`. The output `h` is `out`: its
    /// first float, and the floats from one row to the next.
    ///
    /// # Safety
    /// As [`run`](Self::run), with `j + R <= k`.
    #[inline(always)]
    unsafe fn rows<const R: usize>(
        &self,
        step: &mut Step<'_, '_>,
        (h_out, stride): (*mut f32, usize),
        block: usize,
        j: usize,
    ) -> usize {
        debug_assert!(R <= Self::SEQUENCES, "more sequences than registers");
        let (s, n_in, hidden) = (self.simd, self.n_in, self.hidden);
        let (w, bias) = self.block(block);
        let unit = block * S::LANES;
        let units = (hidden - unit).min(S::LANES);
        // SAFETY: the block has `n_in + hidden` rows; the rows of `x`, `h`, `c`, `c_{t-1}` and
        // the gates are inside them, as the caller promises.
        unsafe {
            let bias: [S::V; 4] = std::array::from_fn(|q| s.load(bias.add(q * S::LANES)));
            let mut acc = [bias; R];
            let x: [*const f32; R] =
                std::array::from_fn(|r| step.x.as_ptr().add(step.x_rows[j + r] * n_in));
            sum_products(s, &mut acc, x, w, n_in);
            if let Some((prev, _)) = step.prev {
                let h: [*const f32; R] =
                    std::array::from_fn(|r| h_out.add(prev[j + r] * stride).cast_const());
                sum_products(s, &mut acc, h, w.add(n_in * Self::ROW), hidden);
            }
            for (r, [i, f, g, o]) in acc.into_iter().enumerate() {
                let at = (j + r) * hidden + unit;
                let c_prev = match step.prev {
                    Some((_, c_prev)) => s.load_first(c_prev.as_ptr().add(at), units),
                    None => s.splat(0.0),
                };
                let [i, f, g, o] = [sigmoid(s, i), sigmoid(s, f), tanh(s, g), sigmoid(s, o)];
                if let Some(kept) = step.gates.as_deref_mut() {
                    let row = kept.as_mut_ptr().add((j + r) * 4 * hidden + unit);
                    for (q, gate) in [i, f, g, o].into_iter().enumerate() {
                        s.store_first(row.add(q * hidden), gate, units);
                    }
                }
                let c = s.mul_add(f, c_prev, s.mul(i, g));
                let h = s.mul(o, tanh(s, c));
                s.store_first(step.c.as_mut_ptr().add(at), c, units);
                let out = h_out.add(step.x_rows[j + r] * stride + unit);
                s.store_first(out, h, units);
            }
        }
        R
    }
}

impl<S: Simd> Blocks<S>
where
    Self: Compiled,
{
    /// Runs one step (see `Kernel::step` in the `forward` module), after checking its operands:
    /// the checks make the compiled kernel safe to call.
    ///
    /// # Panics
    /// If a row of `x_rows` or `prev` is outside `x` or the output, a row of `prev` is not
    /// written yet, or `c`, `c_{t-1}` or the gates are not `k` rows of the kernel's widths.
    pub(super) fn step(&self, mut step: Step<'_, '_>) {
        let (k, n_in, hidden) = (step.x_rows.len(), self.n_in, self.hidden);
        assert_eq!(step.h.width(), hidden, "the output's width");
        assert_eq!(step.c.len(), k * hidden, "a cell state per sequence");
        if let Some(gates) = &step.gates {
            assert_eq!(gates.len(), k * 4 * hidden, "gates per sequence");
        }
        for &r in step.x_rows {
            let inside = r < step.h.rows() && (r + 1) * n_in <= step.x.len();
            assert!(inside, "row {r} of the input and the output");
        }
        if let Some((prev, c_prev)) = step.prev {
            assert_eq!(c_prev.len(), k * hidden, "a cell state per sequence");
            assert!(prev.len() >= k, "a previous token per sequence");
            let written = prev[..k].iter().all(|&r| step.h.is_written(r));
            assert!(written, "the previous step's states are written");
        }
        // SAFETY: the blocks were laid out for the instruction set whose token `self.simd` is, so
        // the CPU has it; the checks above are what the kernel needs of the step.
        unsafe { self.run_compiled(&mut step) };
        // SAFETY: the step wrote all `hidden` units of `h` in each row of `x_rows`: every block
        // of units, for every sequence.
        unsafe { step.h.assume_written(step.x_rows) };
    }
}

/// The step compiled for an instruction set: [`Blocks::run`] inlined into a function that
/// enables it.
pub(super) trait Compiled {
    /// The step.
    ///
    /// # Safety
    /// As [`Blocks::run`].
    unsafe fn run_compiled(&self, step: &mut Step<'_, '_>);
}

impl Compiled for Blocks<Avx512> {
    #[target_feature(enable = "avx512f")]
    unsafe fn run_compiled(&self, step: &mut Step<'_, '_>) {
        // SAFETY: this function enables the instruction set `run` is inlined for; the caller
        // promises the rest.
        unsafe { self.run(step) }
    }
}

impl Compiled for Blocks<Avx2> {
    #[target_feature(enable = "avx2,fma")]
    unsafe fn run_compiled(&self, step: &mut Step<'_, '_>) {
        // SAFETY: this function enables the instruction set `run` is inlined for; the caller
        // promises the rest.
        unsafe { self.run(step) }
    }
}

/// `acc[r] += Σ_p a[r][p] · w[p]` over `len` rows of `w`, `4 · S::LANES` floats each.
///
/// # Safety
/// Each `a[r]` points at `len` floats, `w` at `len` rows.
#[inline(always)]
unsafe fn sum_products<S: Simd, const R: usize>(
    s: S,
    acc: &mut [[S::V; 4]; R],
    a: [*const f32; R],
    w: *const f32,
    len: usize,
) {
    for p in 0..len {
        // SAFETY: as the caller promises.
        unsafe {
            let w = w.add(p * 4 * S::LANES);
            let w: [S::V; 4] = std::array::from_fn(|q| s.load(w.add(q * S::LANES)));
            for (acc, a) in acc.iter_mut().zip(a) {
                let v = s.splat(*a.add(p));
                for (acc, w) in acc.iter_mut().zip(w) {
                    *acc = s.mul_add(v, w, *acc);
                }
            }
        }
    }
}
