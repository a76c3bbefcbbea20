//! [`ThincModel`]: the saved form of a Thinc model, as `Model.to_bytes` writes it (and so each
//! component's `model` file of a spaCy pipeline).
//!
//! The file is one MessagePack map (`srsly.msgpack_dumps`) of four arrays of equal length, one
//! entry per node of the model in Thinc's walk order (breadth first from the root):
//! `nodes` (maps of `index`, `name`, `dims`: a map of a dimension's name to an integer or nil,
//! and `refs`), `attrs` (maps of an attribute's name to its value, itself msgpack-encoded in a
//! binary), `params` (maps of a parameter's name to nil or a numpy array) and `shims`. A numpy
//! array is srsly's encoding: a map of `nd` (true), `type` (the dtype, `<f4` here), `kind`,
//! `shape` (an array of integers) and `data` (a binary of the values, row-major).

use std::path::{Path, PathBuf};

use super::msgpack::Value;
use crate::error::{Error, Result};

/// A Thinc model read from its saved form: its nodes in Thinc's walk order.
///
/// ```no_run
/// use weft_runtime::spacy::ThincModel;
/// let model = ThincModel::read("pipeline/tagger/model".as_ref())?;
/// for node in model.nodes() {
///     println!("{} {:?}", node.name(), node.param_names().collect::<Vec<_>>());
/// }
/// # Ok::<(), weft_runtime::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct ThincModel {
    path: PathBuf,
    nodes: Vec<ThincNode>,
}

/// One node of a [`ThincModel`]: a layer or a combinator.
#[derive(Clone, Debug)]
pub struct ThincNode {
    name: String,
    dims: Vec<(String, Option<usize>)>,
    attrs: Vec<(String, ThincAttr)>,
    params: Vec<(String, Option<ThincArray>)>,
}

/// The value of a node's attribute.
#[derive(Clone, Debug, PartialEq)]
pub enum ThincAttr {
    /// An integer (a seed, a column, a window).
    Int(i128),
    /// A float (a dropout rate, a temperature).
    Float(f64),
    /// A flag.
    Bool(bool),
    /// A string.
    Str(String),
    /// Any other value (a list, a map, nil): the kind of value it is.
    Other(&'static str),
}

/// A parameter's values: `f32`, row-major, of `shape`.
#[derive(Clone, Debug, PartialEq)]
pub struct ThincArray {
    /// The dimensions, outermost first: `[rows, columns]` of a matrix, `[n]` of a vector.
    pub shape: Vec<usize>,
    /// The values, as many as the product of `shape`.
    pub data: Vec<f32>,
}

impl ThincModel {
    /// Reads the saved model in the file at `path`. An [`Error::Io`] when it cannot be read,
    /// an [`Error::Spacy`] naming the file and what is wrong when it is not a Thinc model's
    /// saved form (or holds arrays of another type than `f32`).
    pub fn read(path: &Path) -> Result<ThincModel> {
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_bytes(&bytes, path)
    }

    /// Reads a saved model from `bytes`; `path` names them in errors.
    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<ThincModel> {
        let error = |message: String| Error::Spacy {
            path: path.to_path_buf(),
            message: format!("not a Thinc model: {message}"),
        };
        let value = Value::decode(bytes).map_err(error)?;
        let nodes = nodes(&value).map_err(error)?;
        Ok(ThincModel {
            path: path.to_path_buf(),
            nodes,
        })
    }

    /// The file it was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every node, in Thinc's walk order (breadth first from the root, the root first).
    pub fn nodes(&self) -> &[ThincNode] {
        &self.nodes
    }

    /// The nodes named `name` (`hashembed`, `maxout`, `layernorm`, `softmax`), in walk order.
    pub fn nodes_named<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s ThincNode> + 's {
        self.nodes.iter().filter(move |node| node.name == name)
    }
}

impl ThincNode {
    /// The node's name: a layer's (`hashembed`, `maxout`), or a combinator's, made of its
    /// children's (`maxout>>layernorm>>dropout`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The dimension `name` (`nO`, `nI`, `nV`, `nP`): `None` when the node has none or it is
    /// unset.
    pub fn dim(&self, name: &str) -> Option<usize> {
        self.dims.iter().find(|(n, _)| n == name).and_then(|d| d.1)
    }

