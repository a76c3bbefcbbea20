//! The parsed form of a `model!` expression: operators flattened, layers and combinators named.

use proc_macro2::{Span, TokenStream, TokenTree};
use syn::spanned::Spanned;
use syn::{BinOp, Expr, Ident, UnOp};

use super::catalog::{self, Combinator};

/// A node of the network expression.
pub enum Node {
    /// `a >> b >> c`, or `chain(a, b, c)`.
    Chain(Vec<Node>),
    /// `a | b | c`, or `concat(a, b, c)`.
    Concat(Vec<Node>, Span),
    /// `a + b + c`, or `add(a, b, c)`.
    Add(Vec<Node>, Span),
    /// `a ** n`, or `clone(a, n)`: `n` fresh copies of `a`, chained.
    Clone(Box<Node>, Expr),
    /// `residual(a)`: `x + a(x)`.
    Residual(Box<Node>, Span),
    /// `with_array(a)`: a per-row network applied to every token.
    WithArray(Box<Node>, Span),
    /// A built-in layer, with its named arguments.
    Layer(Layer),
    /// Any other expression: a value implementing `weft::Model`.
    User(Expr),
}

/// A built-in layer as written: `name` or `name(arg = value, ...)`.
pub struct Layer {
    pub name: Ident,
    pub args: Vec<Arg>,
}

/// One `name = value` argument.
pub struct Arg {
    pub name: Ident,
    pub value: Expr,
}

impl Layer {
    /// The layer as the user wrote it, for messages: `embed(width = 64)`.
    pub fn source(&self) -> String {
        if self.args.is_empty() {
            return self.name.to_string();
        }
        let args: Vec<String> = self
            .args
            .iter()
            .map(|a| format!("{} = {}", a.name, tidy(&a.value)))
            .collect();
        format!("{}({})", self.name, args.join(", "))
    }
}

