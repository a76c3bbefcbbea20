//! spaCy's base norm exceptions (`spacy/lang/norm_exceptions.py`, `BASE_NORMS`): the norms that
//! every language's vocabulary gives in place of the lower-cased text.

/// `(text, norm)`, sorted by text (bytes), for a binary search.
const BASE_NORMS: [(&str, &str); 45] = [
    ("''", "\""),
    ("'S", "'s"),
    ("'s", "'s"),
    ("--", "-"),
    ("---", "-"),
    ("A$", "$"),
    ("C$", "$"),
    ("E£", "$"),
    ("Mex$", "$"),
    ("US$", "$"),
    ("`", "'"),
    ("``", "\""),
    ("£", "$"),
    ("¥", "$"),
    ("«", "\""),
    ("´", "'"),
    ("´´", "\""),
    ("»", "\""),
    ("।", "."),
    ("৳", "$"),
    ("฿", "$"),
    ("–", "-"),
    ("—", "-"),
    ("——", "-"),
    ("‘", "'"),
    ("‘‘", "\""),
    ("’", "'"),
    ("’S", "'s"),
    ("’s", "'s"),
    ("’’", "\""),
    ("“", "\""),
    ("”", "\""),
    ("„", "\""),
    ("…", "..."),
    ("₣", "$"),
    ("₩", "$"),
    ("€", "$"),
    ("₹", "$"),
    ("₺", "$"),
    ("。", "."),
    ("！", "!"),
    ("，", ","),
    ("：", ":"),
    ("；", ";"),
    ("？", "?"),
];

/// The norm spaCy's base exceptions give `text`, if any.
pub(super) fn base_norm(text: &str) -> Option<&'static str> {
    BASE_NORMS
        .binary_search_by(|(key, _)| key.cmp(&text))
        .ok()
        .map(|i| BASE_NORMS[i].1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_and_complete() {
        assert!(BASE_NORMS.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(base_norm("€"), Some("$"));
        assert_eq!(base_norm("’s"), Some("'s"));
        assert_eq!(base_norm("euro"), None);
    }
}
