//! `model!` and `model_type!`: Rust tokens read as the grammar's syntax (`syntax`), given
//! meaning and checked by the shared grammar (`weft_grammar`), written out as code
//! (`expand`, and `bindings` around a value).

mod bindings;
mod expand;
mod syntax;

use proc_macro2::TokenStream;

use expand::{Expander, Mode};
use syntax::Exprs;

/// `model!(...)`: the network as a value.
pub fn expand_value(input: TokenStream) -> TokenStream {
    expand(input, Mode::Value)
}

/// `model_type!(...)`: the type of the network `model!` builds from the same expression.
pub fn expand_type(input: TokenStream) -> TokenStream {
    expand(input, Mode::Type)
}

fn expand(input: TokenStream, mode: Mode) -> TokenStream {
    let mut exprs = Exprs::default();
    let checked = syntax::parse(input, &mut exprs).and_then(|syntax| {
        let node = weft_grammar::network(syntax).map_err(syntax::error)?;
        weft_grammar::check(node).map_err(syntax::error)
    });
    let expander = Expander {
        exprs: &exprs,
        mode,
        afters: Default::default(),
    };
    let expanded = checked.and_then(|checked| match mode {
        Mode::Value => expander.model_value(&checked),
        Mode::Type => expander.network(&checked.net),
    });
    expanded.unwrap_or_else(|err| err.to_compile_error())
}

#[cfg(test)]
mod tests;
