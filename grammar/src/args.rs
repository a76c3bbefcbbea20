//! A layer's arguments: checked against its spec, each value checked for its kind, and every
//! argument left out given its default.

use crate::ast::{Layer, Value, ValueKind};
use crate::catalog::{ArgDefault, ArgKind, ArgSpec, EXPECTED_TABLE, INPUT, MAX_COUNT, MAX_WIDTH};
use crate::check::Checker;
use crate::error::Error;
use crate::flow::Flow;
use crate::message::{self, EXPECTED_COUNT};
use crate::net::{ArgValue, Count, Eager};
use crate::width::{Sym, Width};

/// The arguments of one layer, with the checker that binds their run-time values.
pub(crate) struct Args<'a, S> {
    checker: &'a mut Checker,
    layer: &'a Layer<S>,
}

impl<'a, S: Copy> Args<'a, S> {
    /// The layer's arguments, each one it takes, none twice.
    pub(crate) fn new(checker: &'a mut Checker, layer: &'a Layer<S>) -> Result<Self, Error<S>> {
        let names = layer.spec.arg_names();
        for (i, arg) in layer.args.iter().enumerate() {
            if !names.contains(&arg.name.as_str()) {
                return Err(Error::new(
                    arg.span,
                    message::unknown_argument(layer.spec, &arg.name),
                ));
            }
            if layer.args[..i].iter().any(|a| a.name == arg.name) {
                return Err(Error::new(
                    arg.span,
                    format!("`{}` is given twice", arg.name),
                ));
            }
        }
        Ok(Args { checker, layer })
    }

    /// The layer's input width: the flowing one, checked against an `input = N` argument.
    pub(crate) fn input_width(&mut self, input: &Flow) -> Result<Width, Error<S>> {
        let Some(given) = self.layer.arg(INPUT) else {
            return Ok(input.width.clone());
        };
        let width = self.width(given)?;
        // A run-time width can follow only a width that is not known when the program is
        // built: the network's input, a run-time width, a layer of the user's.
        let built_in = matches!(input.width, Width::Lit(_) | Width::Const(_));
        if matches!(width, Width::Run(_)) && built_in {
            return Err(Error::new(
                given.span,
                "`input` states the width a layer expects, checked when the program is built: \
                 give an integer or a constant (an UPPER_CASE name or a `{ block }`)",
            ));
        }
        if width.differs(&input.width) {
            return Err(Error::new(
                given.span,
                format!(
                    "`{}` expects width {}, but `{}` outputs {}",
                    self.layer.spec.name,
                    width.describe(),
                    input.source,
                    input.width.describe()
                ),
            ));
        }
        // Widths the grammar cannot compare (constants, run-time values) are compared by
        // rustc, or when the network is built.
        Ok(width)
    }

    /// The value of `arg`: as given, checked for its kind, or its default.
    pub(crate) fn resolve(
        &mut self,
        arg: &ArgSpec,
        in_width: &Width,
        input: &Flow,
        source: &str,
    ) -> Result<ArgValue, Error<S>> {
        if let Some(value) = self.layer.arg(arg.name) {
            return self.given(arg, value);
        }
        let kind = arg.kind;
        Ok(match arg.default {
            ArgDefault::Int(n) if kind == ArgKind::Width => ArgValue::Width(Width::Lit(n as usize)),
            ArgDefault::Int(n) => ArgValue::Int(n),
            ArgDefault::Float(x) => ArgValue::Float(x),
            ArgDefault::Bool(b) => ArgValue::Bool(b),
            ArgDefault::Input => ArgValue::Width(in_width.clone()),
            // A layer of the user's reports its width when the network is built.
            ArgDefault::KnownInput if in_width.is_inferred() && !user_width(in_width, input) => {
                return Err(Error::new(
                    self.layer.span,
                    format!(
                        "`{}` needs `{}`: the width before it is not known here ({})",
                        self.layer.spec.name,
                        arg.name,
                        input.says()
                    ),
                ));
            }
            ArgDefault::KnownInput => ArgValue::Width(in_width.clone()),
            ArgDefault::Required => {
                return Err(Error::new(
                    self.layer.span,
                    format!(
                        "`{}` needs `{}`, {}",
                        self.layer.spec.name, arg.name, EXPECTED_TABLE
                    ),
                ));
            }
            ArgDefault::FromData(method) => {
                let index = self.checker.bind_from_data(method, source);
                match kind {
                    ArgKind::Width => ArgValue::Width(Width::Run(Sym::FromData(index))),
                    _ => ArgValue::FromData(index),
                }
            }
        })
    }

