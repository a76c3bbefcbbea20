//! Checks a parsed `#[derive(Params)]` struct: names fit in paths, and no two fields share one.

use std::collections::BTreeSet;

use proc_macro2::Span;
use syn::LitStr;

use super::Errors;
use super::ast::{Field, Input, Role};

impl Input<'_> {
    /// Every mistake in the attributes, each at its place.
    pub fn validate(&self) -> syn::Result<()> {
        let mut errors = Errors::default();
        if let Some(kind) = &self.kind {
            errors.take(check_name(kind));
        }
        let mut names = BTreeSet::new();
        for field in &self.fields {
            match (&field.rename, field.role) {
                (Some(rename), Role::Skip) => errors.push(syn::Error::new(
                    rename.span(),
                    "a skipped field has no name to change: drop `rename`",
                )),
                (Some(rename), _) => _ = errors.take(check_name(rename)),
                (None, _) => {}
            }
            if field.role != Role::Skip && !names.insert(field.name()) {
                errors.push(syn::Error::new(
                    field.name_span(),
                    format!(
                        "another field is named `{}` too: give one another name with \
                         `#[weft(rename = \"...\")]`",
                        field.name()
                    ),
                ));
            }
        }
        errors.finish()
    }
}

impl Field<'_> {
    /// Where the field's name is written: its `rename`, or else its identifier.
    fn name_span(&self) -> Span {
        self.rename.as_ref().map_or(self.ident.span(), LitStr::span)
    }
}

/// A name in a path is one segment: letters, digits and `_`.
fn check_name(name: &LitStr) -> syn::Result<()> {
    let value = name.value();
    let message = if value.is_empty() {
        "a name in a parameter path cannot be empty".to_owned()
    } else if value.chars().all(|c| c.is_alphanumeric() || c == '_') {
        return Ok(());
    } else {
        format!(
            "`{value}` cannot be a name in a parameter path: use letters, digits and `_` \
             (`.` separates the names)"
        )
    };
    Err(syn::Error::new(name.span(), message))
}
