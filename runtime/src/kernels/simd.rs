//! Vector registers behind one trait, so that a hand-written kernel (the LSTM's fused inference
//! step, the vector `exp`, σ and tanh) is written once and compiled for AVX-512 and for AVX2.
//!
//! A [`Simd`] value is a token: [`Avx512::detect`] and [`Avx2::detect`] return one only when the
//! CPU has the instruction set, so the register operations are safe to call. They compile to
//! single instructions inside a function that enables the features (a kernel's
//! `#[target_feature]` entry point, into which the generic code is inlined); anywhere else they
//! are calls.
//!
//! The two `detect`s are the only place where the crate asks the CPU what it has (clippy's
//! `disallowed_macros` keeps it so), and they find nothing when the portable kernels are asked
//! for (see [`crate::kernels`]): every dispatch goes through them.

use std::arch::x86_64::*;
use std::sync::OnceLock;

/// An instruction set's registers of `f32` lanes and the operations the kernels use.
///
/// # Safety
/// A value of the implementing type may only exist on a CPU that has the instruction set.
pub(crate) unsafe trait Simd: Copy {
    /// A register.
    type V: Copy;
    /// Floats per register.
    const LANES: usize;
    /// Registers.
    const REGISTERS: usize;

    /// `v` in every lane.
    fn splat(self, v: f32) -> Self::V;
    /// `a + b`.
    fn add(self, a: Self::V, b: Self::V) -> Self::V;
    /// `a - b`.
    fn sub(self, a: Self::V, b: Self::V) -> Self::V;
    /// `a · b`.
    fn mul(self, a: Self::V, b: Self::V) -> Self::V;
    /// `a · b + c`, rounded once.
    fn mul_add(self, a: Self::V, b: Self::V, c: Self::V) -> Self::V;
    /// `c - a · b`, rounded once.
    fn neg_mul_add(self, a: Self::V, b: Self::V, c: Self::V) -> Self::V;
    /// The lesser of `a` and `b`; `b` when either is NaN.
    fn min(self, a: Self::V, b: Self::V) -> Self::V;
    /// The greater of `a` and `b`; `b` when either is NaN.
    fn max(self, a: Self::V, b: Self::V) -> Self::V;
    /// `a` rounded to the nearest integer, ties to even.
    fn round(self, a: Self::V) -> Self::V;
    /// `a · 2ⁿ` for integral `n` in `[-126, 127]`.
    fn scale(self, a: Self::V, n: Self::V) -> Self::V;
    /// `1 / a`, to within two ulps for normal `a`.
    fn recip(self, a: Self::V) -> Self::V;

    /// The `LANES` floats at `p`.
    ///
    /// # Safety
    /// `p` points at `LANES` readable floats.
    unsafe fn load(self, p: *const f32) -> Self::V;
    /// The first `n` floats at `p` (`n <= LANES`), zero in the other lanes.
    ///
    /// # Safety
    /// `p` points at `n` readable floats.
    unsafe fn load_first(self, p: *const f32, n: usize) -> Self::V;
    /// Writes the first `n` lanes of `v` (`n <= LANES`) to `p`.
    ///
    /// # Safety
    /// `p` points at `n` writable floats.
    unsafe fn store_first(self, p: *mut f32, v: Self::V, n: usize);
}

