//! Code generation: a checked network becomes constructor calls (`model!`) or a type
//! (`model_type!`); `bindings.rs` writes what a `model!` value binds before the network. Each built-in layer is written from its catalog templates. Runs of one
//! combinator become balanced trees, so a 100-layer chain is 7 levels deep for rustc;
//! parameter paths do not depend on the nesting.

use std::cell::RefCell;
use std::collections::BTreeSet;

use proc_macro2::{Group, Ident, Literal, Span, TokenStream, TokenTree};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use weft_grammar::{ArgValue, Built, Count, Net, Sym, UserOutput, Width};

use super::syntax::Exprs;

/// Whether the expansion is a value (`model!`) or a type (`model_type!`).
#[derive(Copy, Clone, PartialEq, Eq)]
pub enum Mode {
    Value,
    Type,
}

/// Writes a checked network as code.
pub struct Expander<'a> {
    pub exprs: &'a Exprs,
    pub mode: Mode,
    /// The layers of the user's whose output built-in layers read (their bindings), so that
    /// `model_value` writes an `After` for each.
    pub afters: RefCell<BTreeSet<usize>>,
}

pub(super) type Tokens = syn::Result<TokenStream>;

impl Expander<'_> {
    /// The network as a value (`model!`) or a type (`model_type!`).
    pub fn network(&self, net: &Net<Span>) -> Tokens {
        let value = self.mode == Mode::Value;
        Ok(match net {
            Net::Chain(nets) if value => self.chain(nets)?,
            Net::Chain(nets) => {
                self.balanced(nets, &|a, b| quote!(::weft::combinators::Chain<#a, #b>))?
            }
            Net::Add(nets) if value => {
                self.balanced(nets, &|a, b| quote!(::weft::combinators::add(#a, #b)))?
            }
            Net::Add(nets) => {
                self.balanced(nets, &|a, b| quote!(::weft::combinators::Add<#a, #b>))?
            }
            Net::Concat(nets, _) => self.concat(nets)?,
            Net::Clone(inner, count) => {
                let inner = self.network(inner)?;
                if value {
                    let count = match count {
                        Count::Int(n) => Literal::u64_unsuffixed(*n).into_token_stream(),
                        Count::Expr(id) => self.expr(*id),
                    };
                    quote!(::weft::combinators::clones(#count, || #inner))
                } else {
                    quote!(::weft::combinators::Clones<#inner>)
                }
            }
            Net::Residual(inner) => self.wrapped(
                inner,
                quote!(::weft::combinators::residual),
                quote!(::weft::combinators::Residual),
            )?,
            Net::WithArray(inner) => self.with_array(self.network(inner)?, Span::call_site()),
            Net::Sentences(inner) => self.wrapped(
                inner,
                quote!(::weft::combinators::sentences),
                quote!(::weft::combinators::Sentences),
            )?,
            Net::Both(inner) => self.wrapped(
                inner,
                quote!(::weft::combinators::both),
                quote!(::weft::combinators::Both),
            )?,
            Net::AttentionBy(inner) => self.wrapped(
                inner,
                quote!(::weft::layers::AttentionBy::new),
                quote!(::weft::layers::AttentionBy),
            )?,
            Net::Layer(built) => self.layer(built)?,
            Net::User { user, binding } => {
                let expr = self.exprs.get(user.expr);
                match (self.mode, binding) {
                    (Mode::Type, _) => {
                        let ty = user_type(expr)?;
                        quote!(#ty)
                    }
                    (Mode::Value, Some(i)) => {
                        // A call written where the user wrote the layer, in the context of
                        // the user's code: rustc points its errors about the layer (not a
                        // model, not what the layer before outputs) at the argument if it is
                        // of the context of the call, at the whole macro otherwise.
                        let ident = eager_ident(*i);
                        quote_spanned!(expr.span()=> ::core::convert::identity(#ident))
                    }
                    (Mode::Value, None) => quote!(#expr),
                }
            }
        })
    }

    /// `inner` inside a combinator of one network: `make(inner)` as a value, `Type<inner>` as a
    /// type.
    fn wrapped(&self, inner: &Net<Span>, make: TokenStream, ty: TokenStream) -> Tokens {
        let inner = self.network(inner)?;
        Ok(match self.mode {
            Mode::Value => quote!(#make(#inner)),
            Mode::Type => quote!(#ty<#inner>),
        })
    }

    /// `a >> b >> c` as a balanced tree of two-way chains. Each `chain` call carries the span
    /// of its first layer: when rustc finds that a layer does not take what the layer before it
    /// outputs (a user's layer, a constant width), it points at the layer whose input is wrong.
    fn chain(&self, nets: &[Net<Span>]) -> Tokens {
        if let [net] = nets {
            return self.network(net);
        }
        let (left, right) = nets.split_at(nets.len() / 2);
        let (a, b) = (self.chain(left)?, self.chain(right)?);
        Ok(quote_spanned!(first_span(&left[0])=> ::weft::combinators::chain(#a, #b)))
    }

    /// `a | b | c` as nested two-way concatenations; each inner node's width is the sum of its
    /// branches' (left to rustc when not all are known).
    fn concat(&self, nets: &[Net<Span>]) -> Tokens {
        if let [net] = nets {
            return self.network(net);
        }
        let (left, right) = nets.split_at(nets.len() / 2);
        let (a, b) = (self.concat(left)?, self.concat(right)?);
        let out = self.width_type(&concat_width(nets), Span::call_site())?;
        Ok(match self.mode {
            Mode::Value => quote!(::weft::combinators::concat::<_, _, _, _, #out>(#a, #b)),
            Mode::Type => quote!(::weft::combinators::Concat<#a, #b, #out>),
        })
    }

    /// Joins `nets` two by two into a balanced tree with `concat_sides`.
    fn balanced(
        &self,
        nets: &[Net<Span>],
        join: &dyn Fn(TokenStream, TokenStream) -> TokenStream,
    ) -> Tokens {
        if let [net] = nets {
            return self.network(net);
        }
        let (left, right) = nets.split_at(nets.len() / 2);
        Ok(join(
            self.balanced(left, join)?,
            self.balanced(right, join)?,
        ))
    }

    fn with_array(&self, inner: TokenStream, span: Span) -> TokenStream {
        match self.mode {
            Mode::Value => quote_spanned!(span=> ::weft::combinators::with_array(#inner)),
            Mode::Type => quote!(::weft::combinators::WithArray<#inner>),
        }
    }

    /// A built-in layer, from its catalog template; wrapped in `with_array` when it runs on
    /// every token.
    fn layer(&self, built: &Built<Span>) -> Tokens {
        let template = match self.mode {
            Mode::Value => built.spec.value,
            Mode::Type => built.spec.ty,
        };
        let tokens: TokenStream = template.parse().expect("the catalog's templates are Rust");
        let layer = self.fill(tokens, built)?;
        Ok(
            match (built.per_token, built.lift.then_some(built.after).flatten()) {
                (true, _) => self.with_array(layer, built.span),
                (false, Some(after)) => self.lift(layer, after, built.span)?,
                (false, None) => layer,
            },
        )
    }

    /// A layer that takes vectors, after a layer of the user's: on every token of its output
    /// if that is sequences.
    fn lift(&self, layer: TokenStream, after: UserOutput, span: Span) -> Tokens {
        Ok(match self.mode {
            Mode::Value => {
                let ident = self.after(after);
                quote_spanned!(span=> #ident.lift(#layer))
            }
            Mode::Type => {
                let ty = user_type(self.exprs.get(after.expr))?;
                quote!(<<#ty as ::weft::Model>::Out as ::weft::combinators::Lift>::Lifted<#layer>)
            }
        })
    }

    /// The `After` of the layer of the user's bound as `after`, marked as used.
    fn after(&self, after: UserOutput) -> Ident {
        self.afters.borrow_mut().insert(after.binding);
        after_ident(after.binding)
    }

    /// `tokens` with every `$x` and `#x` replaced by the value or type of `x`, and the
    /// layer's span.
    fn fill(&self, tokens: TokenStream, built: &Built<Span>) -> Tokens {
        let mut out = TokenStream::new();
        let mut tokens = tokens.into_iter();
        while let Some(token) = tokens.next() {
            match token {
                TokenTree::Punct(p) if matches!(p.as_char(), '$' | '#') => {
                    let Some(TokenTree::Ident(name)) = tokens.next() else {
                        panic!("a template placeholder is `$name` or `#name`")
                    };
                    let name = name.to_string();
                    out.extend(if p.as_char() == '$' {
                        self.placeholder_value(&name, built)
                    } else {
                        self.width_type(placeholder_width(&name, built), built.span)?
                    });
                }
                TokenTree::Group(g) => {
                    let mut group = Group::new(g.delimiter(), self.fill(g.stream(), built)?);
                    group.set_span(built.span);
                    out.extend([TokenTree::Group(group)]);
                }
                mut other => {
                    other.set_span(built.span);
                    out.extend([other]);
                }
            }
        }
        Ok(out)
    }

    /// The value of `$name` in a template.
    fn placeholder_value(&self, name: &str, built: &Built<Span>) -> TokenStream {
        let value = match built.arg(name) {
            Some(value) => value,
            None => return self.layer_width(placeholder_width(name, built), built),
        };
        let rate = built.spec.arg(name).is_some_and(|a| a.kind.is_rate());
        match value {
            ArgValue::Width(width) => self.layer_width(width, built),
            ArgValue::Int(n) => Literal::u64_unsuffixed(*n).into_token_stream(),
            ArgValue::Float(x) => Literal::f32_suffixed(*x as f32).into_token_stream(),
            ArgValue::Bool(b) => quote!(#b),
            ArgValue::Expr(id) if rate => {
                let expr = self.expr(*id);
                quote!((#expr) as f32)
            }
            ArgValue::Expr(id) => self.expr(*id),
            // A file to read: only a network written as text reads files as it is built.
            ArgValue::Text(path) => {
                let message = format!(
                    "`{}`: in `model!`, `{name}` is a table of word vectors, not a file: read \
                     it before the network, `let vectors = weft::text::Vectors::read(\"{path}\")?;`, \
                     and write `{name} = vectors` (a network written as text reads the file)",
                    built.spec.name
                );
                let span = built.span;
                quote::quote_spanned!(span=> ::core::compile_error!(#message))
            }
            ArgValue::Bound(i) => eager_ident(*i).into_token_stream(),
            ArgValue::FromData(i) => data_ident(*i).into_token_stream(),
        }
    }

    /// The value of a width of `built`: the output width of the layer of the user's before it,
    /// read off that layer, where the width is that one.
    fn layer_width(&self, width: &Width, built: &Built<Span>) -> TokenStream {
        match (width, built.after) {
            (Width::Infer(Some(id)), Some(after)) if *id == after.expr => {
                let (ident, layer) = (self.after(after), built.spec.name);
                quote_spanned!(built.span=> #ident.width(#layer))
            }
            _ => self.width_value(width),
        }
    }

    /// The value of a width, for a constructor argument.
    fn width_value(&self, width: &Width) -> TokenStream {
        match width {
            Width::Lit(n) => quote!(::weft::Const::<#n>),
            Width::Const(e) => {
                let e = self.sym(e);
                quote!(::weft::Const::<{ #e }>)
            }
            Width::Run(e) => self.sym(e),
            Width::Infer(_) => quote!(::weft::Const),
        }
    }

    /// The type of a width; `_` in a value where only rustc's inference can tell, an error in
    /// a type.
    fn width_type(&self, width: &Width, span: Span) -> Tokens {
        Ok(match width {
            Width::Lit(n) => quote!(::weft::Const<#n>),
            Width::Const(e) => {
                let e = self.sym(e);
                quote!(::weft::Const<{ #e }>)
            }
            Width::Run(_) => quote!(usize),
            Width::Infer(_) if self.mode == Mode::Value => quote!(_),
            Width::Infer(Some(id)) => {
                let ty = user_type(self.exprs.get(*id))?;
                quote!(<<#ty as ::weft::Model>::Out as ::weft::Columns>::Width)
            }
            Width::Infer(None) => {
                return Err(syn::Error::new(
                    span,
                    "`model_type!` cannot name this width: give the first layer an `input = N` \
                     width",
                ));
            }
        })
    }

    /// A width expression.
    fn sym(&self, sym: &Sym) -> TokenStream {
        match sym {
            Sym::Lit(n) => quote!(#n),
            Sym::Expr(id, _) => self.expr(*id),
            Sym::Bound(i) => eager_ident(*i).into_token_stream(),
            Sym::FromData(i) => data_ident(*i).into_token_stream(),
            Sym::Twice(inner) => {
                let inner = self.sym(inner);
                quote!(2 * (#inner))
            }
            Sym::Sum(parts) => {
                let parts = parts.iter().map(|p| self.sym(p));
                quote!(0 #(+ (#parts))*)
            }
            Sym::Window(n, width) => {
                let (n, width) = (self.sym(n), self.sym(width));
                quote!((2 * (#n) + 1) * (#width))
            }
        }
    }

    fn expr(&self, id: weft_grammar::ExprId) -> TokenStream {
        let expr = self.exprs.get(id);
        quote!(#expr)
    }
}

/// The width `$in`, `$out` or a width argument of a template stands for.
fn placeholder_width<'b>(name: &str, built: &'b Built<Span>) -> &'b Width {
    match (name, built.arg(name)) {
        ("in", _) => &built.input,
        ("out", _) => &built.output,
        (_, Some(ArgValue::Width(width))) => width,
        _ => panic!(
            "`{name}` in the template of `{}` is no width",
            built.spec.name
        ),
    }
}

/// The width of `nets` side by side.
fn concat_width(nets: &[Net<Span>]) -> Width {
    match nets {
        [single] => single.output_width(),
        many => {
            let (left, right) = many.split_at(many.len() / 2);
            Width::sum(&[concat_width(left), concat_width(right)])
        }
    }
}

/// The span of the first layer of `net`, as the user wrote it.
fn first_span(net: &Net<Span>) -> Span {
    match net {
        Net::Chain(nets) | Net::Add(nets) | Net::Concat(nets, _) => first_span(&nets[0]),
        Net::Clone(inner, _)
        | Net::Residual(inner)
        | Net::WithArray(inner)
        | Net::Sentences(inner)
        | Net::Both(inner)
        | Net::AttentionBy(inner) => first_span(inner),
        Net::Layer(built) => built.span,
        Net::User { user, .. } => user.span,
    }
}

pub(super) fn after_ident(i: usize) -> Ident {
    format_ident!("__weft_after{}", i, span = Span::mixed_site())
}

pub(super) fn eager_ident(i: usize) -> Ident {
    format_ident!("__weft_eager{}", i, span = Span::mixed_site())
}

pub(super) fn data_ident(i: usize) -> Ident {
    format_ident!("__weft_from_data{}", i, span = Span::mixed_site())
}

/// In `model_type!`, a layer of the user's is written as its type: a path such as `MyLayer` or
/// `MyLayer::<Const<8>>`.
fn user_type(expr: &syn::Expr) -> syn::Result<syn::Type> {
    match expr {
        syn::Expr::Path(p) if p.qself.is_none() => {
            let mut path = p.path.clone();
            for segment in &mut path.segments {
                if let syn::PathArguments::AngleBracketed(args) = &mut segment.arguments {
                    args.colon2_token = None;
                }
            }
            Ok(syn::Type::Path(syn::TypePath { qself: None, path }))
        }
        other => Err(syn::Error::new(
            other.span(),
            "in `model_type!`, a layer of your own is written as its type, such as `MyLayer`",
        )),
    }
}
