//! Python's `str` predicates on one code point, which spaCy's attributes are written with:
//! `isalpha`, `isupper`, `isdigit` and `isspace` (CPython's `unicodedata`), from the Unicode
//! general category where Rust's `char` methods mean something else.

use unicode_general_category::{GeneralCategory, get_general_category};

/// `c.isalpha()`: a letter (category L*). Not `char::is_alphabetic`, which also takes letter
/// numbers (Ⅻ) and the vowel signs of Indic scripts.
pub(super) fn is_alpha(c: char) -> bool {
    use GeneralCategory::*;
    matches!(
        get_general_category(c),
        UppercaseLetter | LowercaseLetter | TitlecaseLetter | ModifierLetter | OtherLetter
    )
}

/// `c.isupper()` for a letter: an upper-case letter (category Lu; the letters with the property
/// Uppercase are those).
pub(super) fn is_upper_letter(c: char) -> bool {
    get_general_category(c) == GeneralCategory::UppercaseLetter
}

/// `c.isdigit()`: a decimal digit (category Nd) or one of the other code points with a digit
/// value (Numeric_Type Digit: superscripts, circled digits, ...). Not `char::is_numeric`, which
/// also takes fractions and Roman numerals.
pub(super) fn is_digit(c: char) -> bool {
    get_general_category(c) == GeneralCategory::DecimalNumber
        || DIGITS_NOT_DECIMAL
            .iter()
            .any(|&(first, last)| (first..=last).contains(&c))
}

/// `c.isspace()`: White_Space, as `char::is_whitespace`, and the separators U+001C to U+001F,
/// which Python counts as spaces by their bidirectional class.
pub(super) fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// The code points of Numeric_Type Digit (`isdigit` but not `isdecimal`), as ranges.
const DIGITS_NOT_DECIMAL: [(char, char); 20] = [
    ('\u{b2}', '\u{b3}'),
    ('\u{b9}', '\u{b9}'),
    ('\u{1369}', '\u{1371}'),
    ('\u{19da}', '\u{19da}'),
    ('\u{2070}', '\u{2070}'),
    ('\u{2074}', '\u{2079}'),
    ('\u{2080}', '\u{2089}'),
    ('\u{2460}', '\u{2468}'),
    ('\u{2474}', '\u{247c}'),
    ('\u{2488}', '\u{2490}'),
    ('\u{24ea}', '\u{24ea}'),
    ('\u{24f5}', '\u{24fd}'),
    ('\u{24ff}', '\u{24ff}'),
    ('\u{2776}', '\u{277e}'),
    ('\u{2780}', '\u{2788}'),
    ('\u{278a}', '\u{2792}'),
    ('\u{10a40}', '\u{10a43}'),
    ('\u{10e60}', '\u{10e68}'),
    ('\u{11052}', '\u{1105a}'),
    ('\u{1f100}', '\u{1f10a}'),
];
