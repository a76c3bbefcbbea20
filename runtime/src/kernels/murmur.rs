//! The MurmurHash functions that spaCy keys its tables with.
//!
//! - [`murmurhash64a`]: Austin Appleby's MurmurHash64A, which spaCy's `StringStore` hashes the
//!   UTF-8 bytes of every string with (seed 1).
//!
//! It reads its input as little-endian words, as the reference code does on x86 and aarch64.

const M64A: u64 = 0xc6a4a7935bd1e995;

/// MurmurHash64A of `bytes` with `seed`.
pub(crate) fn murmurhash64a(bytes: &[u8], seed: u64) -> u64 {
    const R: u32 = 47;
    let mut h = seed ^ (bytes.len() as u64).wrapping_mul(M64A);
    let mut blocks = bytes.chunks_exact(8);
    for block in &mut blocks {
        let mut k = u64::from_le_bytes(block.try_into().expect("a block of 8 bytes"));
        k = k.wrapping_mul(M64A);
        k ^= k >> R;
        k = k.wrapping_mul(M64A);
        h ^= k;
        h = h.wrapping_mul(M64A);
    }
    let tail = blocks.remainder();
    if !tail.is_empty() {
        for (i, &byte) in tail.iter().enumerate() {
            h ^= u64::from(byte) << (8 * i);
        }
        h = h.wrapping_mul(M64A);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M64A);
    h ^ (h >> R)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn murmurhash64a_gives_spacys_string_hashes() {
        // spaCy 3.8's `spacy.strings.hash_string`.
        assert_eq!(murmurhash64a(b"", 1), 14313749767032693980);
        assert_eq!(murmurhash64a(b"a", 1), 11901859001352538922);
        assert_eq!(murmurhash64a(b"hello", 1), 5983625672228268878);
        assert_eq!(murmurhash64a("İstanbul".as_bytes(), 1), 5531652341963919559);
    }
}
