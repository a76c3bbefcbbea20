//! `exp`, `σ` and `tanh` in plain arithmetic: scalar, for loops the compiler vectorizes itself
//! (the LSTM's gates, softmax), and on AVX-512 or AVX2 registers for the LSTM's fused inference
//! step.
//!
//! `eˣ` follows Cephes' `expf`: range reduction by `ln 2`, a degree-6 polynomial, then the
//! power of two. libm's `expf` and `tanhf` are calls the compiler cannot vectorize, and they
//! dominated the step time. Relative error below `1e-7` of the exact value; inputs are clamped
//! to `[-87.3, 88.3]` (results stay finite and normal), NaN stays NaN.

/// Inputs of `exp` are clamped to `[MIN, MAX]`.
const MAX: f32 = 88.3;
const MIN: f32 = -87.3;
// The clamp keeps the power `n = round(x log₂e)` in [-126, 127], where 2ⁿ is a normal float:
// AVX2's `Simd::scale` builds it from the exponent bits, right only there.
const _: () = assert!(MIN * std::f32::consts::LOG2_E > -126.5);
const _: () = assert!(MAX * std::f32::consts::LOG2_E < 127.5);
/// `ln 2` split in two, `LN2_HI - LN2_LO`, for the range reduction `r = x - n ln 2`.
const LN2_HI: f32 = 0.693_359_4;
const LN2_LO: f32 = 2.121_944_4e-4;
/// The polynomial: `eʳ ≈ 1 + r + r² (P[0] r⁵ + … + P[5])`.
const P: [f32; 6] = [
    1.987_569_1e-4,
    1.398_199_9e-3,
    8.333_452e-3,
    4.166_579_6e-2,
    1.666_666_5e-1,
    0.5,
];

/// `eˣ` (see the module doc).
#[inline(always)]
pub(crate) fn exp(x: f32) -> f32 {
    // `clamp` keeps NaN (and compiles to vector min/max).
    let x = x.clamp(MIN, MAX);
    // n = round(x log₂e) by the 1.5 · 2²³ trick: the low bits of `shifted` then hold n as an
    // integer (no `round` instruction on baseline x86-64, no saturating float-to-int cast).
    const ROUND: f32 = 12_582_912.0;
    let shifted = x * std::f32::consts::LOG2_E + ROUND;
    let n = shifted - ROUND;
    let r = x - n * LN2_HI + n * LN2_LO;
    let p = P[1..].iter().fold(P[0], |p, &c| p * r + c);
    let p = p * r * r + r + 1.0;
    // 2ⁿ from its bits: n is in [-126, 127] after the clamp (for NaN, p is NaN anyway).
    let n_bits = shifted.to_bits().wrapping_sub(ROUND.to_bits());
    p * f32::from_bits(n_bits.wrapping_add(127) << 23)
}

/// The logistic sigmoid `1 / (1 + e⁻ˣ)`, through [`exp`].
#[inline(always)]
pub(crate) fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + exp(-x))
}

/// `tanh x = 2σ(2x) - 1`, through [`exp`]: within `2e-7` of `f32::tanh` (absolute; the
/// relative error near 0 is larger, which the LSTM's sums do not notice).
#[inline(always)]
pub(crate) fn tanh(x: f32) -> f32 {
    2.0 / (1.0 + exp(-2.0 * x)) - 1.0
}

/// The same functions on the registers of any [`Simd`]; `1 / d` is [`Simd::recip`], whichever
/// way is cheapest on the instruction set.
///
/// [`Simd`]: crate::kernels::simd::Simd
/// [`Simd::recip`]: crate::kernels::simd::Simd::recip
#[cfg(target_arch = "x86_64")]
pub(crate) mod vector {
    use super::{LN2_HI, LN2_LO, MAX, MIN, P};
    use crate::kernels::simd::Simd;

