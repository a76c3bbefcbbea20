//! The parsed form of a `#[derive(Params)]` struct: its layer kind and its fields, each with
//! what the walk does with it.

use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, Ident, LitStr, Type};

use super::Errors;

/// A struct deriving `Params`.
pub struct Input<'a> {
    pub original: &'a DeriveInput,
    /// `#[weft(kind = "...")]`: the layer kind in paths, when not the struct's name.
    pub kind: Option<LitStr>,
    pub fields: Vec<Field<'a>>,
}

/// A named field and its `#[weft(...)]` attributes.
pub struct Field<'a> {
    pub ident: &'a Ident,
    pub ty: &'a Type,
    pub role: Role,
    /// `#[weft(rename = "...")]`.
    pub rename: Option<LitStr>,
}

/// What the walk does with a field.
#[derive(Clone, Copy, PartialEq)]
pub enum Role {
    /// A parameter or a sub-layer (the default).
    Part,
    /// `#[weft(attr)]`: its value is recorded in the architecture signature.
    Attr,
    /// `#[weft(skip)]`: left out.
    Skip,
}

impl<'a> Input<'a> {
    /// Reads the struct and its `#[weft(...)]` attributes; any other shape of type, and any
    /// attribute but `kind`, `skip`, `attr` and `rename`, is an error at its place.
    pub fn from_syn(input: &'a DeriveInput) -> syn::Result<Self> {
        let data = match &input.data {
            Data::Struct(data) => data,
            Data::Enum(data) => return Err(not_a_struct(data.enum_token.span, "an enum")),
            Data::Union(data) => return Err(not_a_struct(data.union_token.span, "a union")),
        };
        let mut errors = Errors::default();
        let fields = match &data.fields {
            Fields::Named(fields) => (fields.named.iter())
                .filter_map(|field| errors.take(Field::from_syn(field)))
                .collect(),
            Fields::Unit => Vec::new(),
            Fields::Unnamed(fields) => {
                errors.push(syn::Error::new(
                    fields.span(),
                    "`#[derive(Params)]` needs named fields: the names of the fields are the \
                     names of the parameters in paths",
                ));
                Vec::new()
            }
        };
        let kind = errors.take(container_kind(input)).flatten();
        errors.finish()?;
        Ok(Input {
            original: input,
            kind,
            fields,
        })
    }
}

impl<'a> Field<'a> {
    fn from_syn(field: &'a syn::Field) -> syn::Result<Self> {
        let mut role = Role::Part;
        let mut rename = None;
        for attr in field.attrs.iter().filter(|a| a.path().is_ident("weft")) {
            attr.parse_nested_meta(|meta| {
                let to = if meta.path.is_ident("skip") {
                    Role::Skip
                } else if meta.path.is_ident("attr") {
                    Role::Attr
                } else if meta.path.is_ident("rename") {
                    if rename.is_some() {
                        return Err(meta.error("the field is renamed twice"));
                    }
                    rename = Some(string_value(&meta, "rename")?);
                    return Ok(());
                } else {
                    return Err(meta.error(
                        "unknown weft attribute: a field takes `skip`, `attr` or \
                         `rename = \"...\"`",
                    ));
                };
                if role != Role::Part {
                    return Err(meta.error("a field is either `skip` or `attr`, once"));
                }
                role = to;
                Ok(())
            })?;
        }
        Ok(Field {
            ident: field.ident.as_ref().expect("named fields have names"),
            ty: &field.ty,
            role,
            rename,
        })
    }

    /// The field's name in paths and in the signature.
    pub fn name(&self) -> String {
        match &self.rename {
            Some(rename) => rename.value(),
            None => self.ident.to_string().trim_start_matches("r#").to_owned(),
        }
    }
}

/// `#[weft(kind = "...")]` on the struct.
fn container_kind(input: &DeriveInput) -> syn::Result<Option<LitStr>> {
    let mut kind = None;
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("weft")) {
        attr.parse_nested_meta(|meta| {
            if !meta.path.is_ident("kind") {
                return Err(meta.error("unknown weft attribute: a struct takes `kind = \"...\"`"));
            }
            if kind.is_some() {
                return Err(meta.error("the kind is given twice"));
            }
            kind = Some(string_value(&meta, "kind")?);
            Ok(())
        })?;
    }
    Ok(kind)
}

/// The string of `key = "..."`.
fn string_value(meta: &ParseNestedMeta<'_>, key: &str) -> syn::Result<LitStr> {
    let expected = || meta.error(format!("write `{key} = \"name\"`"));
    meta.value()
        .map_err(|_| expected())?
        .parse()
        .map_err(|_| expected())
}

fn not_a_struct(span: proc_macro2::Span, what: &str) -> syn::Error {
    syn::Error::new(
        span,
        format!(
            "`#[derive(Params)]` works on structs, not on {what}: a layer's parameters cannot \
             depend on a variant"
        ),
    )
}