    fn given(&mut self, arg: &ArgSpec, value: &Value<S>) -> Result<ArgValue, Error<S>> {
        let what = format!("`{}`", arg.name);
        Ok(match arg.kind {
            ArgKind::Width => ArgValue::Width(self.width(value)?),
            ArgKind::Size => match value.kind {
                ValueKind::Int(_) => ArgValue::Int(within(value, 1, u64::MAX, &what)?),
                ValueKind::Float(_) | ValueKind::Bool(_) | ValueKind::Literal => {
                    return Err(Error::new(value.span, EXPECTED_WIDTH));
                }
                ValueKind::Const(e) | ValueKind::Expr(e) => {
                    ArgValue::Bound(self.checker.bind(Eager::Size(e)))
                }
            },
            ArgKind::Count => match count(value, &what)? {
                Count::Int(n) => ArgValue::Int(n),
                Count::Expr(e) => ArgValue::Expr(e),
            },
            ArgKind::Seed => match value.kind {
                ValueKind::Int(_) => ArgValue::Int(within(value, 0, u32::MAX.into(), "a seed")?),
                ValueKind::Float(_) | ValueKind::Bool(_) | ValueKind::Literal => {
                    return Err(Error::new(value.span, "expected a seed: an integer"));
                }
                ValueKind::Const(e) | ValueKind::Expr(e) => ArgValue::Expr(e),
            },
            ArgKind::Index => match value.kind {
                ValueKind::Int(_) => ArgValue::Int(within(value, 0, MAX_COUNT, "an index")?),
                ValueKind::Float(_) | ValueKind::Bool(_) | ValueKind::Literal => {
                    return Err(Error::new(
                        value.span,
                        "expected an index: an integer from 0",
                    ));
                }
                ValueKind::Const(e) | ValueKind::Expr(e) => ArgValue::Expr(e),
            },
            ArgKind::Rate | ArgKind::Between(_) => rate(value)?,
            ArgKind::Table => match value.kind {
                ValueKind::Literal if value.text.starts_with('"') => {
                    ArgValue::Text(value.text.trim_matches('"').to_string())
                }
                ValueKind::Const(e) | ValueKind::Expr(e) => ArgValue::Expr(e),
                _ => {
                    return Err(Error::new(
                        value.span,
                        format!("{what} is {}, not `{}`", EXPECTED_TABLE, value.text),
                    ));
                }
            },
            ArgKind::Flag => match value.kind {
                ValueKind::Bool(b) => ArgValue::Bool(b),
                _ => {
                    return Err(Error::new(
                        value.span,
                        format!("{what} is `true` or `false`, not `{}`", value.text),
                    ));
                }
            },
        })
    }

