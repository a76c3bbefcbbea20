//! Text into tokens: names, numbers, strings, and operators and marks.

use super::Pos;
use crate::error::Error;
use crate::message::Piece;

/// One token of the text.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Token {
    Name(String),
    Int(u64),
    Float(f64),
    /// A string in double quotes: a literal no argument takes.
    Str,
    /// An operator or a mark: `>>`, `**`, `|`, `(`, `=`, `,`, ...
    Punct(&'static str),
}

/// The operators and marks, longest first.
const PUNCTS: &[&str] = &[
    ">>", "<<", "**", "&&", "||", "==", "!=", "<=", ">=", ">", "<", "|", "&", "^", "+", "-", "*",
    "/", "%", "=", ",", "(", ")", "!", ".", ":", ";", "[", "]", "{", "}",
];

pub(super) fn lex(text: &str) -> Result<Vec<(Token, Pos)>, Error<Pos>> {
    let mut tokens = Vec::new();
    let mut rest = text.char_indices().peekable();
    while let Some(&(start, c)) = rest.peek() {
        let word = |pred: fn(char) -> bool| {
            let end = text[start..]
                .find(|c: char| !pred(c))
                .map_or(text.len(), |i| start + i);
            (&text[start..end], end)
        };
        let (token, end) = if c.is_whitespace() {
            rest.next();
            continue;
        } else if c.is_alphabetic() || c == '_' {
            let (name, end) = word(|c| c.is_alphanumeric() || c == '_');
            (Token::Name(name.to_string()), end)
        } else if c.is_ascii_digit() {
            let (number, end) = word(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_');
            (self::number(number, Pos { start, end })?, end)
        } else if c == '"' {
            let end = text[start + 1..]
                .find('"')
                .map(|i| start + i + 2)
                .ok_or_else(|| {
                    Error::new(
                        Pos {
                            start,
                            end: start + 1,
                        },
                        "this string has no closing `\"`",
                    )
                })?;
            (Token::Str, end)
        } else if let Some(punct) = PUNCTS.iter().find(|p| text[start..].starts_with(**p)) {
            (Token::Punct(punct), start + punct.len())
        } else {
            let end = start + c.len_utf8();
            return Err(Error::new(
                Pos { start, end },
                format!("`{c}` has no meaning in a network"),
            ));
        };
        tokens.push((token, Pos { start, end }));
        while rest.peek().is_some_and(|&(i, _)| i < end) {
            rest.next();
        }
    }
    Ok(tokens)
}

fn number(text: &str, pos: Pos) -> Result<Token, Error<Pos>> {
    let digits = text.replace('_', "");
    if let Ok(n) = digits.parse::<u64>() {
        return Ok(Token::Int(n));
    }
    match digits.parse::<f64>() {
        Ok(x) if x.is_finite() && digits.contains('.') => Ok(Token::Float(x)),
        _ => Err(Error::new(pos, format!("`{text}` is not a number"))),
    }
}

/// The network operators at the top level of `tokens` (outside parentheses), for
/// [`missing_operand`].
pub(super) fn pieces(tokens: &[(Token, Pos)]) -> Vec<Piece<Pos>> {
    let mut depth = 0usize;
    let mut pieces = Vec::new();
    for (token, pos) in tokens {
        let piece = match token {
            Token::Punct("(") => {
                depth += 1;
                Piece::Other
            }
            Token::Punct(")") => {
                depth = depth.saturating_sub(1);
                Piece::Other
            }
            Token::Punct(op @ (">>" | "|" | "+" | "**")) if depth == 0 => Piece::Operator(op, *pos),
            _ => Piece::Other,
        };
        if depth == 0 || matches!(token, Token::Punct("(")) {
            pieces.push(piece);
        }
    }
    pieces
}
