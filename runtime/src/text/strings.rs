//! Strings to 64-bit ids, as spaCy's `StringStore` gives them.

use super::symbols::symbol_id;
use crate::kernels::murmur::murmurhash64a;

/// spaCy's `hash_string`: MurmurHash64A of the string's UTF-8 bytes with seed 1.
///
/// ```
/// use weft_runtime::text::hash_string;
/// assert_eq!(hash_string("hello"), 5983625672228268878);
/// ```
pub fn hash_string(text: &str) -> u64 {
    murmurhash64a(text.as_bytes(), 1)
}

/// The id spaCy's `StringStore` gives `text` (`StringStore.add`, `get_string_id`): 0 for the
/// empty string, the fixed id of one of spaCy's symbols (`X`, `NOUN`, `number`, ...), and
/// [`hash_string`] of any other string. Token attributes are stored, and embedded, by this id.
///
/// ```
/// use weft_runtime::text::{hash_string, string_id};
/// assert_eq!(string_id("hello"), hash_string("hello"));
/// assert_eq!(string_id("X"), 101);
/// assert_eq!(string_id(""), 0);
/// ```
pub fn string_id(text: &str) -> u64 {
    match text {
        "" => 0,
        _ => symbol_id(text).unwrap_or_else(|| hash_string(text)),
    }
}
