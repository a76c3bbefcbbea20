//! Saving and loading models: the msgpack form that `docs/format.md` describes.
//!
//! A saved model is one msgpack map with named fields: `format` (`"weft"`), `version` (1),
//! `layers` (the [`Signature`]) and `params`, one `{path, shape, dtype, data}` map per
//! parameter in walk order, `data` being the values as little-endian `f32`, row-major, in a
//! msgpack bin. Nothing in it depends on how chains nest or on hash-map order, so the same
//! weights give the same bytes.
//!
//! Loading is strict and atomic: it decodes and checks everything (format, version,
//! architecture, each parameter's path, element type, shape, length and values) and only then
//! writes into the model.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs;
use std::io::{self, Cursor, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::{Deserialize, Serialize, Serializer};

use crate::error::{Error, LoadError, Result};

use crate::model::{Param, Params, Signature, Walk};

/// The value of the `format` field.
const MAGIC: &str = "weft";
/// The format version this build writes and reads.
const VERSION: u64 = 1;
/// The element type of every parameter.
const DTYPE: &str = "f32";

/// The fields loading checks before it decodes the rest.
#[derive(Deserialize)]
#[serde(expecting = "a map with the fields format and version")]
struct Header {
    format: String,
    version: u64,
}

/// A saved model.
#[derive(Serialize, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a map of format, version, layers and params"
)]
struct Saved<'a> {
    format: String,
    version: u64,
    layers: Signature,
    #[serde(borrow)]
    params: Vec<Tensor<'a>>,
}

/// A saved parameter.
#[derive(Serialize, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a map of path, shape, dtype and data"
)]
struct Tensor<'a> {
    path: String,
    shape: Vec<usize>,
    dtype: String,
    #[serde(borrow, serialize_with = "bin")]
    data: Cow<'a, [u8]>,
}

/// Writes bytes as a msgpack bin (serde writes a byte slice as an array of integers).
fn bin<S: Serializer>(data: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_bytes(data)
}

pub(crate) fn to_bytes<P: Params + ?Sized>(model: &P) -> Result<Vec<u8>> {
    let mut params = Vec::new();
    let mut non_finite = None;
    let mut collect = |path: &str, param: &Param| {
        if non_finite.is_none() {
            non_finite = (param.value().iter())
                .position(|v| !v.is_finite())
                .map(|index| format!("parameter {path} at index {index}"));
        }
        params.push(Tensor {
            path: path.to_owned(),
            shape: param.shape().to_vec(),
            dtype: DTYPE.to_owned(),
            data: param.value().iter().flat_map(|v| v.to_le_bytes()).collect(),
        })
    };
    let mut walk = Walk::recording(&mut collect as &mut dyn FnMut(&str, &Param));
    model.visit(&mut walk);
    let layers = walk.into_signature();
    if let Some(what) = non_finite {
        return Err(Error::NonFinite { what });
    }
    let saved = Saved {
        format: MAGIC.to_owned(),
        version: VERSION,
        layers,
        params,
    };
    Ok(rmp_serde::to_vec_named(&saved).expect("msgpack encoding into a Vec cannot fail"))
}

pub(crate) fn from_bytes<P: Params + ?Sized>(model: &mut P, bytes: &[u8]) -> Result<(), LoadError> {
    let header: Header = decode(bytes)?;
    if header.format != MAGIC {
        return Err(malformed(format!(
            "the format field is {:?}, not {MAGIC:?}",
            header.format
        )));
    }
    if header.version != VERSION {
        return Err(LoadError::Version {
            found: header.version,
            supported: VERSION,
        });
    }
    let saved: Saved = decode(bytes)?;
    if let Some(difference) = saved.layers.first_difference(&model.signature()) {
        return Err(difference);
    }
    let mut unread = BTreeMap::new();
    for tensor in &saved.params {
        if unread.insert(tensor.path.as_str(), tensor).is_some() {
            return Err(malformed(format!(
                "parameter {} appears twice",
                tensor.path
            )));
        }
    }
    let mut values = BTreeMap::new();
    let mut first_error = None;
    model.for_each_param(&mut |path, param| {
        if first_error.is_some() {
            return;
        }
        let checked = match unread.remove(path) {
            Some(tensor) => check(tensor, param),
            None => Err(LoadError::MissingParam {
                path: path.to_owned(),
            }),
        };
        match checked {
            Ok(decoded) => _ = values.insert(path.to_owned(), decoded),
            Err(error) => first_error = Some(error),
        }
    });
    if let Some(error) = first_error {
        return Err(error);
    }
    if let Some(extra) = saved.params.iter().find(|t| unread.contains_key(&*t.path)) {
        return Err(LoadError::UnexpectedParam {
            path: extra.path.clone(),
        });
    }
    model.for_each_param_mut(&mut |path, param| {
        if let Some(decoded) = values.remove(path) {
            let value = param.value_mut();
            value.iter_mut().zip(decoded).for_each(|(v, d)| *v = d);
            param.zero_grad();
        }
    });
    Ok(())
}