/// The methods of [`Simd`] that are one intrinsic each, alike on every instruction set: for
/// the register type `$v`, the intrinsics of `splat`, `add`, `sub`, `mul`, `mul_add`,
/// `neg_mul_add`, `min` and `max`, in that order.
macro_rules! arithmetic {
    ($v:ty, $splat:ident, $add:ident, $sub:ident, $mul:ident, $mul_add:ident, $neg_mul_add:ident,
     $min:ident, $max:ident) => {
        #[inline(always)]
        fn splat(self, v: f32) -> $v {
            // SAFETY: `self` is the token of the instruction set: the CPU has it.
            unsafe { $splat(v) }
        }
        #[inline(always)]
        fn add(self, a: $v, b: $v) -> $v {
            // SAFETY: `self` is the token of the instruction set: the CPU has it.
            unsafe { $add(a, b) }
        }
        #[inline(always)]
        fn sub(self, a: $v, b: $v) -> $v {
            // SAFETY: `self` is the token of the instruction set: the CPU has it.
            unsafe { $sub(a, b) }
        }
        #[inline(always)]
        fn mul(self, a: $v, b: $v) -> $v {
            // SAFETY: `self` is the token of the instruction set: the CPU has it.
            unsafe { $mul(a, b) }
        }
        #[inline(always)]
        fn mul_add(self, a: $v, b: $v, c: $v) -> $v {
            // SAFETY: `self` is the token of the instruction set: the CPU has it.
            unsafe { $mul_add(a, b, c) }
        }
        #[inline(always)]
        fn neg_mul_add(self, a: $v, b: $v, c: $v) -> $v {
            // SAFETY: `self` is the token of the instruction set: the CPU has it.
            unsafe { $neg_mul_add(a, b, c) }
        }
        #[inline(always)]
        fn min(self, a: $v, b: $v) -> $v {
            // SAFETY: `self` is the token of the instruction set: the CPU has it.
            unsafe { $min(a, b) }
        }
        #[inline(always)]
        fn max(self, a: $v, b: $v) -> $v {
            // SAFETY: `self` is the token of the instruction set: the CPU has it.
            unsafe { $max(a, b) }
        }
    };
}

/// Whether the portable kernels are asked for: `WEFT_PORTABLE` set to anything but `0` or
/// nothing, read once.
fn portable() -> bool {
    static PORTABLE: OnceLock<bool> = OnceLock::new();
    *PORTABLE.get_or_init(|| {
        std::env::var_os("WEFT_PORTABLE").is_some_and(|v| !v.is_empty() && v != "0")
    })
}

/// AVX-512F: sixteen lanes.
#[derive(Clone, Copy)]
pub(crate) struct Avx512(());

impl Avx512 {
    /// The token, if the CPU has AVX-512F and the portable kernels are not asked for.
    #[expect(clippy::disallowed_macros, reason = "the one place that asks the CPU")]
    pub(crate) fn detect() -> Option<Self> {
        (!portable() && std::arch::is_x86_feature_detected!("avx512f")).then_some(Avx512(()))
    }

    /// The mask of the first `n` lanes.
    #[inline(always)]
    fn first(n: usize) -> __mmask16 {
        (((1u32 << n.min(16)) - 1) & 0xffff) as u16
    }
}

// SAFETY: `detect` is the only constructor.
unsafe impl Simd for Avx512 {
    type V = __m512;
    const LANES: usize = 16;
    const REGISTERS: usize = 32;

    arithmetic!(
        __m512,
        _mm512_set1_ps,
        _mm512_add_ps,
        _mm512_sub_ps,
        _mm512_mul_ps,
        _mm512_fmadd_ps,
        _mm512_fnmadd_ps,
        _mm512_min_ps,
        _mm512_max_ps
    );