/// An expression as compact source text.
pub fn tidy(expr: &Expr) -> String {
    let text = quote::quote!(#expr).to_string();
    text.replace(" . ", ".")
        .replace(" (", "(")
        .replace("( ", "(")
        .replace(" )", ")")
        .replace(" ,", ",")
}

/// Parses the macro input.
pub fn parse(input: TokenStream) -> syn::Result<Node> {
    if input.is_empty() {
        return Err(syn::Error::new(
            Span::call_site(),
            "`model!` needs a network, such as `model!(embed >> bilstm >> attention >> softmax)`",
        ));
    }
    match syn::parse2::<Expr>(input.clone()) {
        Ok(expr) => node(expr),
        Err(err) => Err(operand_error(input).unwrap_or(err)),
    }
}

fn node(expr: Expr) -> syn::Result<Node> {
    match expr {
        Expr::Paren(e) => node(*e.expr),
        Expr::Group(e) => node(*e.expr),
        Expr::Binary(b) => binary(b),
        Expr::Path(p) if p.qself.is_none() && p.path.get_ident().is_some() => {
            let ident = p.path.get_ident().expect("checked").clone();
            bare(ident, Expr::Path(p))
        }
        Expr::Call(call) => match single_ident(&call.func) {
            Some(name) => named_call(name, call),
            None => Ok(Node::User(Expr::Call(call))),
        },
        other => Ok(Node::User(other)),
    }
}

fn single_ident(expr: &Expr) -> Option<Ident> {
    match expr {
        Expr::Path(p) if p.qself.is_none() => p.path.get_ident().cloned(),
        _ => None,
    }
}

/// A bare name: a layer with default arguments, a misused combinator, or a user's value.
fn bare(ident: Ident, expr: Expr) -> syn::Result<Node> {
    let name = ident.to_string();
    if catalog::layer(&name).is_some() {
        return Ok(Node::Layer(Layer {
            name: ident,
            args: Vec::new(),
        }));
    }
    if catalog::combinator(&name).is_some() {
        return Err(syn::Error::new(
            ident.span(),
            format!("`{name}` is a combinator: it takes layers, as in `{name}(relu >> relu)`"),
        ));
    }
    Ok(Node::User(expr))
}

fn binary(b: syn::ExprBinary) -> syn::Result<Node> {
    let span = b.op.span();
    match b.op {
        BinOp::Shr(_) => Ok(Node::Chain(flatten(*b.left, *b.right, is_chain)?)),
        BinOp::BitOr(_) => Ok(Node::Concat(flatten(*b.left, *b.right, is_concat)?, span)),
        BinOp::Add(_) => Ok(Node::Add(flatten(*b.left, *b.right, is_add)?, span)),
        BinOp::Mul(_) => match *b.right {
            Expr::Unary(syn::ExprUnary {
                op: UnOp::Deref(_),
                expr: count,
                ..
            }) => Ok(Node::Clone(Box::new(node(*b.left)?), *count)),
            _ => Err(syn::Error::new(
                span,
                "`*` is not a network operator; `layer ** n` chains n copies of a layer",
            )),
        },
        op => Err(syn::Error::new(
            span,
            format!(
                "`{}` is not a network operator: use `>>` (chain), `|` (concatenate), \
                 `+` (add) or `** n` (clone)",
                quote::quote!(#op)
            ),
        )),
    }
}

fn is_chain(e: &Expr) -> bool {
    matches!(e, Expr::Binary(b) if matches!(b.op, BinOp::Shr(_)))
}
fn is_concat(e: &Expr) -> bool {
    matches!(e, Expr::Binary(b) if matches!(b.op, BinOp::BitOr(_)))
}
fn is_add(e: &Expr) -> bool {
    matches!(e, Expr::Binary(b) if matches!(b.op, BinOp::Add(_)))
}

/// The operands of a run of one associative operator, left to right: `a >> b >> c` parses as
/// `(a >> b) >> c`, and `a >> (b >> c)` keeps its parentheses but means the same network.
fn flatten(left: Expr, right: Expr, same: fn(&Expr) -> bool) -> syn::Result<Vec<Node>> {
    let mut nodes = Vec::new();
    for side in [left, right] {
        let side = strip_parens(side);
        if same(&side) {
            let Expr::Binary(b) = side else {
                unreachable!("`same` matched a binary expression")
            };
            nodes.extend(flatten(*b.left, *b.right, same)?);
        } else {
            nodes.push(node(side)?);
        }
    }
    Ok(nodes)
}

fn strip_parens(expr: Expr) -> Expr {
    match expr {
        Expr::Paren(e) => strip_parens(*e.expr),
        Expr::Group(e) => strip_parens(*e.expr),
        other => other,
    }
}

fn named_call(name: Ident, call: syn::ExprCall) -> syn::Result<Node> {
    let text = name.to_string();
    if catalog::layer(&text).is_some() {
        let args = call
            .args
            .into_iter()
            .map(named_arg)
            .collect::<syn::Result<_>>()?;
        return Ok(Node::Layer(Layer { name, args }));
    }
    if let Some(combinator) = catalog::combinator(&text) {
        return combinator_call(combinator, name, call);
    }
    // `foo(width = 64)` is no Rust a user would write: a misspelled layer.
    if call.args.iter().any(|a| matches!(a, Expr::Assign(_))) {
        return Err(syn::Error::new(name.span(), catalog::unknown_layer(&text)));
    }
    Ok(Node::User(Expr::Call(call)))
}

fn named_arg(arg: Expr) -> syn::Result<Arg> {
    match arg {
        Expr::Assign(assign) => match single_ident(&assign.left) {
            Some(name) => Ok(Arg {
                name,
                value: *assign.right,
            }),
            None => Err(syn::Error::new(
                assign.left.span(),
                "an argument name is a plain identifier, as in `width = 64`",
            )),
        },
        other => Err(syn::Error::new(
            other.span(),
            "layer arguments are named, as in `embed(width = 64)`",
        )),
    }
}

fn combinator_call(combinator: Combinator, name: Ident, call: syn::ExprCall) -> syn::Result<Node> {
    let span = name.span();
    let mut args: Vec<Expr> = call.args.into_iter().collect();
    let wrong = |expected: &str, found: usize| {
        syn::Error::new(
            span,
            format!("`{name}` takes {expected}, found {found} arguments"),
        )
    };
    match combinator {
        Combinator::Residual | Combinator::WithArray => {
            if args.len() != 1 {
                return Err(wrong("one network", args.len()));
            }
            let inner = Box::new(node(args.pop().expect("one argument"))?);
            Ok(match combinator {
                Combinator::Residual => Node::Residual(inner, span),
                _ => Node::WithArray(inner, span),
            })
        }
        Combinator::Clone => {
            if args.len() != 2 {
                return Err(wrong(
                    "a layer and a count, as in `clone(relu, 3)`",
                    args.len(),
                ));
            }
            let count = args.pop().expect("two arguments");
            Ok(Node::Clone(
                Box::new(node(args.pop().expect("two"))?),
                count,
            ))
        }
        Combinator::Chain | Combinator::Concat | Combinator::Add => {
            if args.is_empty() {
                return Err(wrong("at least one network", 0));
            }
            let nodes = args.into_iter().map(node).collect::<syn::Result<_>>()?;
            Ok(match combinator {
                Combinator::Chain => Node::Chain(nodes),
                Combinator::Concat => Node::Concat(nodes, span),
                _ => Node::Add(nodes, span),
            })
        }
    }
}

/// When the input does not parse, a message for a missing operand: an operator at the start or
/// the end, two operators in a row, or `**` without a count.
fn operand_error(input: TokenStream) -> Option<syn::Error> {
    let tokens: Vec<TokenTree> = input.into_iter().collect();
    let mut i = 0;
    let mut previous_was_operator = true;
    let mut last_operator: Option<(String, Span)> = None;
    while i < tokens.len() {
        if let Some((op, len)) = operator_at(&tokens[i..]) {
            let span = tokens[i].span();
            if op == "**" && i + len == tokens.len() {
                return Some(syn::Error::new(
                    span,
                    "`**` needs a count: `layer ** 3` chains three copies",
                ));
            }
            if previous_was_operator {
                let message = match &last_operator {
                    Some((before, _)) => format!("missing layer between `{before}` and `{op}`"),
                    None => format!("missing layer before `{op}`"),
                };
                return Some(syn::Error::new(span, message));
            }
            previous_was_operator = true;
            last_operator = Some((op, span));
            i += len;
        } else {
            previous_was_operator = false;
            i += 1;
        }
    }
    match last_operator {
        Some((op, span)) if previous_was_operator => {
            Some(syn::Error::new(span, format!("missing layer after `{op}`")))
        }
        _ => None,
    }
}

/// The network operator starting at `tokens[0]` and how many tokens it spans.
fn operator_at(tokens: &[TokenTree]) -> Option<(String, usize)> {
    let punct = |i: usize| match tokens.get(i) {
        Some(TokenTree::Punct(p)) => Some(p.clone()),
        _ => None,
    };
    let first = punct(0)?;
    let joint_with = |c: char| {
        first.spacing() == proc_macro2::Spacing::Joint && punct(1).is_some_and(|p| p.as_char() == c)
    };
    match first.as_char() {
        '>' if joint_with('>') => Some((">>".into(), 2)),
        '*' if joint_with('*') => Some(("**".into(), 2)),
        '|' | '+' => Some((first.as_char().to_string(), 1)),
        _ => None,
    }
}
