//! The proc macros of [weft](https://docs.rs/weft). Use them through the `weft` crate, which
//! re-exports them: the generated code names items as `::weft::...`.

#![forbid(unsafe_code)]

mod layer;
mod model;

use proc_macro::TokenStream;

/// Builds a network from an expression of layers and combinators. See `weft::model!`.
#[proc_macro]
pub fn model(input: TokenStream) -> TokenStream {
    model::expand_value(input.into()).into()
}

/// The type of the network [`model!`] builds from the same expression. See `weft::model_type!`.
#[proc_macro]
pub fn model_type(input: TokenStream) -> TokenStream {
    model::expand_type(input.into()).into()
}

/// Implements `weft::Params` for a struct of parameters and sub-layers. See `weft::Params`.
#[proc_macro_derive(Params, attributes(weft))]
pub fn derive_params(input: TokenStream) -> TokenStream {
    layer::derive(&syn::parse_macro_input!(input as syn::DeriveInput)).into()
}
