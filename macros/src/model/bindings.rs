//! The `model!` value around the network: the values it binds first (sizes, the user's
//! layers, one `Shared` per layer used more than once, the `After` of each layer whose output
//! built-in layers read), and the `Uninitialized` wrapper when sizes come from the data.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use weft_grammar::{Checked, Eager, Net, User};

use super::expand::{Expander, Tokens, after_ident, data_ident, eager_ident};

impl Expander<'_> {
    /// The whole `model!` expression: bindings, then the network, wrapped in `Uninitialized`
    /// when sizes come from the data.
    pub fn model_value(&self, checked: &Checked<Span>) -> Tokens {
        let shared = self.shared_layers(&checked.bindings.eager);
        let eager = checked.bindings.eager.iter().enumerate().map(|(i, e)| {
            let ident = eager_ident(i);
            match (e, shared[i]) {
                (Eager::Size(id), _) => {
                    let expr = self.exprs.get(*id);
                    quote!(let #ident = { let size: usize = #expr; size };)
                }
                (Eager::Layer(id), Some(first)) if first == i => {
                    let expr = self.exprs.get(*id);
                    quote!(let #ident = ::weft::combinators::Shared::new(#expr);)
                }
                (Eager::Layer(_), Some(first)) => {
                    let first = eager_ident(first);
                    quote!(let #ident = ::core::clone::Clone::clone(&#first);)
                }
                (Eager::Layer(id), None) => {
                    let expr = self.exprs.get(*id);
                    quote!(let #ident = #expr;)
                }
            }
        });
        let mut eager: Vec<TokenStream> = eager.collect();
        let network = self.network(&checked.net)?;
        for &i in self.afters.borrow().iter() {
            let user = user_at(&checked.net, i).expect("an `After` is of a bound layer");
            let (after, ident, text) = (after_ident(i), eager_ident(i), &user.text);
            // Spanned as the layer is where it is used: rustc's errors point at the layer.
            let layer = quote_spanned!(self.exprs.get(user.expr).span()=>
                ::core::convert::identity(&#ident)
            );
            eager.push(quote!(let #after = ::weft::combinators::After::of(#layer, #text);));
        }
        if checked.bindings.from_data.is_empty() {
            return Ok(quote!({ #(#eager)* #network }));
        }
        let sizes = Ident::new("__weft_sizes", Span::mixed_site());
        let from_data = checked.bindings.from_data.iter().enumerate().map(|(i, f)| {
            let (ident, method, layer) = (data_ident(i), format_ident!("{}", f.method), &f.layer);
            quote!(let #ident: usize = #sizes.#method(#layer)?;)
        });
        Ok(quote!({
            #(#eager)*
            ::weft::Uninitialized::new(move |#sizes: &::weft::DataSizes| -> ::weft::Result<_> {
                #(#from_data)*
                ::core::result::Result::Ok(#network)
            })
        }))
    }

    /// For each binding, the first binding of the same layer where a value of the user's is
    /// used more than once (`enc` in `(enc >> a) | (enc >> b)`): one layer, shared.
    fn shared_layers(&self, eager: &[Eager]) -> Vec<Option<usize>> {
        let name = |e: &Eager| match *e {
            Eager::Layer(id) => match self.exprs.get(id) {
                syn::Expr::Path(p) if p.qself.is_none() => p.path.get_ident().cloned(),
                _ => None,
            },
            Eager::Size(_) => None,
        };
        let names: Vec<_> = eager.iter().map(name).collect();
        names
            .iter()
            .map(|n| {
                let n = n.as_ref()?;
                let mut uses = names
                    .iter()
                    .enumerate()
                    .filter(|(_, m)| m.as_ref() == Some(n));
                let (first, _) = uses.next()?;
                uses.next().map(|_| first)
            })
            .collect()
    }
}

/// The layer of the user's bound as entry `binding`.
fn user_at(net: &Net<Span>, binding: usize) -> Option<&User<Span>> {
    match net {
        Net::User {
            user,
            binding: Some(b),
        } if *b == binding => Some(user),
        Net::Chain(nets) | Net::Add(nets) | Net::Concat(nets, _) => {
            nets.iter().find_map(|n| user_at(n, binding))
        }
        Net::Clone(inner, _)
        | Net::Residual(inner)
        | Net::WithArray(inner)
        | Net::Sentences(inner)
        | Net::Both(inner)
        | Net::AttentionBy(inner) => user_at(inner, binding),
        Net::Layer(_) | Net::User { .. } => None,
    }
}
