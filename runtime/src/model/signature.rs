//! The architecture signature of a model: its layers in walk order, each with its attributes.
//!
//! A layer appears with its path (`<position>.<kind>`, such as `2.hash_embed`, under the path of
//! the layer holding it, if any) as soon as it calls [`Walk::layer`](crate::Walk::layer); inside
//! that call, [`Walk::attr`](crate::Walk::attr) records what its parameters' shapes do not say:
//! widths, the hash seed, the dropout rate, the LSTM depth. A part of a model that names no
//! layer appears as `unnamed`, and combinators other than chains (`concat`, `add`, `residual`)
//! with what each branch holds: `model/recorder.rs` records them. A saved model carries its
//! signature, and loading compares it with the model's before it looks at a single parameter.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::error::LoadError;

/// The layers of a model in walk order, each with its attributes: see
/// [`Params::signature`](crate::Params::signature).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Signature {
    /// The layers, in the order the walk enters them.
    pub layers: Vec<LayerSignature>,
}

/// One layer of a [`Signature`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "SavedLayer")]
pub struct LayerSignature {
    /// The layer's path: `<position>.<kind>`, under the path of the layer holding it.
    pub path: String,
    /// The attributes, by name, each value as its `Display` writes it.
    pub attrs: BTreeMap<String, String>,
}

/// A layer as the bytes hold it: its attributes in their order, which may name one twice.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedLayer {
    path: String,
    #[serde(deserialize_with = "entries")]
    attrs: Vec<(String, String)>,
}

/// Refuses an attribute named twice: which of its values is meant cannot be known.
impl TryFrom<SavedLayer> for LayerSignature {
    type Error = String;
    fn try_from(saved: SavedLayer) -> Result<Self, String> {
        let mut attrs = BTreeMap::new();
        for (name, value) in saved.attrs {
            if attrs.contains_key(&name) {
                return Err(format!("layer {} has attribute {name} twice", saved.path));
            }
            attrs.insert(name, value);
        }
        Ok(LayerSignature {
            path: saved.path,
            attrs,
        })
    }
}

/// Reads a map of strings to strings as its entries, in their order.
fn entries<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<(String, String)>, D::Error> {
    struct Entries;
    impl<'de> Visitor<'de> for Entries {
        type Value = Vec<(String, String)>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a map of attribute names to values")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut entries = Vec::new();
            while let Some(entry) = map.next_entry()? {
                entries.push(entry);
            }
            Ok(entries)
        }
    }
    deserializer.deserialize_map(Entries)
}

impl Signature {
    /// The first difference between a saved signature (`self`) and the model's, as the error
    /// [`from_bytes`](crate::Params::from_bytes) returns; `None` when they are the same.
    pub(crate) fn first_difference(&self, model: &Signature) -> Option<LoadError> {
        let count = self.layers.len().max(model.layers.len());
        (0..count).find_map(|i| {
            let difference = |file: String, model: String| LoadError::Architecture {
                layer: i.to_string(),
                file,
                model,
            };
            match (self.layers.get(i), model.layers.get(i)) {
                (Some(file), Some(model)) if file.path != model.path => {
                    Some(difference(file.path.clone(), model.path.clone()))
                }
                (Some(file), Some(model)) => file.first_attr_difference(model),
                (Some(file), None) => Some(difference(file.path.clone(), "no layer".into())),
                (None, Some(model)) => Some(difference("no layer".into(), model.path.clone())),
                (None, None) => None,
            }
        })
    }
}

impl LayerSignature {
    /// The first attribute, by name, that differs between this saved layer and the model's.
    fn first_attr_difference(&self, model: &LayerSignature) -> Option<LoadError> {
        let describe = |attrs: &BTreeMap<String, String>, name: &str| match attrs.get(name) {
            Some(value) => format!("{name} = {value}"),
            None => format!("no {name}"),
        };
        let mut names: Vec<&String> = self.attrs.keys().chain(model.attrs.keys()).collect();
        names.sort();
        names
            .into_iter()
            .find(|&name| self.attrs.get(name) != model.attrs.get(name))
            .map(|name| LoadError::Architecture {
                layer: self.path.clone(),
                file: describe(&self.attrs, name),
                model: describe(&model.attrs, name),
            })
    }
}

/// One layer per line: its path, then its attributes as `name=value`.
impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for layer in &self.layers {
            f.write_str(&layer.path)?;
            for (name, value) in &layer.attrs {
                write!(f, " {name}={value}")?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}
