//! `#[derive(Params)]`: parse the struct and its `#[weft(...)]` attributes (`ast`), check them
//! (`valid`), write the `Params` impl (`expand`).

mod ast;
mod expand;
mod valid;

use proc_macro2::TokenStream;
use quote::quote;
use syn::DeriveInput;

/// The `Params` impl for `input`, or its errors.
pub fn derive(input: &DeriveInput) -> TokenStream {
    let parsed = ast::Input::from_syn(input).and_then(|parsed| {
        parsed.validate()?;
        Ok(parsed)
    });
    match parsed {
        Ok(parsed) => expand::params_impl(&parsed),
        Err(error) => fallback(input, error),
    }
}

/// The errors, with a stand-in impl so that they are the only errors: uses of the type as a
/// layer elsewhere do not fail as well.
fn fallback(input: &DeriveInput, error: syn::Error) -> TokenStream {
    let error = error.to_compile_error();
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    quote! {
        #error
        #[automatically_derived]
        impl #impl_generics ::weft::Params for #ident #ty_generics #where_clause {
            fn visit(&self, _: &mut ::weft::Visit<'_>) {
                ::core::unreachable!()
            }
            fn visit_mut(&mut self, _: &mut ::weft::VisitMut<'_>) {
                ::core::unreachable!()
            }
        }
    }
}

/// Errors collected along the way, so that one build shows every mistake.
#[derive(Default)]
struct Errors(Option<syn::Error>);

impl Errors {
    fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(errors) => errors.combine(error),
            None => self.0 = Some(error),
        }
    }

    /// The value of `result`, or `None` with its error kept.
    fn take<T>(&mut self, result: syn::Result<T>) -> Option<T> {
        result.map_err(|error| self.push(error)).ok()
    }

    fn finish(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}
