//! The run-time front end: a network written as text, as in a config file, read with the
//! grammar of `model!` and given the same messages.
//!
//! ```
//! use weft_grammar::text;
//! let checked = text::check("embed(width = 64) >> bilstm(hidden = 32) >> attention >> softmax")
//!     .unwrap();
//! assert_eq!(checked.net.output_width().describe(), "a run-time width"); // classes: from the data
//!
//! let err = text::check("embed >> bilsm(hidden = 64)").unwrap_err();
//! assert!(err.message.starts_with("unknown layer `bilsm` (did you mean `bilstm`?)"));
//! assert_eq!(text::render(&err, "embed >> bilsm(hidden = 64)").lines().nth(2), Some("  embed >> bilsm(hidden = 64)"));
//! ```
//!
//! The text is what `model!` takes, but for values: an argument is a number (`width = 64`,
//! `rate = 0.2`), not a Rust expression, and a layer of the user's is a plain name (or a call
//! of one), for the run time to look up. Operators have Rust's precedence: `**` binds tightest,
//! then `+`, then `>>`, then `|`.

mod lex;
mod parser;
#[cfg(test)]
mod tests;

use crate::ast::Node;
use crate::check as checker;
use crate::error::Error;
use crate::message::missing_operand;
use crate::net::Checked;
use crate::parse::network;
use lex::{lex, pieces};
use parser::Parser;

/// A byte range of the text.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Pos {
    /// The first byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

/// Reads `text` as a network.
pub fn parse(text: &str) -> Result<Node<Pos>, Error<Pos>> {
    let tokens = lex(text)?;
    if tokens.is_empty() {
        return Err(Error::new(
            Pos { start: 0, end: 0 },
            "the network is empty: write one, such as `embed >> bilstm >> attention >> softmax`",
        ));
    }
    let mut parser = Parser {
        text,
        tokens: &tokens,
        next: 0,
        users: 0,
    };
    let syntax = parser
        .whole()
        .map_err(|err| missing_operand(&pieces(&tokens)).unwrap_or(err))?;
    network(syntax)
}

/// Reads and checks `text` as a network.
pub fn check(text: &str) -> Result<Checked<Pos>, Error<Pos>> {
    checker::check(parse(text)?)
}

/// `error` as a user reads it: the message, then the line and column, then the line of `text`
/// with the part at fault underlined.
pub fn render(error: &Error<Pos>, text: &str) -> String {
    let start = error.span.start.min(text.len());
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let line = &text[line_start..line_end];
    let number = text[..start].matches('\n').count() + 1;
    let column = text[line_start..start].chars().count() + 1;
    let width = text[start..error.span.end.clamp(start, line_end)]
        .chars()
        .count()
        .max(1);
    format!(
        "{}\n  at line {number}, column {column}:\n  {line}\n  {}{}",
        error.message,
        " ".repeat(column - 1),
        "^".repeat(width)
    )
}