pub(crate) fn to_disk<P: Params + ?Sized>(model: &P, path: &Path) -> Result<()> {
    let bytes = to_bytes(model)?;
    let io_error = |source| Error::Io {
        path: path.to_owned(),
        source,
    };
    let temp = temp_path(path).map_err(io_error)?;
    let written = write_synced(&temp, &bytes)
        .and_then(|()| fs::rename(&temp, path))
        .and_then(|()| sync_folder(path));
    if written.is_err() {
        // The write failed: the temporary file, if any, is garbage, and its own error moot.
        let _ = fs::remove_file(&temp);
    }
    written.map_err(io_error)
}

pub(crate) fn from_disk<P: Params + ?Sized>(model: &mut P, path: &Path) -> Result<()> {
    let bytes = fs::read(path).map_err(|source| Error::Io {
        path: path.to_owned(),
        source,
    })?;
    from_bytes(model, &bytes).map_err(|error| Error::Load {
        path: Some(path.to_owned()),
        error,
    })
}

/// Decodes one msgpack value that spans all of `bytes`.
fn decode<'de, T: Deserialize<'de>>(bytes: &[u8]) -> Result<T, LoadError> {
    use rmp_serde::decode::Error::{InvalidDataRead, InvalidMarkerRead};
    let mut decoder = rmp_serde::Deserializer::new(Cursor::new(bytes));
    let value = T::deserialize(&mut decoder).map_err(|error| match error {
        _ if bytes.is_empty() => malformed("there are no bytes".into()),
        InvalidMarkerRead(e) | InvalidDataRead(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
            malformed(format!(
                "truncated: the bytes end at {}, inside the model",
                bytes.len()
            ))
        }
        other => malformed(other.to_string()),
    })?;
    let end = decoder.position();
    if end != bytes.len() as u64 {
        return Err(malformed(format!(
            "the model ends at byte {end} of {}",
            bytes.len()
        )));
    }
    Ok(value)
}

fn malformed(reason: String) -> LoadError {
    LoadError::Malformed { reason }
}

/// The values of `tensor`, checked against `param`.
fn check(tensor: &Tensor<'_>, param: &Param) -> Result<Vec<f32>, LoadError> {
    let path = &tensor.path;
    if tensor.dtype != DTYPE {
        return Err(LoadError::Dtype {
            path: path.clone(),
            found: tensor.dtype.clone(),
        });
    }
    if tensor.shape != param.shape() {
        return Err(LoadError::Shape {
            path: path.clone(),
            expected: param.shape().to_vec(),
            found: tensor.shape.clone(),
        });
    }
    if tensor.data.len() != 4 * param.len() {
        return Err(LoadError::DataLength {
            path: path.clone(),
            expected: 4 * param.len(),
            found: tensor.data.len(),
        });
    }
    let values: Vec<f32> = (tensor.data.as_chunks().0.iter())
        .map(|&bytes| f32::from_le_bytes(bytes))
        .collect();
    match values.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(LoadError::NonFinite {
            path: path.clone(),
            index,
            value: values[index],
        }),
        None => Ok(values),
    }
}

/// A fresh name for the temporary file beside `path`: `.<name>.<process>-<n>.tmp`.
fn temp_path(path: &Path) -> io::Result<PathBuf> {
    static COUNT: AtomicUsize = AtomicUsize::new(0);
    let name = path.file_name().ok_or_else(|| {
        io::Error::new(io::ErrorKind::InvalidInput, "the path does not name a file")
    })?;
    let mut temp = OsString::from(".");
    temp.push(name);
    temp.push(format!(
        ".{}-{}.tmp",
        std::process::id(),
        COUNT.fetch_add(1, Ordering::Relaxed)
    ));
    Ok(path.with_file_name(temp))
}

fn write_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = fs::File::create(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Makes the rename of a file into `path` durable, where the system allows it.
#[cfg(unix)]
fn sync_folder(path: &Path) -> io::Result<()> {
    let folder = match path.parent() {
        Some(folder) if !folder.as_os_str().is_empty() => folder,
        _ => Path::new("."),
    };
    fs::File::open(folder)?.sync_all()
}

#[cfg(not(unix))]
fn sync_folder(_: &Path) -> io::Result<()> {
    Ok(())
}