    /// The attribute `name` (`seed`, `column`, `softmax_normalize`).
    pub fn attr(&self, name: &str) -> Option<&ThincAttr> {
        self.attrs.iter().find(|(n, _)| n == name).map(|a| &a.1)
    }

    /// The parameter `name` (`W`, `b`, `E`, `G`): `None` when the node has none or it is unset.
    pub fn param(&self, name: &str) -> Option<&ThincArray> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|p| p.1.as_ref())
    }

    /// The names of the node's parameters, set or not, in the file's order.
    pub fn param_names(&self) -> impl Iterator<Item = &str> {
        self.params.iter().map(|(name, _)| name.as_str())
    }
}

/// The nodes of the model's map.
fn nodes(value: &Value<'_>) -> Result<Vec<ThincNode>, String> {
    let list = |key: &str| match value.get(key) {
        Some(Value::Array(items)) => Ok(items),
        Some(other) => Err(format!("`{key}` is {}, not an array", other.kind())),
        None => Err(format!(
            "no `{key}` (a Thinc model's map has nodes, attrs, params)"
        )),
    };
    let (nodes, attrs, params) = (list("nodes")?, list("attrs")?, list("params")?);
    if attrs.len() != nodes.len() || params.len() != nodes.len() {
        return Err(format!(
            "{} nodes, {} attrs and {} params: one of each per node expected",
            nodes.len(),
            attrs.len(),
            params.len()
        ));
    }
    let parts = nodes.iter().zip(attrs).zip(params).enumerate();
    parts
        .map(|(i, ((node, attrs), params))| {
            node_of(node, attrs, params).map_err(|message| format!("node {i}: {message}"))
        })
        .collect()
}

fn node_of(node: &Value<'_>, attrs: &Value<'_>, params: &Value<'_>) -> Result<ThincNode, String> {
    let name = match node.get("name") {
        Some(Value::Str(name)) => name.to_string(),
        _ => return Err("no name".into()),
    };
    let in_node = |message: String| format!("{name}: {message}");
    let dims = entries(
        node.get("dims").unwrap_or(&Value::Map(Vec::new())),
        "dims",
        |v| match v {
            Value::Nil => Ok(None),
            Value::Int(n) => usize::try_from(*n)
                .map(Some)
                .map_err(|_| format!("the dimension {n}")),
            other => Err(format!("a dimension is {}", other.kind())),
        },
    )
    .map_err(in_node)?;
    let attrs = entries(attrs, "attrs", |v| match v {
        Value::Bin(bytes) => Value::decode(bytes).map(|value| attr_of(&value)),
        other => Err(format!(
            "an attribute is {}, not msgpack in a binary",
            other.kind()
        )),
    })
    .map_err(in_node)?;
    let params = entries(params, "params", |v| match v {
        Value::Nil => Ok(None),
        array => array_of(array).map(Some),
    })
    .map_err(in_node)?;
    Ok(ThincNode {
        name,
        dims,
        attrs,
        params,
    })
}

