//! [`Norms`]: the table of norms a trained pipeline may carry in `vocab/lookups.bin` (spaCy's
//! `lexeme_norm`, from spacy-lookups-data: British spellings and contractions for English, say),
//! which its vocabulary consults before the base norms and lower-casing.
//!
//! `lookups.bin` is one MessagePack map (`Lookups.to_bytes`) of a table's name to the table: a
//! map of the [`string_id`] of a text to its norm.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;

use super::msgpack::Value;
use crate::error::{Error, Result};
use crate::text::{norm, string_id};

/// The table's name in `lookups.bin`.
const TABLE: &str = "lexeme_norm";

/// A table of norms by text, consulted before [`norm`]'s rules.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Norms {
    by_id: HashMap<u64, String>,
}

impl Norms {
    /// The `lexeme_norm` table of the lookups file at `path` (a pipeline's
    /// `vocab/lookups.bin`): empty when the file has none. An error naming the file when it
    /// cannot be read or is not spaCy's lookups.
    pub fn read(path: &Path) -> Result<Norms> {
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_bytes(&bytes).map_err(|message| Error::Spacy {
            path: path.to_path_buf(),
            message: format!("not spaCy's lookups: {message}"),
        })
    }

    fn from_bytes(bytes: &[u8]) -> Result<Norms, String> {
        let lookups = Value::decode(bytes)?;
        if !matches!(lookups, Value::Map(_)) {
            return Err(format!("{}, not a map of tables", lookups.kind()));
        }
        let Some(table) = lookups.get(TABLE) else {
            return Ok(Norms::default());
        };
        let Value::Map(entries) = table else {
            return Err(format!("the table {TABLE} is {}, not a map", table.kind()));
        };
        let by_id = entries.iter().map(|(key, value)| match (key, value) {
            (&Value::Int(id), &Value::Str(norm)) => u64::try_from(id)
                .map(|id| (id, norm.to_string()))
                .map_err(|_| format!("the table {TABLE} has the key {id}")),
            _ => Err(format!(
                "the table {TABLE} maps {} to {}, not string ids to strings",
                key.kind(),
                value.kind()
            )),
        });
        Ok(Norms {
            by_id: by_id.collect::<Result<_, _>>()?,
        })
    }

    /// How many texts the table gives norms of.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// The norm of `text` as the pipeline's vocabulary gives it: the table's, else [`norm`]'s.
    pub fn norm<'t>(&'t self, text: &'t str) -> Cow<'t, str> {
        match self.by_id.get(&string_id(text)) {
            Some(norm) => Cow::Borrowed(norm),
            None => norm(text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_comes_before_the_rules() {
        // {"lexeme_norm": {string_id("colour"): "color"}}, as srsly writes it.
        let mut bytes = b"\x81\xablexeme_norm\x81\xcf".to_vec();
        bytes.extend(string_id("colour").to_be_bytes());
        bytes.extend(b"\xa5color");
        let norms = Norms::from_bytes(&bytes).unwrap();
        assert_eq!(norms.len(), 1);
        assert_eq!(norms.norm("colour"), "color");
        assert_eq!(norms.norm("Colours"), "colours");
        let err = Norms::from_bytes(b"\x81\xablexeme_norm\x81\x01\x02").unwrap_err();
        assert!(err.contains("maps an integer to an integer"), "{err}");
        assert!(Norms::from_bytes(b"\x80").unwrap().is_empty());
    }
}
