//! Token attributes and string ids exactly as spaCy computes them, so that a network of weft's
//! reads the same keys as a spaCy pipeline's: [`Attr`] names an attribute, [`Attr::keys`] gives
//! the keys of a batch of [`Token`]s for a [`HashEmbed`](crate::layers::HashEmbed), and
//! [`string_id`] and [`hash_string`] are spaCy's `StringStore` ids; [`Vectors`] is a table of
//! pretrained word vectors, keyed by [`Attr::Orth`].
//!
//! The attributes are those of the text alone, as a blank pipeline's vocabulary
//! (`spacy.blank(lang)`) computes them, code point by code point, as Python's `str`. A text
//! has its attributes whatever the language (spaCy's languages differ in tokenization, stop
//! words and `LIKE_NUM`, none of which is here), but for the norms of three: Hindi and Nepali
//! norm a word to a stem, Haitian Creole by a table of its own, and [`norm`] does neither.
//!
//! ```
//! use weft_runtime::text::{Attr, Token, shape};
//! let words = ["Merhaba", "dünya", "!"];
//! let tokens: Vec<Token> = words
//!     .iter()
//!     .enumerate()
//!     .map(|(i, text)| Token { text, space_after: i + 2 < words.len() })
//!     .collect();
//! assert_eq!(Attr::Spacy.keys(&tokens).as_slice(), [1, 0, 0]);
//! assert_eq!(shape("dünya"), "xxxx");
//! ```

mod attrs;
mod lexeme;
mod norms;
mod python_str;
mod strings;
mod symbols;
mod vectors;

pub use attrs::{Attr, Token};
pub use lexeme::{is_space, norm, prefix, shape, suffix};
pub use strings::{hash_string, string_id};
pub use vectors::Vectors;

#[cfg(test)]
mod tests;
