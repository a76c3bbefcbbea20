//! Saving and loading models: the msgpack form that `docs/format.md` describes.
//!
//! A saved model is one msgpack map with named fields: `format` (`"weft"`), `version` (2),
//! `layers` (the [`Signature`]), `params`, one `{path, shape, dtype, data}` map per
//! parameter in walk order, `data` being the values as little-endian `f32`, row-major, in a
//! msgpack bin, and the `checksum` of the layers and parameters (`io::checksum`). Nothing in
//! it depends on how chains nest or on hash-map order, so the same weights give the same bytes.
//!
//! Loading is strict and atomic: it decodes and checks everything (format, version, checksum,
//! architecture, each parameter's path, element type, shape, length and values) and only then
//! writes into the model. Version 1, the same map without a checksum, still loads.
//!
//! The other sealed forms (`io::envelope`) reuse its pieces: the header and the strict decoding,
//! and the saved form of a parameter (an optimizer's moments are saved as parameters are,
//! [`tensor_of`], and checked against the model as they are, [`read_tensors`]).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{self, Cursor};
use std::path::Path;

use serde::{Deserialize, Serialize, Serializer};

use crate::error::{Error, LoadError, Result};
use crate::io::checksum::checksum;
use crate::model::recorder::Rules;
use crate::model::walk::signature_of;
use crate::model::{Param, Params, Signature, Walk};

/// The value of the `format` field.
const MAGIC: &str = "weft";
/// The format version this build writes, and the newest it reads.
const VERSION: u64 = 2;
/// The oldest format version this build reads.
const OLDEST_VERSION: u64 = 1;
/// The element type of every parameter.
const DTYPE: &str = "f32";

/// A saved model.
#[derive(Serialize, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a map of format, version, layers, params and checksum"
)]
struct Saved<'a> {
    format: String,
    version: u64,
    layers: Signature,
    #[serde(borrow)]
    params: Vec<Tensor<'a>>,
    /// The [`checksum`] of `layers` and `params`; absent in version 1.
    checksum: Option<u32>,
}

/// A saved parameter.
#[derive(Serialize, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a map of path, shape, dtype and data"
)]
pub(crate) struct Tensor<'a> {
    pub(super) path: String,
    pub(super) shape: Vec<usize>,
    pub(super) dtype: String,
    #[serde(borrow, serialize_with = "bin")]
    pub(super) data: Cow<'a, [u8]>,
}

/// Writes bytes as a msgpack bin (serde writes a byte slice as an array of integers).
pub(crate) fn bin<S: Serializer>(data: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_bytes(data)
}

pub(crate) fn to_bytes<P: Params + ?Sized>(model: &P) -> Result<Vec<u8>> {
    if let Some(what) = first_non_finite(model) {
        return Err(Error::NonFinite { what });
    }
    let values = |param: &Param| param.value().iter().flat_map(|v| v.to_le_bytes()).collect();
    Ok(encode(&saved(model, values)))
}

/// The length of the longest bytes that can hold a saved form of `model` that loads: its
/// values, 4 bytes each, and nine times the rest of its saved form (the form without values,
/// with either version's signature). Msgpack writes the header of a value in 1 to 9 bytes, and
/// another writer may take more than this build does; the rest is fixed by the model.
pub(crate) fn longest_saved_form<P: Params + ?Sized>(model: &P) -> u64 {
    let values = 4 * model.param_count() as u64;
    let without_values = encode(&saved(model, |_| Vec::new())).len();
    let version_1_signature = encode(&signature_of(model, Rules::Version1)).len();
    values + 9 * (without_values + version_1_signature) as u64
}

/// The saved form of `model`, each parameter's data being what `data` gives.
fn saved<P: Params + ?Sized>(model: &P, data: impl Fn(&Param) -> Vec<u8>) -> Saved<'static> {
    let mut params = Vec::new();
    let mut collect = |path: &str, param: &Param| params.push(tensor(path, param, data(param)));
    let mut walk = Walk::recording(&mut collect as &mut dyn FnMut(&str, &Param), Rules::Current);
    model.visit(&mut walk);
    let layers = walk.into_signature();
    Saved {
        format: MAGIC.to_owned(),
        version: VERSION,
        checksum: Some(checksum(&layers, &params)),
        layers,
        params,
    }
}

/// The saved form of `data` (little-endian `f32` bytes) for the parameter `param` at `path`:
/// its values, or other values of its shape (an optimizer's moments of it).
fn tensor(path: &str, param: &Param, data: Vec<u8>) -> Tensor<'static> {
    Tensor {
        path: path.to_owned(),
        shape: param.shape().to_vec(),
        dtype: DTYPE.to_owned(),
        data: Cow::Owned(data),
    }
}

/// The saved form of `values`, of the shape of the parameter `param` at `path`: an optimizer's
/// moments of it, say.
pub(crate) fn tensor_of(path: &str, param: &Param, values: &[f32]) -> Tensor<'static> {
    tensor(
        path,
        param,
        values.iter().flat_map(|v| v.to_le_bytes()).collect(),
    )
}

