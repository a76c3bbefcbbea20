//! The macro's front end: Rust tokens, parsed by syn, as the grammar's [`Syntax`]. The
//! expressions the grammar does not read (layers of the user's, constant and run-time values)
//! are kept in [`Exprs`] and referred to by index.

use proc_macro2::{Span, TokenStream, TokenTree};
use syn::spanned::Spanned;
use syn::{BinOp, Expr, ExprLit, Lit, UnOp};
use weft_grammar::{CallArg, ExprId, Piece, Syntax, User, Value, ValueKind, missing_operand};

/// The expressions of a network that the grammar refers to by [`ExprId`].
#[derive(Default)]
pub struct Exprs(Vec<Expr>);

impl Exprs {
    fn push(&mut self, expr: Expr) -> ExprId {
        self.0.push(expr);
        ExprId(self.0.len() - 1)
    }

    /// The expression `id` refers to.
    pub fn get(&self, id: ExprId) -> &Expr {
        &self.0[id.0]
    }
}

/// A grammar error as a compile error.
pub fn error(err: weft_grammar::Error<Span>) -> syn::Error {
    syn::Error::new(err.span, err.message)
}

/// Parses the macro input.
pub fn parse(input: TokenStream, exprs: &mut Exprs) -> syn::Result<Syntax<Span>> {
    if input.is_empty() {
        return Err(syn::Error::new(
            Span::call_site(),
            "`model!` needs a network, such as `model!(embed >> bilstm >> attention >> softmax)`",
        ));
    }
    match syn::parse2::<Expr>(input.clone()) {
        Ok(expr) => syntax(expr, exprs),
        Err(err) => Err(missing_operand(&pieces(input)).map_or(err, error)),
    }
}

