//! From [`Syntax`] to [`Node`]: which names are layers, which are combinators, and which
//! expressions are the user's; runs of one operator flattened. Both front ends end here, so a
//! misspelled layer or a misused operator gets the same message at compile time and at run
//! time.

use crate::ast::{Arg, CallArg, Layer, Node, Syntax, Value};
use crate::catalog::{self, Combinator};
use crate::error::Error;
use crate::message;

/// The network `syntax` describes.
pub fn network<S: Copy>(syntax: Syntax<S>) -> Result<Node<S>, Error<S>> {
    match syntax {
        Syntax::Paren(inner) => network(*inner),
        Syntax::Binary {
            op,
            span,
            left,
            right,
        } => match op.as_str() {
            ">>" => Ok(Node::Chain(flatten(">>", *left, *right)?)),
            "|" => Ok(Node::Concat(flatten("|", *left, *right)?, span)),
            "+" => Ok(Node::Add(flatten("+", *left, *right)?, span)),
            "*" => Err(Error::new(
                span,
                "`*` is not a network operator; `layer ** n` chains n copies of a layer",
            )),
            _ => Err(Error::new(
                span,
                format!(
                    "`{op}` is not a network operator: use `>>` (chain), `|` (concatenate), \
                     `+` (add) or `** n` (clone)"
                ),
            )),
        },
        Syntax::Clone { left, count } => Ok(Node::Clone(Box::new(network(*left)?), count)),
        Syntax::Name { name, span, user } => {
            if let Some(spec) = catalog::layer_spec(&name) {
                return Ok(Node::Layer(Layer {
                    spec,
                    span,
                    args: Vec::new(),
                }));
            }
            if catalog::combinator(&name).is_some() {
                return Err(Error::new(
                    span,
                    format!(
                        "`{name}` is a combinator: it takes layers, as in `{name}(relu >> relu)`"
                    ),
                ));
            }
            Ok(Node::User(user))
        }
        Syntax::Call {
            name,
            span,
            args,
            user,
        } => {
            if let Some(spec) = catalog::layer_spec(&name) {
                let args = args.into_iter().map(named).collect::<Result<_, _>>()?;
                return Ok(Node::Layer(Layer { spec, span, args }));
            }
            if let Some(combinator) = catalog::combinator(&name) {
                return combinator_call(combinator, &name, span, args);
            }
            // `foo(width = 64)` is no call a user would write: a misspelled layer.
            if args.iter().any(|a| matches!(a, CallArg::Named { .. })) {
                return Err(Error::new(span, message::unknown_layer(&name)));
            }
            Ok(Node::User(user))
        }
        Syntax::Literal(value) => Err(Error::new(
            value.span,
            format!(
                "expected a layer, found `{}`: a layer is a name such as `relu`, or a value of \
                 yours implementing `Model`",
                value.text
            ),
        )),
        Syntax::Other(user) => Ok(Node::User(user)),
    }
}

/// The operands of a run of one associative operator, left to right: `a >> b >> c` reads as
/// `(a >> b) >> c`, and `a >> (b >> c)` keeps its parentheses but means the same network.
fn flatten<S: Copy>(op: &str, left: Syntax<S>, right: Syntax<S>) -> Result<Vec<Node<S>>, Error<S>> {
    let mut nodes = Vec::new();
    for side in [left, right] {
        match strip_parens(side) {
            Syntax::Binary {
                op: inner,
                left,
                right,
                ..
            } if inner == op => nodes.extend(flatten(op, *left, *right)?),
            other => nodes.push(network(other)?),
        }
    }
    Ok(nodes)
}

fn strip_parens<S>(syntax: Syntax<S>) -> Syntax<S> {
    match syntax {
        Syntax::Paren(inner) => strip_parens(*inner),
        other => other,
    }
}

/// A layer's argument, which must be named.
fn named<S: Copy>(arg: CallArg<S>) -> Result<Arg<S>, Error<S>> {
    match arg {
        CallArg::Named {
            name: Some(name),
            span,
            value,
        } => Ok(Arg { name, span, value }),
        CallArg::Named {
            name: None, span, ..
        } => Err(Error::new(
            span,
            "an argument name is a plain identifier, as in `width = 64`",
        )),
        CallArg::Positional { span, .. } => Err(Error::new(
            span,
            "layer arguments are named, as in `embed(width = 64)`",
        )),
    }
}

fn combinator_call<S: Copy>(
    combinator: Combinator,
    name: &str,
    span: S,
    args: Vec<CallArg<S>>,
) -> Result<Node<S>, Error<S>> {
    let wrong = |expected: &str, found: usize| {
        Error::new(
            span,
            format!("`{name}` takes {expected}, found {found} arguments"),
        )
    };
    let found = args.len();
    match combinator {
        Combinator::Residual
        | Combinator::WithArray
        | Combinator::Sentences
        | Combinator::Both
        | Combinator::AttentionBy => {
            let [arg] = <[_; 1]>::try_from(args).map_err(|_| wrong("one network", found))?;
            let inner = Box::new(network(positional(arg)?.0)?);
            Ok(match combinator {
                Combinator::Residual => Node::Residual(inner, span),
                Combinator::WithArray => Node::WithArray(inner, span),
                Combinator::Both => Node::Both(inner, span),
                Combinator::AttentionBy => Node::AttentionBy(inner, span),
                _ => Node::Sentences(inner, span),
            })
        }
        Combinator::Clone => {
            let [layer, count] = <[_; 2]>::try_from(args)
                .map_err(|_| wrong("a layer and a count, as in `clone(relu, 3)`", found))?;
            let (_, count, count_span) = positional(count)?;
            let count = count.ok_or_else(|| Error::new(count_span, message::EXPECTED_COUNT))?;
            Ok(Node::Clone(Box::new(network(positional(layer)?.0)?), count))
        }
        Combinator::Chain | Combinator::Concat | Combinator::Add => {
            if args.is_empty() {
                return Err(wrong("at least one network", 0));
            }
            let nodes = args
                .into_iter()
                .map(|a| network(positional(a)?.0))
                .collect::<Result<_, _>>()?;
            Ok(match combinator {
                Combinator::Chain => Node::Chain(nodes),
                Combinator::Concat => Node::Concat(nodes, span),
                _ => Node::Add(nodes, span),
            })
        }
    }
}

/// A combinator's argument, which is a network, not `name = value`.
fn positional<S: Copy>(arg: CallArg<S>) -> Result<(Syntax<S>, Option<Value<S>>, S), Error<S>> {
    match arg {
        CallArg::Positional {
            syntax,
            value,
            span,
        } => Ok((syntax, value, span)),
        CallArg::Named { span, .. } => Err(Error::new(
            span,
            "a combinator takes networks, not named arguments",
        )),
    }
}
