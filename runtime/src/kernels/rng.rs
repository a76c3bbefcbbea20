//! A small seeded random number generator for initialization, dropout and shuffling.
//!
//! xoshiro256++ seeded through SplitMix64: fast, statistically sound for these uses, and the
//! same stream on every platform, so a seed reproduces a run.

/// A seeded pseudo-random generator (xoshiro256++).
///
/// ```
/// use weft_runtime::Rng;
/// let mut a = Rng::new(7);
/// let mut b = Rng::new(7);
/// assert_eq!(a.next_u64(), b.next_u64());
/// let x = a.uniform(-0.1, 0.1);
/// assert!((-0.1..0.1).contains(&x));
/// ```
#[derive(Clone, Debug)]
pub struct Rng {
    state: [u64; 4],
}

impl Rng {
    /// A generator whose stream is fixed by `seed`.
    pub fn new(seed: u64) -> Self {
        let mut s = seed;
        Rng {
            state: std::array::from_fn(|_| splitmix64(&mut s)),
        }
    }

    /// The generator's state: [`from_state`](Self::from_state) makes a generator that goes on
    /// with the same stream from here (a training checkpoint keeps its shuffling's).
    ///
    /// ```
    /// use weft_runtime::Rng;
    /// let mut a = Rng::new(7);
    /// a.next_u64();
    /// let mut b = Rng::from_state(a.state()).unwrap();
    /// assert_eq!(a.next_u64(), b.next_u64());
    /// assert!(Rng::from_state([0; 4]).is_none());
    /// ```
    pub fn state(&self) -> [u64; 4] {
        self.state
    }

    /// The generator in `state`, which [`state`](Self::state) gave; `None` for all zeros, a
    /// state xoshiro256++ never reaches (its stream would be zeros for ever).
    pub fn from_state(state: [u64; 4]) -> Option<Self> {
        (state != [0; 4]).then_some(Rng { state })
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let [s0, s1, s2, s3] = &mut self.state;
        let result = s0.wrapping_add(*s3).rotate_left(23).wrapping_add(*s0);
        let t = *s1 << 17;
        *s2 ^= *s0;
        *s3 ^= *s1;
        *s1 ^= *s2;
        *s0 ^= *s3;
        *s2 ^= t;
        *s3 = s3.rotate_left(45);
        result
    }

    /// A float uniform in `[0, 1)`.
    pub fn next_f32(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 * (1.0 / (1u64 << 24) as f32)
    }

    /// A float uniform in `[low, high)`.
    pub fn uniform(&mut self, low: f32, high: f32) -> f32 {
        low + (high - low) * self.next_f32()
    }

    /// `n` floats uniform in `[-limit, limit)`.
    pub fn uniform_vec(&mut self, n: usize, limit: f32) -> Vec<f32> {
        (0..n).map(|_| self.uniform(-limit, limit)).collect()
    }

    /// An integer uniform in `0..n` (`n > 0`).
    ///
    /// # Panics
    /// When `n` is 0: no number is below it.
    pub fn below(&mut self, n: usize) -> usize {
        assert!(n > 0, "Rng::below(0): no number is below 0");
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// Shuffles `items` in place (Fisher-Yates).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }
}

/// One step of SplitMix64: a good 64-bit mix of a counter.
pub(crate) fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

thread_local! {
    /// The next seed of this thread's sequence (see [`set_seed`]).
    static NEXT_SEED: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Restarts the sequence of seeds that new layers draw their initial values from: build the
/// same model after the same `set_seed` and it starts from the same values. The sequence is
/// the calling thread's, so that layers that other threads build meanwhile (tests, a server's
/// other requests) do not take seeds from it.
pub fn set_seed(seed: u64) {
    NEXT_SEED.set(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
}

impl Rng {
    /// A generator with the next seed of this thread's sequence (see [`set_seed`]).
    pub fn fresh() -> Self {
        let seed = NEXT_SEED.get();
        NEXT_SEED.set(seed.wrapping_add(1));
        Rng::new(seed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Layers built on another thread meanwhile take no seed of this thread's sequence.
    #[test]
    fn a_seed_gives_the_same_draws_whatever_other_threads_draw() {
        let draws = || Rng::fresh().next_u64();
        set_seed(5);
        let alone = [draws(), draws()];
        set_seed(5);
        let first = draws();
        std::thread::spawn(move || (0..10).for_each(|_| _ = draws()))
            .join()
            .unwrap();
        assert_eq!([first, draws()], alone);
    }
}