fn syntax(expr: Expr, exprs: &mut Exprs) -> syn::Result<Syntax<Span>> {
    Ok(match expr {
        Expr::Paren(e) => Syntax::Paren(Box::new(syntax(*e.expr, exprs)?)),
        Expr::Group(e) => Syntax::Paren(Box::new(syntax(*e.expr, exprs)?)),
        // `a ** n` is `a * (*n)` to Rust.
        Expr::Binary(syn::ExprBinary {
            left,
            op: BinOp::Mul(_),
            right,
            ..
        }) if matches!(&*right, Expr::Unary(u) if matches!(u.op, UnOp::Deref(_))) => {
            let Expr::Unary(count) = *right else {
                unreachable!("matched above")
            };
            Syntax::Clone {
                left: Box::new(syntax(*left, exprs)?),
                count: value(*count.expr, exprs)?,
            }
        }
        Expr::Binary(b) => {
            let op = &b.op;
            Syntax::Binary {
                op: quote::quote!(#op).to_string(),
                span: b.op.span(),
                left: Box::new(syntax(*b.left, exprs)?),
                right: Box::new(syntax(*b.right, exprs)?),
            }
        }
        Expr::Path(ref p) if p.qself.is_none() && p.path.get_ident().is_some() => {
            let ident = p.path.get_ident().expect("checked").clone();
            Syntax::Name {
                name: ident.to_string(),
                span: ident.span(),
                user: user(expr, exprs),
            }
        }
        Expr::Call(ref call) if single_ident(&call.func).is_some() => {
            let ident = single_ident(&call.func).expect("checked");
            let args = call
                .args
                .iter()
                .map(|a| call_arg(a.clone(), exprs))
                .collect::<syn::Result<_>>()?;
            Syntax::Call {
                name: ident.to_string(),
                span: ident.span(),
                args,
                user: user(expr, exprs),
            }
        }
        Expr::Lit(_) => Syntax::Literal(value(expr, exprs)?),
        other => Syntax::Other(user(other, exprs)),
    })
}

fn single_ident(expr: &Expr) -> Option<syn::Ident> {
    match expr {
        Expr::Path(p) if p.qself.is_none() => p.path.get_ident().cloned(),
        _ => None,
    }
}

fn user(expr: Expr, exprs: &mut Exprs) -> User<Span> {
    User {
        text: tidy(&expr),
        span: expr.span(),
        expr: exprs.push(expr),
    }
}

fn call_arg(arg: Expr, exprs: &mut Exprs) -> syn::Result<CallArg<Span>> {
    Ok(match arg {
        Expr::Assign(assign) => {
            let name = single_ident(&assign.left);
            CallArg::Named {
                span: name
                    .as_ref()
                    .map_or_else(|| assign.left.span(), |n| n.span()),
                name: name.map(|n| n.to_string()),
                value: value(*assign.right, exprs)?,
            }
        }
        other => CallArg::Positional {
            span: other.span(),
            value: Some(value(other.clone(), exprs)?),
            syntax: syntax(other, exprs)?,
        },
    })
}

/// An argument's value: a literal the grammar reads, or an expression it refers to.
fn value(expr: Expr, exprs: &mut Exprs) -> syn::Result<Value<Span>> {
    let (text, span) = (tidy(&expr), expr.span());
    let kind = match &expr {
        Expr::Lit(ExprLit {
            lit: Lit::Int(int), ..
        }) => ValueKind::Int(int.base10_parse()?),
        Expr::Lit(ExprLit {
            lit: Lit::Float(float),
            ..
        }) => ValueKind::Float(float.base10_parse()?),
        Expr::Lit(ExprLit {
            lit: Lit::Bool(b), ..
        }) => ValueKind::Bool(b.value),
        Expr::Lit(_) => ValueKind::Literal,
        Expr::Unary(syn::ExprUnary {
            op: UnOp::Neg(_),
            expr: inner,
            ..
        }) if matches!(&**inner, Expr::Lit(l) if matches!(l.lit, Lit::Int(_) | Lit::Float(_))) => {
            return Ok(value((**inner).clone(), exprs)?.negated(text, span));
        }
        e if is_const(e) => ValueKind::Const(exprs.push(expr)),
        _ => ValueKind::Expr(exprs.push(expr)),
    };
    Ok(Value { kind, text, span })
}

/// A constant expression: a path whose last segment is in UPPER_CASE, or a `{ block }`.
fn is_const(expr: &Expr) -> bool {
    match expr {
        Expr::Path(p) => p.path.segments.last().is_some_and(|s| {
            let name = s.ident.to_string();
            name.chars().any(|c| c.is_ascii_uppercase())
                && !name.chars().any(|c| c.is_ascii_lowercase())
        }),
        Expr::Block(_) | Expr::Const(_) => true,
        _ => false,
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

/// The top-level tokens of the input as network operators and other pieces, for
/// [`missing_operand`].
fn pieces(input: TokenStream) -> Vec<Piece<Span>> {
    let tokens: Vec<TokenTree> = input.into_iter().collect();
    let mut pieces = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        match operator_at(&tokens[i..]) {
            Some((op, len)) => {
                pieces.push(Piece::Operator(op, tokens[i].span()));
                i += len;
            }
            None => {
                pieces.push(Piece::Other);
                i += 1;
            }
        }
    }
    pieces
}

/// The network operator starting at `tokens[0]` and how many tokens it spans.
fn operator_at(tokens: &[TokenTree]) -> Option<(&'static str, usize)> {
    let punct = |i: usize| match tokens.get(i) {
        Some(TokenTree::Punct(p)) => Some(p.clone()),
        _ => None,
    };
    let first = punct(0)?;
    let joint_with = |c: char| {
        first.spacing() == proc_macro2::Spacing::Joint && punct(1).is_some_and(|p| p.as_char() == c)
    };
    match first.as_char() {
        '>' if joint_with('>') => Some((">>", 2)),
        '*' if joint_with('*') => Some(("**", 2)),
        '|' => Some(("|", 1)),
        '+' => Some(("+", 1)),
        _ => None,
    }
}
