//! Code generation: a checked network becomes constructor calls (`model!`) or a type
//! (`model_type!`). Runs of one combinator become balanced trees, so a 100-layer chain is 7
//! levels deep for rustc; parameter paths do not depend on the nesting.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::catalog::Kind;
use super::valid::{Bindings, Built, Net, Width, user_type};

/// The value of a width, for a constructor argument.
pub fn width_value(width: &Width) -> TokenStream {
    match width {
        Width::Lit(n) => quote!(::weft::Const::<#n>),
        Width::Const(e) => quote!(::weft::Const::<{ #e }>),
        Width::Run(e) => quote!(#e),
        Width::Infer(_) => quote!(::weft::Const),
    }
}

/// The type of a width; `None` when only rustc's inference can tell (`_` in a value).
fn width_type(width: &Width) -> Option<TokenStream> {
    match width {
        Width::Lit(n) => Some(quote!(::weft::Const<#n>)),
        Width::Const(e) => Some(quote!(::weft::Const<{ #e }>)),
        Width::Run(_) => Some(quote!(usize)),
        Width::Infer(ty) => ty.clone(),
    }
}

/// The whole `model!` expression: bindings, then the network, wrapped in
/// `Uninitialized` when sizes come from the data.
pub fn model_value(net: &Net, bindings: &Bindings) -> TokenStream {
    let eager = bindings
        .eager
        .iter()
        .map(|(ident, value)| quote!(let #ident = #value;));
    let network = value(net);
    if bindings.from_data.is_empty() {
        return quote!({ #(#eager)* #network });
    }
    let sizes = syn::Ident::new("__weft_sizes", Span::mixed_site());
    let from_data = bindings
        .from_data
        .iter()
        .map(|(ident, value)| quote!(let #ident: usize = #value;));
    quote!({
        #(#eager)*
        ::weft::Uninitialized::new(move |#sizes: &::weft::DataSizes| -> ::weft::Result<_> {
            #(#from_data)*
            ::core::result::Result::Ok(#network)
        })
    })
}

fn value(net: &Net) -> TokenStream {
    match net {
        Net::Chain(nets) => chain_value(nets),
        Net::Add(nets) => balanced(
            nets,
            &|a, b| quote!(::weft::combinators::add(#a, #b)),
            &value,
        ),
        Net::Concat(nets, _) => concat_value(nets),
        Net::Clone(inner, count) => {
            let inner = value(inner);
            quote!(::weft::combinators::clones(#count, || #inner))
        }
        Net::Residual(inner) => {
            let inner = value(inner);
            quote!(::weft::combinators::residual(#inner))
        }
        Net::WithArray(inner) => {
            let inner = value(inner);
            quote!(::weft::combinators::with_array(#inner))
        }
        Net::Layer(built) => layer_value(built),
        Net::User { expr, binding } => match binding {
            Some(ident) => quote_spanned!(expr.span()=> #ident),
            None => quote!(#expr),
        },
    }
}

/// `a >> b >> c` as a balanced tree of two-way chains. Each `chain` call carries the span of
/// its first layer: when rustc finds that a layer does not take what the layer before it
/// outputs (a user's layer, a constant width), it points at the layer whose input is wrong.
fn chain_value(nets: &[Net]) -> TokenStream {
    if nets.len() == 1 {
        return value(&nets[0]);
    }
    let (left, right) = nets.split_at(nets.len() / 2);
    let (a, b) = (chain_value(left), chain_value(right));
    quote_spanned!(first_span(&left[0])=> ::weft::combinators::chain(#a, #b))
}

/// The span of the first layer of `net`, as the user wrote it.
fn first_span(net: &Net) -> Span {
    match net {
        Net::Chain(nets) | Net::Add(nets) | Net::Concat(nets, _) => first_span(&nets[0]),
        Net::Clone(inner, _) | Net::Residual(inner) | Net::WithArray(inner) => first_span(inner),
        Net::Layer(built) => built.span,
        Net::User { expr, .. } => expr.span(),
    }
}

/// `a | b | c` as nested two-way concatenations; each inner node's width is the sum of its
/// branches' (left to rustc when not all are known).
fn concat_value(nets: &[Net]) -> TokenStream {
    if nets.len() == 1 {
        return value(&nets[0]);
    }
    let (left, right) = nets.split_at(nets.len() / 2);
    let (a, b) = (concat_value(left), concat_value(right));
    let out = width_type(&concat_width(nets)).unwrap_or_else(|| quote!(_));
    quote!(::weft::combinators::concat::<_, _, _, _, #out>(#a, #b))
}

fn concat_width(nets: &[Net]) -> Width {
    match nets {
        [Net::Concat(_, width)] => width.clone(),
        [single] => output_width(single),
        many => {
            let (left, right) = many.split_at(many.len() / 2);
            sum2(concat_width(left), concat_width(right))
        }
    }
}

fn sum2(a: Width, b: Width) -> Width {
    match (a, b) {
        (Width::Lit(a), Width::Lit(b)) => Width::Lit(a + b),
        (Width::Infer(_), _) | (_, Width::Infer(_)) => Width::Infer(None),
        (a, b) => {
            let run = matches!(a, Width::Run(_)) || matches!(b, Width::Run(_));
            let (a, b) = (width_expr(&a), width_expr(&b));
            if run {
                Width::Run(quote!((#a) + (#b)))
            } else {
                Width::Const(quote!((#a) + (#b)))
            }
        }
    }
}

fn width_expr(width: &Width) -> TokenStream {
    match width {
        Width::Lit(n) => quote!(#n),
        Width::Const(e) | Width::Run(e) => e.clone(),
        Width::Infer(_) => unreachable!("handled by the caller"),
    }
}

/// The output width of a checked network, as far as the macro knows it.
fn output_width(net: &Net) -> Width {
    match net {
        Net::Chain(nets) => nets.last().map_or(Width::Infer(None), output_width),
        Net::Add(nets) => output_width(&nets[0]),
        Net::Concat(_, width) => width.clone(),
        Net::Clone(inner, _) | Net::Residual(inner) | Net::WithArray(inner) => output_width(inner),
        Net::Layer(built) => built.output.clone(),
        Net::User { .. } => Width::Infer(None),
    }
}

fn layer_value(b: &Built) -> TokenStream {
    let (i, o) = (width_value(&b.input), width_value(&b.output));
    let value = |name: &str| b.value(name).clone();
    let layer = match b.kind {
        Kind::Embed => {
            let rows = value("rows");
            quote_spanned!(b.span=> ::weft::combinators::with_array(::weft::layers::Embed::new(#rows, #o)))
        }
        Kind::HashEmbed => {
            let (rows, seed) = (value("rows"), value("seed"));
            quote_spanned!(b.span=> ::weft::combinators::with_array(
                ::weft::layers::HashEmbed::new(#rows, #o, #seed)))
        }
        Kind::BiLstm | Kind::Lstm => {
            let hidden = width_value(b.hidden.as_ref().expect("an LSTM has a hidden width"));
            let depth = value("depth");
            if b.kind == Kind::Lstm {
                quote_spanned!(b.span=> ::weft::layers::Lstm::new(#i, #hidden, #depth))
            } else {
                let out = width_type(&b.output).unwrap_or_else(|| quote!(_));
                quote_spanned!(b.span=> ::weft::layers::BiLstm::<_, _, #out>::new(#i, #hidden, #depth))
            }
        }
        Kind::Attention => quote_spanned!(b.span=> ::weft::layers::Attention::new(#i)),
        Kind::ReduceSum => quote_spanned!(b.span=> ::weft::layers::ReduceSum::new(#i)),
        Kind::ReduceMean => quote_spanned!(b.span=> ::weft::layers::ReduceMean::new(#i)),
        Kind::ReduceMax => quote_spanned!(b.span=> ::weft::layers::ReduceMax::new(#i)),
        Kind::Linear => quote_spanned!(b.span=> ::weft::layers::Linear::new(#i, #o)),
        Kind::Relu => quote_spanned!(b.span=> ::weft::layers::Relu::new(#i, #o)),
        Kind::Mish => quote_spanned!(b.span=> ::weft::layers::Mish::new(#i, #o)),
        Kind::Softmax => quote_spanned!(b.span=> ::weft::layers::Softmax::new(#i, #o)),
        Kind::Maxout => {
            let pieces = value("pieces");
            quote_spanned!(b.span=> ::weft::layers::Maxout::new(#i, #o, #pieces))
        }
        Kind::LayerNorm => quote_spanned!(b.span=> ::weft::layers::LayerNorm::new(#i)),
        Kind::Dropout => {
            let rate = value("rate");
            let width = width_type(&b.input).unwrap_or_else(|| quote!(_));
            quote_spanned!(b.span=> ::weft::layers::Dropout::<#width>::new(#rate))
        }
    };
    if b.per_token {
        quote_spanned!(b.span=> ::weft::combinators::with_array(#layer))
    } else {
        layer
    }
}

/// The type `model_type!` names.
pub fn model_type(net: &Net) -> syn::Result<TokenStream> {
    Ok(match net {
        Net::Chain(nets) => balanced_type(nets, "Chain")?,
        Net::Add(nets) => balanced_type(nets, "Add")?,
        Net::Concat(nets, _) => concat_type(nets)?,
        Net::Clone(inner, _) => {
            let inner = model_type(inner)?;
            quote!(::weft::combinators::Clones<#inner>)
        }
        Net::Residual(inner) => {
            let inner = model_type(inner)?;
            quote!(::weft::combinators::Residual<#inner>)
        }
        Net::WithArray(inner) => {
            let inner = model_type(inner)?;
            quote!(::weft::combinators::WithArray<#inner>)
        }
        Net::Layer(built) => layer_type(built)?,
        Net::User { expr, .. } => {
            let ty = user_type(expr)?;
            quote!(#ty)
        }
    })
}

fn balanced_type(nets: &[Net], combinator: &str) -> syn::Result<TokenStream> {
    if nets.len() == 1 {
        return model_type(&nets[0]);
    }
    let (left, right) = nets.split_at(nets.len() / 2);
    let (a, b) = (
        balanced_type(left, combinator)?,
        balanced_type(right, combinator)?,
    );
    let name = syn::Ident::new(combinator, Span::call_site());
    Ok(quote!(::weft::combinators::#name<#a, #b>))
}

fn concat_type(nets: &[Net]) -> syn::Result<TokenStream> {
    if nets.len() == 1 {
        return model_type(&nets[0]);
    }
    let (left, right) = nets.split_at(nets.len() / 2);
    let (a, b) = (concat_type(left)?, concat_type(right)?);
    let out = named_width(&concat_width(nets), Span::call_site())?;
    Ok(quote!(::weft::combinators::Concat<#a, #b, #out>))
}

fn named_width(width: &Width, span: Span) -> syn::Result<TokenStream> {
    width_type(width).ok_or_else(|| {
        syn::Error::new(
            span,
            "`model_type!` cannot name this width: give the first layer an `input = N` width",
        )
    })
}

fn layer_type(b: &Built) -> syn::Result<TokenStream> {
    let (i, o) = (
        named_width(&b.input, b.span),
        named_width(&b.output, b.span),
    );
    let layer = match b.kind {
        Kind::Embed | Kind::HashEmbed => {
            let (o, name) = (
                o?,
                if b.kind == Kind::Embed {
                    "Embed"
                } else {
                    "HashEmbed"
                },
            );
            let layer = single(o, name);
            return Ok(quote!(::weft::combinators::WithArray<#layer>));
        }
        Kind::BiLstm => {
            let h = named_width(
                b.hidden.as_ref().expect("an LSTM has a hidden width"),
                b.span,
            )?;
            let (i, o) = (i?, o?);
            quote!(::weft::layers::BiLstm<#i, #h, #o>)
        }
        Kind::Lstm => {
            let (i, o) = (i?, o?);
            quote!(::weft::layers::Lstm<#i, #o>)
        }
        Kind::Attention => single(i?, "Attention"),
        Kind::ReduceSum => single(i?, "ReduceSum"),
        Kind::ReduceMean => single(i?, "ReduceMean"),
        Kind::ReduceMax => single(i?, "ReduceMax"),
        Kind::LayerNorm => single(i?, "LayerNorm"),
        Kind::Dropout => single(i?, "Dropout"),
        Kind::Linear => pair(i?, o?, "Linear"),
        Kind::Relu => pair(i?, o?, "Relu"),
        Kind::Mish => pair(i?, o?, "Mish"),
        Kind::Maxout => pair(i?, o?, "Maxout"),
        Kind::Softmax => pair(i?, o?, "Softmax"),
    };
    Ok(if b.per_token {
        quote!(::weft::combinators::WithArray<#layer>)
    } else {
        layer
    })
}

fn single(width: TokenStream, name: &str) -> TokenStream {
    let name = syn::Ident::new(name, Span::call_site());
    quote!(::weft::layers::#name<#width>)
}

fn pair(input: TokenStream, output: TokenStream, name: &str) -> TokenStream {
    let name = syn::Ident::new(name, Span::call_site());
    quote!(::weft::layers::#name<#input, #output>)
}

/// Joins `nets` two by two into a balanced tree with `join`.
fn balanced(
    nets: &[Net],
    join: &dyn Fn(TokenStream, TokenStream) -> TokenStream,
    leaf: &dyn Fn(&Net) -> TokenStream,
) -> TokenStream {
    if nets.len() == 1 {
        return leaf(&nets[0]);
    }
    let (left, right) = nets.split_at(nets.len() / 2);
    join(balanced(left, join, leaf), balanced(right, join, leaf))
}