    #[inline(always)]
    fn round(self, a: __m512) -> __m512 {
        // SAFETY: `self` is the token of AVX-512F: the CPU has it.
        unsafe { _mm512_roundscale_ps::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(a) }
    }
    #[inline(always)]
    fn scale(self, a: __m512, n: __m512) -> __m512 {
        // SAFETY: `self` is the token of AVX-512F: the CPU has it.
        unsafe { _mm512_scalef_ps(a, n) }
    }
    /// The 14-bit estimate refined by one Newton step, `r (2 - a r)`.
    #[inline(always)]
    fn recip(self, a: __m512) -> __m512 {
        // SAFETY: `self` is the token of AVX-512F: the CPU has it.
        let r = unsafe { _mm512_rcp14_ps(a) };
        self.mul(r, self.neg_mul_add(a, r, self.splat(2.0)))
    }
    #[inline(always)]
    unsafe fn load(self, p: *const f32) -> __m512 {
        // SAFETY: `self` is the token of AVX-512F; the caller promises `LANES` floats at `p`.
        unsafe { _mm512_loadu_ps(p) }
    }
    #[inline(always)]
    unsafe fn load_first(self, p: *const f32, n: usize) -> __m512 {
        // SAFETY: `self` is the token of AVX-512F; the caller promises `n` floats at `p`, and
        // the lanes past them are masked off: not read.
        unsafe { _mm512_maskz_loadu_ps(Self::first(n), p) }
    }
    #[inline(always)]
    unsafe fn store_first(self, p: *mut f32, v: __m512, n: usize) {
        // SAFETY: `self` is the token of AVX-512F; the caller promises `n` writable floats at
        // `p`, and the lanes past them are masked off: not written.
        unsafe { _mm512_mask_storeu_ps(p, Self::first(n), v) }
    }
}

/// AVX2 with FMA: eight lanes.
#[derive(Clone, Copy)]
pub(crate) struct Avx2(());

impl Avx2 {
    /// The token, if the CPU has AVX2 and FMA and the portable kernels are not asked for.
    #[expect(clippy::disallowed_macros, reason = "the one place that asks the CPU")]
    pub(crate) fn detect() -> Option<Self> {
        let found = || {
            std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
        };
        (!portable() && found()).then_some(Avx2(()))
    }

    /// The mask of the first `n` lanes: all ones in lanes below `n`.
    #[inline(always)]
    fn first(self, n: usize) -> __m256i {
        // SAFETY: `self` is the token of AVX2: the CPU has it.
        unsafe {
            let lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
            _mm256_cmpgt_epi32(_mm256_set1_epi32(n.min(8) as i32), lanes)
        }
    }
}

// SAFETY: `detect` is the only constructor.
unsafe impl Simd for Avx2 {
    type V = __m256;
    const LANES: usize = 8;
    const REGISTERS: usize = 16;

    arithmetic!(
        __m256,
        _mm256_set1_ps,
        _mm256_add_ps,
        _mm256_sub_ps,
        _mm256_mul_ps,
        _mm256_fmadd_ps,
        _mm256_fnmadd_ps,
        _mm256_min_ps,
        _mm256_max_ps
    );

    #[inline(always)]
    fn round(self, a: __m256) -> __m256 {
        // SAFETY: `self` is the token of AVX2 and FMA: the CPU has both.
        unsafe { _mm256_round_ps::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(a) }
    }
    /// `2ⁿ` built from its exponent field (`n + 127` in bits 23 to 30), then multiplied.
    #[inline(always)]
    fn scale(self, a: __m256, n: __m256) -> __m256 {
        // SAFETY: `self` is the token of AVX2 and FMA: the CPU has both.
        unsafe {
            let bits = _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127));
            _mm256_mul_ps(a, _mm256_castsi256_ps(_mm256_slli_epi32::<23>(bits)))
        }
    }
    /// A division: one instruction on the divider, beside the multiply-add ports (the 12-bit
    /// estimate needs two Newton steps, four instructions on those ports, and still misses
    /// `1 / 2` by an ulp). On AVX-512 the division is three instructions, hence the estimate.
    #[inline(always)]
    fn recip(self, a: __m256) -> __m256 {
        // SAFETY: `self` is the token of AVX2 and FMA: the CPU has both.
        unsafe { _mm256_div_ps(self.splat(1.0), a) }
    }
    #[inline(always)]
    unsafe fn load(self, p: *const f32) -> __m256 {
        // SAFETY: `self` is the token of AVX2; the caller promises `LANES` floats at `p`.
        unsafe { _mm256_loadu_ps(p) }
    }
    #[inline(always)]
    unsafe fn load_first(self, p: *const f32, n: usize) -> __m256 {
        // SAFETY: `self` is the token of AVX2; the caller promises `n` floats at `p`, and the
        // lanes past them are masked off: not read.
        unsafe {
            match n {
                8.. => _mm256_loadu_ps(p),
                _ => _mm256_maskload_ps(p, self.first(n)),
            }
        }
    }
    /// A plain store for a whole register: masked stores are slow on some AMD cores.
    #[inline(always)]
    unsafe fn store_first(self, p: *mut f32, v: __m256, n: usize) {
        // SAFETY: `self` is the token of AVX2; the caller promises `n` writable floats at `p`,
        // and the lanes past them are masked off: not written.
        unsafe {
            match n {
                8.. => _mm256_storeu_ps(p, v),
                _ => _mm256_maskstore_ps(p, self.first(n), v),
            }
        }
    }
}