    /// [`exp`](super::exp) on each lane.
    #[inline(always)]
    pub(crate) fn exp<S: Simd>(s: S, x: S::V) -> S::V {
        // `max` and `min` return their second operand when either is NaN: NaN stays NaN.
        let x = s.min(s.splat(MAX), s.max(s.splat(MIN), x));
        let n = s.round(s.mul(x, s.splat(std::f32::consts::LOG2_E)));
        let r = s.neg_mul_add(n, s.splat(LN2_HI), x);
        let r = s.mul_add(n, s.splat(LN2_LO), r);
        let p = P[1..]
            .iter()
            .fold(s.splat(P[0]), |p, &c| s.mul_add(p, r, s.splat(c)));
        let p = s.mul_add(p, s.mul(r, r), r);
        // (1 + p) · 2ⁿ.
        s.scale(s.add(p, s.splat(1.0)), n)
    }

    /// [`sigmoid`](super::sigmoid) on each lane.
    #[inline(always)]
    pub(crate) fn sigmoid<S: Simd>(s: S, x: S::V) -> S::V {
        let e = exp(s, s.sub(s.splat(0.0), x));
        s.recip(s.add(s.splat(1.0), e))
    }

    /// [`tanh`](super::tanh) on each lane.
    #[inline(always)]
    pub(crate) fn tanh<S: Simd>(s: S, x: S::V) -> S::V {
        let e = exp(s, s.mul(s.splat(-2.0), x));
        let sigmoid = s.recip(s.add(s.splat(1.0), e));
        s.mul_add(s.splat(2.0), sigmoid, s.splat(-1.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worst errors of `exp` (relative), `sigmoid` and `tanh` (absolute) against std's
    /// functions over `[-100, 100]`, for the functions given.
    fn worst_errors(
        exp: impl Fn(f32) -> f32,
        sigmoid: impl Fn(f32) -> f32,
        tanh: impl Fn(f32) -> f32,
    ) -> [f32; 3] {
        let mut worst = [0.0f32; 3];
        for k in -400_000..=400_000 {
            let x = k as f32 * 2.5e-4;
            if (-87.0..88.0).contains(&x) {
                worst[0] = worst[0].max(((exp(x) - x.exp()) / x.exp()).abs());
            }
            worst[1] = worst[1].max((sigmoid(x) - crate::kernels::ops::sigmoid(x)).abs());
            worst[2] = worst[2].max((tanh(x) - x.tanh()).abs());
        }
        worst
    }

    /// Checks the bounds of the module doc and the edge cases on `exp`, `sigmoid`, `tanh`.
    fn check(exp: impl Fn(f32) -> f32, sigmoid: impl Fn(f32) -> f32, tanh: impl Fn(f32) -> f32) {
        let [worst_exp, worst_sigmoid, worst_tanh] = worst_errors(&exp, &sigmoid, &tanh);
        assert!(worst_exp < 3e-7, "exp: relative error {worst_exp}");
        assert!(worst_sigmoid < 2e-7, "sigmoid: error {worst_sigmoid}");
        assert!(worst_tanh < 3e-7, "tanh: error {worst_tanh}");
        assert_eq!((sigmoid(0.0), tanh(0.0)), (0.5, 0.0));
        assert_eq!(
            (sigmoid(200.0), tanh(200.0), tanh(-200.0)),
            (1.0, 1.0, -1.0)
        );
        assert!(sigmoid(-200.0) < 1e-37);
        assert!(exp(100.0).is_finite() && exp(-100.0) > 0.0);
        assert!(exp(f32::NAN).is_nan() && sigmoid(f32::NAN).is_nan() && tanh(f32::NAN).is_nan());
    }

    #[test]
    fn fast_activations_match_std() {
        check(exp, sigmoid, tanh);
    }

    /// The vector functions on every instruction set this CPU has, lane 0 of a register of `x`.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn vector_activations_match_std() {
        use crate::kernels::simd::{Avx2, Avx512, Simd};
        fn check_on<S: Simd>(s: S) {
            let lane = |f: fn(S, S::V) -> S::V, x: f32| {
                let mut out = [0.0f32; 16];
                // SAFETY: `out` has room for the `LANES <= 16` floats written.
                unsafe { s.store_first(out.as_mut_ptr(), f(s, s.splat(x)), S::LANES) };
                out[0]
            };
            check(
                |x| lane(vector::exp, x),
                |x| lane(vector::sigmoid, x),
                |x| lane(vector::tanh, x),
            );
        }
        if let Some(s) = Avx512::detect() {
            check_on(s);
        }
        if let Some(s) = Avx2::detect() {
            check_on(s);
        }
    }
}