/// The values of `tensors`, each of one of `model`'s parameters, by path, checked as loading
/// checks a model's parameters (element type, shape, length, finite values): some of the
/// model's parameters, each at most once, and none it lacks. The first error in walk order,
/// then a parameter the model lacks (`UnexpectedParam`), or one given twice (`Malformed`).
pub(crate) fn read_tensors<P: Params + ?Sized>(
    tensors: &[Tensor<'_>],
    model: &P,
) -> Result<BTreeMap<String, Vec<f32>>, LoadError> {
    let mut unread = BTreeMap::new();
    for tensor in tensors {
        if unread.insert(tensor.path.as_str(), tensor).is_some() {
            return Err(twice(&tensor.path));
        }
    }
    let mut values = BTreeMap::new();
    let mut first_error = None;
    model.for_each_param(&mut |path, param| {
        if let (None, Some(tensor)) = (&first_error, unread.remove(path)) {
            match check(tensor, param) {
                Ok(decoded) => _ = values.insert(path.to_owned(), decoded),
                Err(error) => first_error = Some(error),
            }
        }
    });
    if let Some(error) = first_error {
        return Err(error);
    }
    match tensors.iter().find(|t| unread.contains_key(&*t.path)) {
        Some(extra) => Err(LoadError::UnexpectedParam {
            path: extra.path.clone(),
        }),
        None => Ok(values),
    }
}

/// `value` in msgpack, structs as maps with named fields.
pub(crate) fn encode(value: &impl Serialize) -> Vec<u8> {
    rmp_serde::to_vec_named(value).expect("msgpack encoding into a Vec cannot fail")
}

/// The first parameter holding NaN or infinity, and where.
fn first_non_finite<P: Params + ?Sized>(model: &P) -> Option<String> {
    let mut first = None;
    model.for_each_param(&mut |path, param| {
        if first.is_none() {
            first = (param.value().iter())
                .position(|v| !v.is_finite())
                .map(|index| format!("parameter {path} at index {index}"));
        }
    });
    first
}

/// Loads the saved model `bytes` (read from `path`, if from a file) into `model`, once every
/// check has passed: on error the model is unchanged.
pub(crate) fn from_bytes<P: Params + ?Sized>(
    model: &mut P,
    bytes: &[u8],
    path: Option<&Path>,
) -> Result<()> {
    let mut values = read(model, bytes).map_err(|error| Error::Load {
        path: path.map(Path::to_owned),
        error,
    })?;
    model.for_each_param_mut(&mut |path, param| {
        if let Some(decoded) = values.remove(path) {
            let value = param.value_mut();
            value.iter_mut().zip(decoded).for_each(|(v, d)| *v = d);
            param.zero_grad();
        }
    })
}

/// The values of every parameter of `model` in the saved model `bytes`, by path, once the
/// bytes are checked against the model.
fn read<P: Params + ?Sized>(
    model: &P,
    bytes: &[u8],
) -> Result<BTreeMap<String, Vec<f32>>, LoadError> {
    let version = read_header(bytes)?;
    let saved: Saved = decode(bytes, "model").map_err(malformed)?;
    check_checksum(version, &saved)?;
    let rules = match version {
        1 => Rules::Version1,
        _ => Rules::Current,
    };
    if let Some(difference) = saved.layers.first_difference(&signature_of(model, rules)) {
        return Err(difference);
    }
    let mut unread = BTreeMap::new();
    for tensor in &saved.params {
        if unread.insert(tensor.path.as_str(), tensor).is_some() {
            return Err(twice(&tensor.path));
        }
    }
    let mut values = BTreeMap::new();
    let mut first_error = None;
    let mut one_bias = OneBias::default();
    model.for_each_param(&mut |path, param| {
        if first_error.is_some() {
            return;
        }
        let checked = match unread.remove(path) {
            Some(tensor) => check(tensor, param),
            None => match one_bias.read(path, &mut unread) {
                Some(OldBias::Sum(tensor)) => check(tensor, param),
                Some(OldBias::Zero) => Ok(vec![0.0; param.len()]),
                None => Err(LoadError::MissingParam {
                    path: path.to_owned(),
                }),
            },
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
    Ok(values)
}

/// The format version of the saved model that `bytes` begin with, once its format is checked.
/// `format` and `version` are the map's first two fields, so a prefix of the bytes is enough.
pub(crate) fn read_header(bytes: &[u8]) -> Result<u64, LoadError> {
    let version = header(bytes, MAGIC, "model").map_err(malformed)?;
    if !(OLDEST_VERSION..=VERSION).contains(&version) {
        return Err(LoadError::Version {
            found: version,
            supported: VERSION,
        });
    }
    Ok(version)
}

/// The format version that `bytes` begin with, once their `format` is checked to be `magic`:
/// else the reason they are not a weft `what` (a model, a checkpoint), as
/// [`LoadError::Malformed`] words it.
pub(crate) fn header(bytes: &[u8], magic: &str, what: &str) -> Result<u64, String> {
    let mut rest = bytes;
    let Some((format, version)) = read_first_fields(&mut rest) else {
        return Err(match () {
            _ if bytes.is_empty() => "there are no bytes".into(),
            _ if rest.is_empty() => truncated(bytes, what),
            _ => "the bytes do not begin with a map of format and version".into(),
        });
    };
    if format != magic {
        return Err(format!("the format field is {format:?}, not {magic:?}"));
    }
    Ok(version)
}

/// The values of the first two fields of a map, `format` (a string) and `version` (an
/// unsigned integer); `None` when the bytes hold something else, or end before (then `rest`
/// is empty).
fn read_first_fields<'a>(rest: &mut &'a [u8]) -> Option<(&'a str, u64)> {
    rmp::decode::read_map_len(rest).ok()?;
    (read_str(rest)? == "format").then_some(())?;
    let format = read_str(rest)?;
    (read_str(rest)? == "version").then_some(())?;
    let version = rmp::decode::read_int(rest).ok()?;
    Some((format, version))
}

/// The msgpack string at the start of `rest`; `None` when something else stands there, or
/// the bytes end inside it (then `rest` is left empty).
fn read_str<'a>(rest: &mut &'a [u8]) -> Option<&'a str> {
    let len = rmp::decode::read_str_len(rest).ok()? as usize;
    let Some((text, tail)) = rest.split_at_checked(len) else {
        *rest = &[];
        return None;
    };
    *rest = tail;
    std::str::from_utf8(text).ok()
}

/// Checks that the layers and parameters are those the checksum was taken of: version 1 has
/// no checksum, every later version has one.
fn check_checksum(version: u64, saved: &Saved<'_>) -> Result<(), LoadError> {
    match (version, saved.checksum) {
        (1, None) => Ok(()),
        (1, Some(_)) => Err(malformed("a version 1 model has no checksum field".into())),
        (_, None) => Err(malformed("the checksum field is missing".into())),
        (_, Some(stored)) => match checksum(&saved.layers, &saved.params) {
            computed if computed == stored => Ok(()),
            computed => Err(LoadError::Damaged { stored, computed }),
        },
    }
}

/// Decodes one msgpack value, a weft `what` (a model, a checkpoint), that spans all of `bytes`:
/// else the reason it does not, as [`LoadError::Malformed`] words it.
pub(crate) fn decode<'de, T: Deserialize<'de>>(bytes: &[u8], what: &str) -> Result<T, String> {
    use rmp_serde::decode::Error::{InvalidDataRead, InvalidMarkerRead};
    let mut decoder = rmp_serde::Deserializer::new(Cursor::new(bytes));
    let value = T::deserialize(&mut decoder).map_err(|error| match error {
        InvalidMarkerRead(e) | InvalidDataRead(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
            truncated(bytes, what)
        }
        other => other.to_string(),
    })?;
    let end = decoder.position();
    if end != bytes.len() as u64 {
        return Err(format!("the {what} ends at byte {end} of {}", bytes.len()));
    }
    Ok(value)
}

fn malformed(reason: String) -> LoadError {
    LoadError::Malformed { reason }
}

/// The error of a parameter saved twice.
fn twice(path: &str) -> LoadError {
    malformed(format!("parameter {path} appears twice"))
}

fn truncated(bytes: &[u8], what: &str) -> String {
    format!(
        "truncated: the bytes end at {}, inside the {what}",
        bytes.len()
    )
}

/// Models saved before the LSTMs had PyTorch's two biases (`b_ih`, `b_hh`) hold one, `b`,
/// their sum. Such a file loads: `b` as `b_ih` and zeros as `b_hh`, which compute the same.
#[derive(Default)]
struct OneBias {
    /// The LSTM directions (paths without the bias's name) whose `b` was read as `b_ih`.
    read_as_b_ih: Vec<String>,
}

/// Where the value of a bias the file lacks comes from, in a file of one bias.
enum OldBias<'t> {
    /// The file's one bias, the sum of the two.
    Sum(&'t Tensor<'t>),
    /// Zeros: the file's one bias went to `b_ih`.
    Zero,
}

impl OneBias {
    /// The source of the parameter at `path`, which the file lacks, if the file holds the one
    /// bias of its LSTM direction; that bias is then read.
    fn read<'t>(
        &mut self,
        path: &str,
        unread: &mut BTreeMap<&str, &'t Tensor<'t>>,
    ) -> Option<OldBias<'t>> {
        if let Some(direction) = path.strip_suffix(".b_ih") {
            let tensor = unread.remove(format!("{direction}.b").as_str())?;
            self.read_as_b_ih.push(direction.to_owned());
            return Some(OldBias::Sum(tensor));
        }
        let direction = path.strip_suffix(".b_hh")?;
        self.read_as_b_ih
            .iter()
            .any(|d| d == direction)
            .then_some(OldBias::Zero)
    }
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
