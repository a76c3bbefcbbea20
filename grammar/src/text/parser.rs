//! Tokens into [`Syntax`]: a recursive-descent reader, with binary operators by precedence
//! climbing.

use super::Pos;
use super::lex::Token;
use crate::ast::{CallArg, ExprId, Syntax, User, Value, ValueKind};
use crate::error::Error;

/// How tightly a binary operator binds, as in Rust; `None` for what is not one.
fn binding_power(op: &str) -> Option<u8> {
    Some(match op {
        "||" => 1,
        "&&" => 2,
        "==" | "!=" | "<" | ">" | "<=" | ">=" => 3,
        "|" => 4,
        "^" => 5,
        "&" => 6,
        "<<" | ">>" => 7,
        "+" | "-" => 8,
        "*" | "/" | "%" | "**" => 9,
        _ => return None,
    })
}

/// A recursive-descent reader of the tokens, with binary operators by precedence climbing.
pub(super) struct Parser<'t> {
    pub(super) text: &'t str,
    pub(super) tokens: &'t [(Token, Pos)],
    pub(super) next: usize,
    /// Layers of the user's read so far: the next one's [`ExprId`].
    pub(super) users: usize,
}

type Parsed<T> = Result<T, Error<Pos>>;

impl Parser<'_> {
    /// The whole text as one network.
    pub(super) fn whole(&mut self) -> Parsed<Syntax<Pos>> {
        let syntax = self.expression(0)?;
        match self.tokens.get(self.next) {
            None => Ok(syntax),
            Some((_, pos)) => Err(self.unexpected(*pos, "an operator such as `>>`")),
        }
    }

    /// Operands joined by operators binding tighter than `min`.
    fn expression(&mut self, min: u8) -> Parsed<Syntax<Pos>> {
        let mut left = self.operand()?;
        while let Some((Token::Punct(op), span)) = self.tokens.get(self.next).cloned() {
            let Some(power) = binding_power(op).filter(|&p| p > min) else {
                break;
            };
            self.next += 1;
            // `a * *n` is `a ** n`, as Rust reads it.
            let op = match op {
                "*" if self.peek_is("*") => {
                    self.next += 1;
                    "**"
                }
                op => op,
            };
            left = if op == "**" {
                Syntax::Clone {
                    left: Box::new(left),
                    count: self.value()?,
                }
            } else {
                Syntax::Binary {
                    op: op.to_string(),
                    span,
                    left: Box::new(left),
                    right: Box::new(self.expression(power)?),
                }
            };
        }
        Ok(left)
    }

    /// A layer, a call, a layer of the user's, or a network in parentheses.
    fn operand(&mut self) -> Parsed<Syntax<Pos>> {
        let Some((token, pos)) = self.tokens.get(self.next).cloned() else {
            return Err(self.end("a layer"));
        };
        self.next += 1;
        match token {
            Token::Punct("(") => {
                let inner = self.expression(0)?;
                self.expect(")")?;
                Ok(Syntax::Paren(Box::new(inner)))
            }
            Token::Name(name) if self.peek_is("(") => {
                self.next += 1;
                let args = self.call_args()?;
                let whole = Pos {
                    start: pos.start,
                    end: self.tokens[self.next - 1].1.end,
                };
                let user = self.user(whole);
                Ok(Syntax::Call {
                    name,
                    span: pos,
                    args,
                    user,
                })
            }
            Token::Name(name) => Ok(Syntax::Name {
                name,
                span: pos,
                user: self.user(pos),
            }),
            Token::Int(_) | Token::Float(_) | Token::Str => Ok(Syntax::Literal(
                literal(&token, self.text, pos).expect("a literal token"),
            )),
            Token::Punct(_) => Err(self.unexpected(pos, "a layer")),
        }
    }

    /// The arguments of a call, after its `(`, through its `)`.
    fn call_args(&mut self) -> Parsed<Vec<CallArg<Pos>>> {
        let mut args = Vec::new();
        while !self.peek_is(")") {
            let named = matches!(self.tokens.get(self.next), Some((Token::Name(_), _)))
                && matches!(self.tokens.get(self.next + 1), Some((Token::Punct("="), _)));
            args.push(if named {
                let (Token::Name(name), span) = self.tokens[self.next].clone() else {
                    unreachable!("checked above")
                };
                self.next += 2;
                CallArg::Named {
                    name: Some(name),
                    span,
                    value: self.value()?,
                }
            } else {
                let start = self.next;
                let syntax = self.expression(0)?;
                let span = Pos {
                    start: self.tokens[start].1.start,
                    end: self.tokens[self.next - 1].1.end,
                };
                let value = (self.next == start + 1)
                    .then(|| literal(&self.tokens[start].0, self.text, span))
                    .flatten();
                CallArg::Positional {
                    syntax,
                    value,
                    span,
                }
            });
            if !self.peek_is(")") {
                self.expect(",")?;
            }
        }
        self.expect(")")?;
        Ok(args)
    }

    /// An argument's value: a literal.
    fn value(&mut self) -> Parsed<Value<Pos>> {
        let Some((token, pos)) = self.tokens.get(self.next).cloned() else {
            return Err(self.end("a value"));
        };
        self.next += 1;
        if token == Token::Punct("-")
            && let Some((number @ (Token::Int(_) | Token::Float(_)), at)) =
                self.tokens.get(self.next).cloned()
        {
            self.next += 1;
            let span = Pos {
                start: pos.start,
                end: at.end,
            };
            let value = literal(&number, self.text, at).expect("a number");
            return Ok(value.negated(self.text[span.start..span.end].to_string(), span));
        }
        literal(&token, self.text, pos).ok_or_else(|| {
            Error::new(
                pos,
                format!(
                    "expected a value, such as `width = 64`, found `{}`",
                    &self.text[pos.start..pos.end]
                ),
            )
        })
    }

    fn user(&mut self, span: Pos) -> User<Pos> {
        self.users += 1;
        User {
            expr: ExprId(self.users - 1),
            text: self.text[span.start..span.end].to_string(),
            span,
        }
    }

    fn peek_is(&self, punct: &str) -> bool {
        matches!(self.tokens.get(self.next), Some((Token::Punct(p), _)) if *p == punct)
    }

    fn expect(&mut self, punct: &str) -> Parsed<()> {
        match self.tokens.get(self.next) {
            Some((Token::Punct(p), _)) if *p == punct => {
                self.next += 1;
                Ok(())
            }
            Some((_, pos)) => Err(self.unexpected(*pos, &format!("`{punct}`"))),
            None => Err(self.end(&format!("`{punct}`"))),
        }
    }

    fn unexpected(&self, pos: Pos, wanted: &str) -> Error<Pos> {
        Error::new(
            pos,
            format!(
                "expected {wanted}, found `{}`",
                &self.text[pos.start..pos.end]
            ),
        )
    }

    fn end(&self, wanted: &str) -> Error<Pos> {
        let end = self.text.trim_end().len();
        Error::new(
            Pos { start: end, end },
            format!("expected {wanted}, but the network ends here"),
        )
    }
}

/// `token` as an argument's value, if it is a literal.
fn literal(token: &Token, text: &str, span: Pos) -> Option<Value<Pos>> {
    let kind = match token {
        Token::Int(n) => ValueKind::Int(i128::from(*n)),
        Token::Float(x) => ValueKind::Float(*x),
        Token::Str => ValueKind::Literal,
        Token::Name(name) if name == "true" || name == "false" => ValueKind::Bool(name == "true"),
        _ => return None,
    };
    Some(Value {
        kind,
        text: text[span.start..span.end].to_string(),
        span,
    })
}