    /// Refuses a rate between stacked layers ([`ArgKind::Between`]) given above 0 where the
    /// count of those layers is 1: there is nothing between, and nothing would be dropped.
    /// `values` are the layer's resolved arguments; a count given as an expression is not
    /// checked.
    pub(crate) fn check_between(&self, values: &[(&str, ArgValue)]) -> Result<(), Error<S>> {
        let value = |name: &str| values.iter().find(|(n, _)| *n == name).map(|(_, v)| v);
        for arg in self.layer.spec.args {
            let ArgKind::Between(count) = arg.kind else {
                continue;
            };
            let (Some(ArgValue::Float(rate)), Some(ArgValue::Int(1))) =
                (value(arg.name), value(count))
            else {
                continue;
            };
            if let (true, Some(given)) = (*rate > 0.0, self.layer.arg(arg.name)) {
                let layer = self.layer.spec.name;
                return Err(Error::new(
                    given.span,
                    format!(
                        "`{}` drops values between stacked layers, and `{layer}` has one \
                         (`{count}` is 1): give `{count} = 2` or more, or drop its output with \
                         a dropout layer after it",
                        arg.name
                    ),
                ));
            }
        }
        Ok(())
    }

    /// A width: an integer from 1 to [`MAX_WIDTH`], a constant, or a run-time `usize`
    /// expression.
    fn width(&mut self, value: &Value<S>) -> Result<Width, Error<S>> {
        Ok(match &value.kind {
            ValueKind::Int(_) => Width::Lit(within(value, 1, MAX_WIDTH, "a width")? as usize),
            ValueKind::Float(_) | ValueKind::Bool(_) | ValueKind::Literal => {
                return Err(Error::new(value.span, EXPECTED_WIDTH));
            }
            ValueKind::Const(e) => Width::Const(Sym::Expr(*e, value.text.clone())),
            ValueKind::Expr(e) => Width::Run(Sym::Bound(self.checker.bind(Eager::Size(*e)))),
        })
    }
}

/// A count (of copies, of stacked layers): an integer from 1 to [`MAX_COUNT`], or an
/// expression. `what` names it in messages.
pub(crate) fn count<S: Copy>(value: &Value<S>, what: &str) -> Result<Count, Error<S>> {
    match value.kind {
        ValueKind::Int(_) => Ok(Count::Int(within(value, 1, MAX_COUNT, what)?)),
        ValueKind::Float(_) | ValueKind::Bool(_) | ValueKind::Literal => {
            Err(Error::new(value.span, EXPECTED_COUNT))
        }
        ValueKind::Const(e) | ValueKind::Expr(e) => Ok(Count::Expr(e)),
    }
}

/// The integer `value`, if it is from `min` to `max`: else an error saying so of `what`.
fn within<S: Copy>(value: &Value<S>, min: u64, max: u64, what: &str) -> Result<u64, Error<S>> {
    let ValueKind::Int(n) = value.kind else {
        unreachable!("called on integers")
    };
    if n < i128::from(min) {
        return Err(Error::new(
            value.span,
            format!("{what} must be at least {min}"),
        ));
    }
    if n > i128::from(max) {
        return Err(Error::new(
            value.span,
            format!("{what} is at most {max}, not {n}"),
        ));
    }
    Ok(n as u64)
}

const EXPECTED_WIDTH: &str = "expected a width: an integer, a constant, or a `usize` expression";

/// A dropout rate: a number at least 0 and below 1, or an expression.
fn rate<S: Copy>(value: &Value<S>) -> Result<ArgValue, Error<S>> {
    let number = match value.kind {
        ValueKind::Float(x) => x,
        ValueKind::Int(n) => n as f64,
        ValueKind::Bool(_) | ValueKind::Literal => {
            return Err(Error::new(value.span, "expected a rate between 0 and 1"));
        }
        ValueKind::Const(e) | ValueKind::Expr(e) => return Ok(ArgValue::Expr(e)),
    };
    if !(0.0..1.0).contains(&number) {
        return Err(Error::new(
            value.span,
            format!("a dropout rate is at least 0 and below 1, not {number}"),
        ));
    }
    Ok(ArgValue::Float(number))
}

/// Whether `width` is the output width of the layer of the user's that `input` comes from,
/// which the network reads off that layer when it is built.
pub(crate) fn user_width(width: &Width, input: &Flow) -> bool {
    matches!((width, input.after), (Width::Infer(Some(id)), Some(after)) if *id == after.expr)
}
