//! The MurmurHash functions that spaCy and Thinc key their tables with.
//!
//! - [`murmurhash64a`]: Austin Appleby's MurmurHash64A, which spaCy's `StringStore` hashes the
//!   UTF-8 bytes of every string with (seed 1).
//! - [`murmurhash3_128_u64`]: MurmurHash3's 128-bit x64 hash of one 8-byte key, as Thinc's
//!   `HashEmbed` hashes a token's `uint64` key into four table rows.
//! - [`murmurhash3_32_u64`]: MurmurHash3's 32-bit x86 hash of one 8-byte key, as Thinc's
//!   `SparseLinear` hashes a feature into two rows.
//!
//! Both read their input as little-endian words, as the reference code does on x86 and aarch64.

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

/// MurmurHash3's 128-bit x64 hash of the 8 little-endian bytes of `key` with `seed`, as four
/// 32-bit words, low word first (Thinc's `MurmurHash3_x86_128_uint64`, which despite its name
/// has the x64 variant's constants).
pub(crate) fn murmurhash3_128_u64(key: u64, seed: u32) -> [u32; 4] {
    const C1: u64 = 0x87c37b91114253d5;
    const C2: u64 = 0x4cf5ad432745937f;
    const LEN: u64 = 8;
    let mut h1 = key.wrapping_mul(C1).rotate_left(31).wrapping_mul(C2);
    h1 ^= u64::from(seed) ^ LEN;
    let mut h2 = u64::from(seed) ^ LEN;
    h1 = h1.wrapping_add(h2);
    h2 = h2.wrapping_add(h1);
    h1 = fmix64(h1);
    h2 = fmix64(h2);
    h1 = h1.wrapping_add(h2);
    h2 = h2.wrapping_add(h1);
    [h1 as u32, (h1 >> 32) as u32, h2 as u32, (h2 >> 32) as u32]
}

/// MurmurHash3 (x86, 32 bits) of the 8 little-endian bytes of `key`, as Thinc's
/// `MurmurHash3_x86_32_uint64`.
pub(crate) fn murmurhash3_32_u64(key: u64, seed: u32) -> u32 {
    const C1: u32 = 0xcc9e_2d51;
    const C2: u32 = 0x1b87_3593;
    let mut h = seed;
    for block in [key as u32, (key >> 32) as u32] {
        let k = block.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        h = (h ^ k)
            .rotate_left(13)
            .wrapping_mul(5)
            .wrapping_add(0xe654_6b64);
    }
    h ^= 8;
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^ (h >> 16)
}

/// MurmurHash3's final mix of 64 bits.
fn fmix64(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51afd7ed558ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ceb9fe1a85ec53);
    h ^ (h >> 33)
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

    #[test]
    fn murmurhash3_128_u64_gives_thincs_hashes() {
        // Thinc 8.3's `NumpyOps().hash(keys, 7)`.
        assert_eq!(
            murmurhash3_128_u64(0, 7),
            [363161713, 1826689969, 588221874, 425284546]
        );
        assert_eq!(
            murmurhash3_128_u64(1, 7),
            [3089165797, 1536154270, 2023308811, 4074317197]
        );
        assert_eq!(
            murmurhash3_128_u64(u64::MAX, 7),
            [3047236301, 3599381855, 1331799921, 2604828161]
        );
    }

    #[test]
    fn murmurhash3_32_u64_gives_thincs_sparse_linear_hashes() {
        // Python's `murmurhash` (explosion's), the same function over bytes:
        //   from murmurhash.mrmr import hash_bytes
        //   [hash_bytes(key.to_bytes(8, "little"), seed) & 0xffffffff for seed in (0, 1)]
        let expected = [
            (0, [1_669_671_676, 3_935_659_133]),
            (1, [1_392_991_556, 3_741_873_941]),
            (12_345, [342_635_441, 3_776_318_231]),
            (u64::MAX, [1_651_860_712, 2_540_302_534]),
            (0xdead_beef_cafe_babe, [2_853_577_856, 3_916_582_467]),
        ];
        for (key, hashes) in expected {
            assert_eq!(
                [murmurhash3_32_u64(key, 0), murmurhash3_32_u64(key, 1)],
                hashes,
                "{key}"
            );
        }
    }
}