/// The entries of a map of strings to what `read` makes of each value.
fn entries<T>(
    map: &Value<'_>,
    what: &str,
    read: impl Fn(&Value<'_>) -> Result<T, String>,
) -> Result<Vec<(String, T)>, String> {
    let Value::Map(entries) = map else {
        return Err(format!("its {what} are {}, not a map", map.kind()));
    };
    entries
        .iter()
        .map(|(key, value)| {
            let Value::Str(key) = key else {
                return Err(format!("a key of its {what} is {}", key.kind()));
            };
            let value = read(value).map_err(|message| format!("{what} `{key}`: {message}"))?;
            Ok((key.to_string(), value))
        })
        .collect()
}

fn attr_of(value: &Value<'_>) -> ThincAttr {
    match value {
        Value::Int(n) => ThincAttr::Int(*n),
        Value::Float(x) => ThincAttr::Float(*x),
        Value::Bool(b) => ThincAttr::Bool(*b),
        Value::Str(s) => ThincAttr::Str(s.to_string()),
        other => ThincAttr::Other(other.kind()),
    }
}

/// A numpy array in srsly's encoding, of `f32` (little-endian).
fn array_of(value: &Value<'_>) -> Result<ThincArray, String> {
    let field = |key: &str| {
        value
            .get(key)
            .ok_or_else(|| format!("{} without `{key}`, not a numpy array", value.kind()))
    };
    if field("nd")? != &Value::Bool(true) {
        return Err("a numpy scalar, not an array".into());
    }
    match field("type")?.key_bytes() {
        Some(b"<f4") => {}
        Some(other) => {
            let dtype = String::from_utf8_lossy(other);
            return Err(format!("an array of dtype {dtype}, not float32 (<f4)"));
        }
        None => return Err("an array whose dtype is no string".into()),
    }
    let Value::Array(dims) = field("shape")? else {
        return Err("an array whose shape is not a list".into());
    };
    let shape = dims
        .iter()
        .map(|dim| match dim {
            Value::Int(n) => usize::try_from(*n).map_err(|_| format!("a dimension {n}")),
            other => Err(format!("a dimension that is {}", other.kind())),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let Some(data) = field("data")?.key_bytes() else {
        return Err("an array whose data is no binary".into());
    };
    let count = shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d));
    if count.and_then(|n| n.checked_mul(4)) != Some(data.len()) {
        return Err(format!(
            "an array of shape {shape:?} with {} bytes of data, not 4 a value",
            data.len()
        ));
    }
    let data = data
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    Ok(ThincArray { shape, data })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(file: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/spacy_tagger/listener")
            .join(file)
    }

    #[test]
    fn reads_the_nodes_of_a_spacy_tok2vec() {
        let model = ThincModel::read(&fixture("tok2vec/model")).unwrap();
        let tables: Vec<_> = model.nodes_named("hashembed").collect();
        assert_eq!(tables.len(), 4);
        assert_eq!(tables[1].attr("seed"), Some(&ThincAttr::Int(9)));
        assert_eq!(tables[1].attr("column"), Some(&ThincAttr::Int(1)));
        assert_eq!(tables[1].dim("nV"), Some(50));
        assert_eq!(tables[1].dim("nI"), None);
        assert_eq!(tables[1].param("E").unwrap().shape, [50, 16]);
        let maxout = model.nodes_named("maxout").next().unwrap();
        let w = maxout.param("W").unwrap();
        assert_eq!(w.shape, [16, 3, 64]);
        assert_eq!(w.data.len(), 16 * 3 * 64);
        assert!(
            model.nodes()[0]
                .name()
                .starts_with("extract_features>>list2ragged")
        );
        let softmax = ThincModel::read(&fixture("tagger/model")).unwrap();
        let softmax = softmax.nodes_named("softmax").next().unwrap();
        assert_eq!(
            softmax.attr("softmax_normalize"),
            Some(&ThincAttr::Bool(false))
        );
        assert_eq!(softmax.param_names().collect::<Vec<_>>(), ["W", "b"]);
    }

    #[test]
    fn a_file_of_another_kind_is_an_error_naming_it() {
        let path = Path::new("tagger/model");
        let err = |bytes: &[u8]| ThincModel::from_bytes(bytes, path).unwrap_err().to_string();
        assert_eq!(
            err(b"\x80"),
            "spaCy pipeline tagger/model: not a Thinc model: no `nodes` (a Thinc model's map has nodes, attrs, params)"
        );
        let e = err(b"\x83\xa5nodes\x91\x80\xa5attrs\x91\x80\xa6params\x91\x80");
        assert!(e.ends_with("node 0: no name"), "{e}");
        // A parameter of float64: {"nodes": [{"name": "x"}], "attrs": [{}], "params": [{"W": array}]}.
        let mut bytes =
            b"\x83\xa5nodes\x91\x81\xa4name\xa1x\xa5attrs\x91\x80\xa6params\x91\x81\xa1W".to_vec();
        bytes.extend(b"\x85\xc4\x02nd\xc3\xc4\x04type\xa3<f8\xc4\x04kind\xc4\x00");
        bytes.extend(b"\xc4\x05shape\x91\x01\xc4\x04data\xc4\x08\x00\x00\x00\x00\x00\x00\x00\x00");
        let e = err(&bytes);
        assert!(
            e.ends_with("node 0: x: params `W`: an array of dtype <f8, not float32 (<f4)"),
            "{e}"
        );
        let at = bytes.windows(3).position(|w| w == b"<f8").unwrap();
        bytes[at + 2] = b'4';
        let e = err(&bytes);
        assert!(
            e.contains("an array of shape [1] with 8 bytes of data"),
            "{e}"
        );
    }
}