/// `N` lanes in plain arithmetic, a float at a time: for testing a kernel written over [`Simd`]
/// in the shapes it has on AVX-512 (16 lanes) and on AVX2 (8) whatever the CPU.
#[cfg(test)]
#[derive(Clone, Copy)]
pub(crate) struct Emulated<const N: usize>;

#[cfg(test)]
// SAFETY: plain arithmetic runs on every CPU.
unsafe impl<const N: usize> Simd for Emulated<N> {
    type V = [f32; N];
    const LANES: usize = N;
    const REGISTERS: usize = 32;

    fn splat(self, v: f32) -> [f32; N] {
        [v; N]
    }
    fn add(self, a: [f32; N], b: [f32; N]) -> [f32; N] {
        std::array::from_fn(|i| a[i] + b[i])
    }
    fn sub(self, a: [f32; N], b: [f32; N]) -> [f32; N] {
        std::array::from_fn(|i| a[i] - b[i])
    }
    fn mul(self, a: [f32; N], b: [f32; N]) -> [f32; N] {
        std::array::from_fn(|i| a[i] * b[i])
    }
    fn mul_add(self, a: [f32; N], b: [f32; N], c: [f32; N]) -> [f32; N] {
        std::array::from_fn(|i| a[i].mul_add(b[i], c[i]))
    }
    fn neg_mul_add(self, a: [f32; N], b: [f32; N], c: [f32; N]) -> [f32; N] {
        std::array::from_fn(|i| (-a[i]).mul_add(b[i], c[i]))
    }
    fn min(self, a: [f32; N], b: [f32; N]) -> [f32; N] {
        std::array::from_fn(|i| if a[i] < b[i] { a[i] } else { b[i] })
    }
    fn max(self, a: [f32; N], b: [f32; N]) -> [f32; N] {
        std::array::from_fn(|i| if a[i] > b[i] { a[i] } else { b[i] })
    }
    fn round(self, a: [f32; N]) -> [f32; N] {
        a.map(f32::round_ties_even)
    }
    /// `2ⁿ` built from its exponent bits: exact, where `powi` need not be (Miri's is not).
    fn scale(self, a: [f32; N], n: [f32; N]) -> [f32; N] {
        std::array::from_fn(|i| a[i] * f32::from_bits(((n[i] as i32 + 127) as u32) << 23))
    }
    fn recip(self, a: [f32; N]) -> [f32; N] {
        a.map(|v| 1.0 / v)
    }
    unsafe fn load(self, p: *const f32) -> [f32; N] {
        // SAFETY: the caller promises `N` floats at `p`.
        std::array::from_fn(|i| unsafe { *p.add(i) })
    }
    unsafe fn load_first(self, p: *const f32, n: usize) -> [f32; N] {
        // SAFETY: the caller promises `n` floats at `p`; no lane past them is read.
        std::array::from_fn(|i| if i < n { unsafe { *p.add(i) } } else { 0.0 })
    }
    unsafe fn store_first(self, p: *mut f32, v: [f32; N], n: usize) {
        for (i, &v) in v.iter().enumerate().take(n) {
            // SAFETY: the caller promises `n` writable floats at `p`.
            unsafe { *p.add(i) = v };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `load_first` and `store_first` touch the first `n` lanes only, for every `n`; rounding
    /// goes to even; `scale` and `recip` are right over the range the activations use.
    fn check<S: Simd>(s: S) {
        let lanes = S::LANES;
        let lane0 = |v: S::V| {
            let mut out = [0.0f32; 16];
            // SAFETY: `out` has room for the `LANES <= 16` floats written.
            unsafe { s.store_first(out.as_mut_ptr(), v, lanes) };
            out[0]
        };
        let source: Vec<f32> = (1..=lanes).map(|v| v as f32).collect();
        for n in 0..=lanes {
            let mut out = vec![-1.0f32; lanes + 1];
            // SAFETY: `source` holds `lanes >= n` floats, `out` `lanes + 1`.
            unsafe { s.store_first(out.as_mut_ptr(), s.load_first(source.as_ptr(), n), lanes) };
            assert_eq!(out[..n], source[..n], "{n} lanes loaded");
            assert!(out[n..lanes].iter().all(|&v| v == 0.0), "{n} lanes loaded");
            assert_eq!(out[lanes], -1.0);
            out.fill(-1.0);
            // SAFETY: `out` holds `lanes + 1 >= n` floats.
            unsafe { s.store_first(out.as_mut_ptr(), s.splat(7.0), n) };
            assert!(out[..n].iter().all(|&v| v == 7.0), "{n} lanes stored");
            assert!(out[n..].iter().all(|&v| v == -1.0), "{n} lanes stored");
        }
        let round = [2.5, 3.5, -2.5, -0.4].map(|x| lane0(s.round(s.splat(x))));
        assert_eq!(round, [2.0, 4.0, -2.0, -0.0]);
        let scale = [-126.0, 0.0, 127.0].map(|n| lane0(s.scale(s.splat(1.5), s.splat(n))));
        // 1.5 · 2⁻¹²⁶ and 1.5 · 2¹²⁷ by their bits: exact, where `powi` need not be.
        let extremes = [0x00c0_0000, 0x7f40_0000].map(f32::from_bits);
        assert_eq!(scale, [extremes[0], 1.5, extremes[1]]);
        for d in [1.0f32, 2.0, 3.0, 0.1, 7e30, -3e-30] {
            let r = lane0(s.recip(s.splat(d)));
            assert!((r * d - 1.0).abs() < 3e-7, "1 / {d}: {r}");
        }
    }

    #[test]
    fn emulated_registers_load_store_and_compute_alike() {
        check(Emulated::<16>);
        check(Emulated::<8>);
    }

    /// With `WEFT_PORTABLE=1` neither `detect` finds its instruction set, so every dispatch takes
    /// the portable path: checked by this test run again, alone, with the switch on.
    #[test]
    #[cfg_attr(miri, ignore = "starts a process")]
    fn the_portable_switch_hides_every_instruction_set() {
        if std::env::var_os("WEFT_PORTABLE").is_some_and(|v| v == "1") {
            assert!(Avx512::detect().is_none(), "AVX-512 detected");
            assert!(Avx2::detect().is_none(), "AVX2 detected");
            return;
        }
        let name = "kernels::simd::tests::the_portable_switch_hides_every_instruction_set";
        let run = std::process::Command::new(std::env::current_exe().expect("the test binary"))
            .args(["--exact", name])
            .env("WEFT_PORTABLE", "1")
            .output()
            .expect("the test binary runs");
        let out = String::from_utf8_lossy(&run.stdout);
        assert!(run.status.success() && out.contains("1 passed"), "{out}");
    }

    #[test]
    fn every_instruction_set_here_loads_stores_and_computes() {
        if let Some(s) = Avx512::detect() {
            check(s);
        }
        if let Some(s) = Avx2::detect() {
            check(s);
        }
    }
}
