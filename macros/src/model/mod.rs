//! `model!` and `model_type!`: parse (`ast`), check and infer widths (`valid`), generate code
//! (`expand`). `catalog` lists the built-in layers and combinators.

mod ast;
mod catalog;
mod expand;
mod valid;

use proc_macro2::TokenStream;

use valid::{Checker, Mode};

/// `model!(...)`: the network as a value.
pub fn expand_value(input: TokenStream) -> TokenStream {
    let mut checker = Checker::new(Mode::Value);
    match ast::parse(input).and_then(|node| checker.network(node)) {
        Ok(net) => expand::model_value(&net, &checker.bindings),
        Err(err) => err.to_compile_error(),
    }
}

/// `model_type!(...)`: the type of the network `model!` builds from the same expression.
pub fn expand_type(input: TokenStream) -> TokenStream {
    let mut checker = Checker::new(Mode::Type);
    match ast::parse(input)
        .and_then(|node| checker.network(node))
        .and_then(|net| expand::model_type(&net))
    {
        Ok(ty) => ty,
        Err(err) => err.to_compile_error(),
    }
}
