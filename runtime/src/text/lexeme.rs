//! The string attributes of a token's text, as spaCy's vocabulary computes them for a lexeme
//! (`spacy/lang/lex_attrs.py`): code point by code point, as Python's `str` methods.

use std::borrow::Cow;

use super::norms::base_norm;
use super::python_str::{is_alpha, is_digit, is_upper_letter};

/// Words this long (in code points) or longer have the shape `LONG`.
const LONG: usize = 100;

/// The norm: the base exceptions' norm where `text` has one (`’` → `'`, `€` → `$`, `--` →
/// `-`), else `text` lower-cased (full Unicode lower-casing, with the final sigma, as Python's
/// `str.lower`).
///
/// A trained pipeline may add a language's table of norms (spacy-lookups-data's `lexeme_norm`,
/// British spellings for English, say), and spaCy's tokenizer gives the tokens of its
/// exceptions norms of their own (`n't` → `not`); neither is a property of the text alone, and
/// neither is here.
///
/// ```
/// use weft_runtime::text::norm;
/// assert_eq!(norm("Hello"), "hello");
/// assert_eq!(norm("’"), "'");
/// assert_eq!(norm("ΟΔΟΣ"), "οδος");
/// ```
pub fn norm(text: &str) -> Cow<'_, str> {
    match base_norm(text) {
        Some(norm) => Cow::Borrowed(norm),
        None => Cow::Owned(text.to_lowercase()),
    }
}

/// The prefix: the first code point (empty for the empty string).
///
/// ```
/// use weft_runtime::text::prefix;
/// assert_eq!(prefix("İstanbul"), "İ");
/// assert_eq!(prefix(""), "");
/// ```
pub fn prefix(text: &str) -> &str {
    let end = text.chars().next().map_or(0, char::len_utf8);
    &text[..end]
}

/// The suffix: the last three code points (the whole of a shorter text).
///
/// ```
/// use weft_runtime::text::suffix;
/// assert_eq!(suffix("kitapçı"), "pçı");
/// assert_eq!(suffix("ab"), "ab");
/// ```
pub fn suffix(text: &str) -> &str {
    let start = text.char_indices().rev().nth(2).map_or(0, |(i, _)| i);
    &text[start..]
}

/// The shape (spaCy's `word_shape`): each letter as `X` (upper case) or `x`, each digit as `d`,
/// any other code point as itself, a run of one shape character cut after four, and `LONG` for
/// a text of 100 code points or more.
///
/// ```
/// use weft_runtime::text::shape;
/// assert_eq!(shape("Apple"), "Xxxxx");
/// assert_eq!(shape("Wellington"), "Xxxxx");
/// assert_eq!(shape("1,234.5"), "d,ddd.d");
/// assert_eq!(shape("🙂!!!!!"), "🙂!!!!");
/// ```
pub fn shape(text: &str) -> String {
    if text.chars().nth(LONG - 1).is_some() {
        return "LONG".to_string();
    }
    let mut shape = String::new();
    let mut last = None;
    let mut run = 0;
    for c in text.chars() {
        let shape_char = match c {
            c if is_alpha(c) && is_upper_letter(c) => 'X',
            c if is_alpha(c) => 'x',
            c if is_digit(c) => 'd',
            c => c,
        };
        if last == Some(shape_char) {
            run += 1;
        } else {
            run = 0;
            last = Some(shape_char);
        }
        if run < 4 {
            shape.push(shape_char);
        }
    }
    shape
}

/// Whether the text is all white space (Python's `str.isspace`; false for the empty string).
///
/// ```
/// use weft_runtime::text::is_space;
/// assert!(is_space(" \n\u{a0}"));
/// assert!(!is_space(""));
/// ```
pub fn is_space(text: &str) -> bool {
    !text.is_empty() && text.chars().all(super::python_str::is_space)
}
