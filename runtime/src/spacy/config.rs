//! [`SpacyConfig`]: a pipeline's `config.cfg`, read as spaCy (confection) reads it, far enough
//! for the architecture: `[section.sub]` headers, `key = value` lines (a value continues on the
//! indented lines after it), comments (`#`, `;`), and values in JSON (strings, numbers, lists,
//! `true`, `null`) or a reference to another value, `${section.key}` or `${section:key}`,
//! resolved when read.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::{Error, Result};

/// The most references followed to read one value: more is a cycle.
const MAX_REFERENCES: usize = 32;

/// A `config.cfg` of a spaCy pipeline: its sections, each key's value as written.
#[derive(Debug)]
pub(crate) struct SpacyConfig {
    path: PathBuf,
    /// `(section, [(key, value as written)])`, in the file's order.
    sections: Vec<(String, Vec<(String, String)>)>,
}

impl SpacyConfig {
    /// Reads the config in the file at `path`.
    pub(crate) fn read(path: &Path) -> Result<SpacyConfig> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Reads the config in `text`; `path` names it in errors.
    pub(crate) fn parse(text: &str, path: &Path) -> Result<SpacyConfig> {
        let mut config = SpacyConfig {
            path: path.to_path_buf(),
            sections: Vec::new(),
        };
        for (number, line) in text.lines().enumerate() {
            let error = |message: &str| Error::Spacy {
                path: path.to_path_buf(),
                message: format!("line {}: {message}", number + 1),
            };
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
                continue;
            }
            if line.starts_with([' ', '\t']) {
                let value = config
                    .sections
                    .last_mut()
                    .and_then(|(_, keys)| keys.last_mut());
                let (_, value) =
                    value.ok_or_else(|| error("an indented line continues no value"))?;
                value.push('\n');
                value.push_str(trimmed);
            } else if let Some(header) = trimmed.strip_prefix('[') {
                let name = header
                    .strip_suffix(']')
                    .ok_or_else(|| error("a section header without `]`"))?;
                config.sections.push((name.trim().to_string(), Vec::new()));
            } else {
                let (key, value) = trimmed
                    .split_once('=')
                    .ok_or_else(|| error("neither a [section] nor `key = value`"))?;
                let (_, keys) = config
                    .sections
                    .last_mut()
                    .ok_or_else(|| error("a value before any [section]"))?;
                keys.push((key.trim().to_string(), value.trim().to_string()));
            }
        }
        Ok(config)
    }

    /// An [`Error::Spacy`] of this file.
    pub(crate) fn error(&self, message: impl Into<String>) -> Error {
        Error::Spacy {
            path: self.path.clone(),
            message: message.into(),
        }
    }

    /// Whether the file has the section `section`.
    /// The folder the config is in: the pipeline's.
    pub(crate) fn folder(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("."))
    }

    pub(crate) fn has_section(&self, section: &str) -> bool {
        self.sections.iter().any(|(name, _)| name == section)
    }

    /// The value of `key` in `section`, references resolved: `None` when it has none.
    pub(crate) fn get(&self, section: &str, key: &str) -> Result<Option<Value>> {
        self.resolve(section, key, 0)
    }

    /// The value of `key` in `section`; an error naming both when it has none.
    pub(crate) fn require(&self, section: &str, key: &str) -> Result<Value> {
        self.get(section, key)?
            .ok_or_else(|| self.error(format!("[{section}] has no `{key}`")))
    }

    /// `key` of `section` as a count (a width, a depth); an error naming it when it is not one.
    pub(crate) fn count(&self, section: &str, key: &str) -> Result<usize> {
        let value = self.require(section, key)?;
        value
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(|| self.error(format!("[{section}] {key} = {value}: not a count")))
    }

    /// `key` of `section` as a string.
    pub(crate) fn string(&self, section: &str, key: &str) -> Result<String> {
        match self.require(section, key)? {
            Value::String(s) => Ok(s),
            other => Err(self.error(format!("[{section}] {key} = {other}: not a string"))),
        }
    }

    fn resolve(&self, section: &str, key: &str, depth: usize) -> Result<Option<Value>> {
        let raw = self
            .sections
            .iter()
            .filter(|(name, _)| name == section)
            .flat_map(|(_, keys)| keys)
            .find(|(k, _)| k == key)
            .map(|(_, value)| value.as_str());
        let Some(raw) = raw else { return Ok(None) };
        let place = format!("[{section}] {key} = {raw}");
        if let Some(reference) = raw.strip_prefix("${").and_then(|r| r.strip_suffix('}')) {
            if depth == MAX_REFERENCES {
                return Err(self.error(format!("{place}: references that go round in a cycle")));
            }
            let (to_section, to_key) = reference
                .split_once(':')
                .or_else(|| reference.rsplit_once('.'))
                .ok_or_else(|| self.error(format!("{place}: a reference names no key")))?;
            return match self.resolve(to_section, to_key, depth + 1)? {
                Some(value) => Ok(Some(value)),
                None => Err(self.error(format!("{place}: the reference names no value"))),
            };
        }
        if raw.contains("${") {
            let message = format!("{place}: a reference inside a value is not supported");
            return Err(self.error(message));
        }
        // confection reads what is no JSON as a string.
        Ok(Some(
            serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.to_string())),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = "\
[system]
seed = 0

; a comment
[components.tok2vec.model.embed]
width = ${components.tok2vec.model.encode:width}
attrs = [\"NORM\",\"PREFIX\"]
rows = [5000,
    1000]

[components.tok2vec.model.encode]
width = ${system.width}
name = plain words

[system]
width = 96
loop = ${system.loop}
inside = \"a ${system.seed}\"
";

    fn config() -> SpacyConfig {
        SpacyConfig::parse(CONFIG, Path::new("config.cfg")).unwrap()
    }

    #[test]
    fn references_of_both_forms_are_resolved() {
        let config = config();
        let embed = "components.tok2vec.model.embed";
        assert_eq!(config.count(embed, "width").unwrap(), 96);
        assert_eq!(
            config.require(embed, "attrs").unwrap(),
            serde_json::json!(["NORM", "PREFIX"])
        );
        assert_eq!(
            config.require(embed, "rows").unwrap(),
            serde_json::json!([5000, 1000])
        );
        let encode = "components.tok2vec.model.encode";
        assert_eq!(config.string(encode, "name").unwrap(), "plain words");
        assert!(config.has_section(encode));
        assert_eq!(config.get(encode, "depth").unwrap(), None);
    }

    #[test]
    fn what_cannot_be_read_is_an_error_naming_the_file_and_the_place() {
        let config = config();
        let err = config.get("system", "loop").unwrap_err().to_string();
        assert!(err.starts_with("spaCy pipeline config.cfg: "), "{err}");
        assert!(err.contains("go round in a cycle"), "{err}");
        let err = config.get("system", "inside").unwrap_err().to_string();
        assert!(err.contains("a reference inside a value"), "{err}");
        let err = config.count("system", "nothing").unwrap_err().to_string();
        assert!(err.contains("[system] has no `nothing`"), "{err}");
        let err = config.count("components.tok2vec.model.encode", "name");
        assert!(err.unwrap_err().to_string().contains("not a count"));
        let err = SpacyConfig::parse("x = 1", Path::new("c.cfg")).unwrap_err();
        assert!(
            err.to_string()
                .contains("line 1: a value before any [section]")
        );
    }
}
