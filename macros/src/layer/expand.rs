//! Writes the `Params` impl of a checked struct: one layer of kind `<kind>` whose parts are
//! visited in field order, parameters under the field's name and sub-layers in a scope of that
//! name, and whose `#[weft(attr)]` fields go into the signature.
//!
//! Each field's code carries the span of its type, so a field that is neither a parameter nor
//! a layer (or an attribute that cannot be displayed) is reported at the field.

use proc_macro2::{Ident, TokenStream, TokenTree};
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{GenericParam, Type, WherePredicate, parse_quote_spanned};

use super::ast::{Input, Role};

pub fn params_impl(input: &Input<'_>) -> TokenStream {
    let ident = &input.original.ident;
    let kind = match &input.kind {
        Some(kind) => kind.value(),
        None => snake_case(&ident.to_string()),
    };
    let mut visit = Vec::new();
    let mut visit_mut = Vec::new();
    for field in &input.fields {
        let (member, ty, name) = (field.ident, field.ty, field.name());
        match field.role {
            Role::Part => {
                visit.push(quote_spanned!(ty.span()=>
                    ::weft::Part::visit_part(&self.#member, #name, walk);
                ));
                visit_mut.push(quote_spanned!(ty.span()=>
                    ::weft::Part::visit_part_mut(&mut self.#member, #name, walk);
                ));
            }
            Role::Attr => visit.push(quote_spanned!(ty.span()=>
                walk.attr(#name, &self.#member);
            )),
            Role::Skip => {}
        }
    }
    let mut generics = input.original.generics.clone();
    let bounds = bounds(input, &generics.params.iter().collect::<Vec<_>>());
    generics.make_where_clause().predicates.extend(bounds);
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    let visit = layer(&kind, &visit);
    let visit_mut = layer(&kind, &visit_mut);
    quote! {
        #[automatically_derived]
        impl #impl_generics ::weft::Params for #ident #ty_generics #where_clause {
            fn visit(&self, walk: &mut ::weft::Visit<'_>) {
                #visit
            }
            fn visit_mut(&mut self, walk: &mut ::weft::VisitMut<'_>) {
                #visit_mut
            }
        }
    }
}

/// `walk.layer(kind, |walk| { body })`.
fn layer(kind: &str, body: &[TokenStream]) -> TokenStream {
    if body.is_empty() {
        quote!(walk.layer(#kind, |_| {});)
    } else {
        quote!(walk.layer(#kind, |walk| { #(#body)* });)
    }
}

/// What the fields whose types name a type parameter need: `Part` for parts, `Display` for
/// attributes. Other fields' types are checked where they are used.
fn bounds(input: &Input<'_>, params: &[&GenericParam]) -> Vec<WherePredicate> {
    let type_params: Vec<&Ident> = params
        .iter()
        .filter_map(|param| match param {
            GenericParam::Type(param) => Some(&param.ident),
            _ => None,
        })
        .collect();
    (input.fields.iter())
        .filter(|field| mentions(field.ty, &type_params))
        .filter_map(|field| {
            let ty = field.ty;
            match field.role {
                Role::Part => Some(parse_quote_spanned!(ty.span()=> #ty: ::weft::Part)),
                Role::Attr => Some(parse_quote_spanned!(ty.span()=> #ty: ::core::fmt::Display)),
                Role::Skip => None,
            }
        })
        .collect()
}

/// True when `ty` names one of `params`.
fn mentions(ty: &Type, params: &[&Ident]) -> bool {
    fn any(tokens: TokenStream, params: &[&Ident]) -> bool {
        tokens.into_iter().any(|token| match token {
            TokenTree::Ident(ident) => params.contains(&&ident),
            TokenTree::Group(group) => any(group.stream(), params),
            _ => false,
        })
    }
    any(ty.to_token_stream(), params)
}

/// `HighwayLayer` → `highway_layer`, `BiLSTMHead` → `bi_lstm_head`.
fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.trim_start_matches("r#").chars().collect();
    let mut snake = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if prev.is_lowercase() || prev.is_numeric() || (prev.is_uppercase() && next_lower) {
                snake.push('_');
            }
        }
        snake.extend(c.to_lowercase());
    }
    snake
}

#[cfg(test)]
mod tests {
    use super::snake_case;

    #[test]
    fn kinds_are_snake_case() {
        assert_eq!(snake_case("Highway"), "highway");
        assert_eq!(snake_case("GatedLinearUnit"), "gated_linear_unit");
        assert_eq!(snake_case("BiLSTMHead"), "bi_lstm_head");
        assert_eq!(snake_case("Layer2Norm"), "layer2_norm");
        assert_eq!(snake_case("MLP"), "mlp");
    }
}
