//! Messages that more than one part of the grammar gives, and the spelling suggestions.

use crate::catalog::{LAYERS, LayerSpec, Takes};
use crate::error::Error;

/// A count that is not one.
pub const EXPECTED_COUNT: &str = "expected a count: an integer or a `usize` expression";

/// The advice for data that no layer but an embedding reads: "put `embed` first".
pub fn put_embedding_first() -> String {
    let embedding = LAYERS.iter().find(|s| s.takes == Takes::Ids);
    format!(
        "put `{}` first",
        embedding.map_or("an embedding", |s| s.name)
    )
}

/// The message for a call of an unknown layer.
pub fn unknown_layer(name: &str) -> String {
    let names: Vec<&str> = LAYERS.iter().map(|s| s.name).collect();
    format!(
        "unknown layer `{name}`{}; the layers are {}",
        did_you_mean(name, &names),
        names.join(", ")
    )
}

/// The message for an argument `arg` that `spec` does not take.
pub fn unknown_argument(spec: &LayerSpec, arg: &str) -> String {
    let names = spec.arg_names();
    let list = names
        .iter()
        .map(|a| format!("`{a}`"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "`{}` has no argument `{arg}`{}; it takes {list}",
        spec.name,
        did_you_mean(arg, &names)
    )
}

/// `; did you mean `x`?` for the closest of `names` within two edits, else nothing.
fn did_you_mean(word: &str, names: &[&str]) -> String {
    names
        .iter()
        .map(|n| (edit_distance(word, n), *n))
        .filter(|&(d, _)| d <= 2)
        .min()
        .map(|(_, n)| format!(" (did you mean `{n}`?)"))
        .unwrap_or_default()
}

/// Levenshtein distance, counting a swap of two neighbours as one edit.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

/// One piece of a network's top level, for [`missing_operand`]: a network operator, or
/// anything else.
#[derive(Clone, Debug)]
pub enum Piece<S> {
    /// `>>`, `|`, `+` or `**`, with where it was written.
    Operator(&'static str, S),
    /// An operand, or a part of one.
    Other,
}

/// For a network that does not parse, the message for a missing operand: an operator at the
/// start or at the end, two operators in a row, or `**` without a count. `None` when no
/// operand is missing.
pub fn missing_operand<S: Copy>(pieces: &[Piece<S>]) -> Option<Error<S>> {
    let mut previous_was_operator = true;
    let mut last: Option<(&str, S)> = None;
    for (i, piece) in pieces.iter().enumerate() {
        let Piece::Operator(op, span) = *piece else {
            previous_was_operator = false;
            continue;
        };
        if op == "**" && i + 1 == pieces.len() {
            return Some(Error::new(
                span,
                "`**` needs a count: `layer ** 3` chains three copies",
            ));
        }
        if previous_was_operator {
            let message = match last {
                Some((before, _)) => format!("missing layer between `{before}` and `{op}`"),
                None => format!("missing layer before `{op}`"),
            };
            return Some(Error::new(span, message));
        }
        previous_was_operator = true;
        last = Some((op, span));
    }
    match last {
        Some((op, span)) if previous_was_operator => {
            Some(Error::new(span, format!("missing layer after `{op}`")))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_allow_two_edits_and_count_a_swap_as_one() {
        assert_eq!(edit_distance("bilsm", "bilstm"), 1);
        assert_eq!(edit_distance("widht", "width"), 1);
        assert_eq!(edit_distance("size", "hidden"), 4);
        assert_eq!(
            did_you_mean("relu_", &["relu", "mish"]),
            " (did you mean `relu`?)"
        );
        assert_eq!(did_you_mean("sigmoid", &["relu", "mish"]), "");
    }

    #[test]
    fn a_missing_operand_is_named_by_its_neighbours() {
        use Piece::{Operator as Op, Other};
        let say = |pieces: &[Piece<usize>]| missing_operand(pieces).map(|e| (e.message, e.span));
        assert_eq!(say(&[Other, Op(">>", 1), Other]), None);
        assert_eq!(
            say(&[Op(">>", 0), Other]),
            Some(("missing layer before `>>`".into(), 0))
        );
        assert_eq!(
            say(&[Other, Op(">>", 1), Op("|", 2), Other]),
            Some(("missing layer between `>>` and `|`".into(), 2))
        );
        assert_eq!(
            say(&[Other, Op("+", 1)]),
            Some(("missing layer after `+`".into(), 1))
        );
        assert_eq!(
            say(&[Other, Op("**", 1)]),
            Some((
                "`**` needs a count: `layer ** 3` chains three copies".into(),
                1
            ))
        );
    }
}
