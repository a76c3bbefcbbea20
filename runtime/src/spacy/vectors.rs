//! A spaCy vocabulary's table of vectors, as `Vectors.to_disk` writes it in a pipeline's
//! `vocab/` folder: `vectors` (a NumPy `.npy` array of float32, a row per vector), `key2row` (a
//! MessagePack map of each key, the [`string_id`](crate::text::string_id) of a word, to its
//! row) and `vectors.cfg` (JSON, the mode: `default`; floret's hashed subword vectors are
//! refused, by name).

use std::path::Path;

use ndarray::{Array2, ShapeBuilder};

use super::msgpack::Value;
use crate::error::{Error, Result};
use crate::text::Vectors;

impl Vectors {
    /// The table of the spaCy vocabulary folder `vocab` (a pipeline's `vocab/`, or what
    /// `spacy init vectors` wrote there). An error naming the file when one is missing,
    /// malformed, or in a mode weft does not read.
    ///
    /// ```
    /// use weft_runtime::text::Vectors;
    /// let vocab = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/spacy_tagger/vectors/vocab");
    /// let vectors = Vectors::read_spacy(vocab.as_ref())?;
    /// assert!(vectors.rows() > 0 && vectors.dim() > 0);
    /// # Ok::<(), weft_runtime::Error>(())
    /// ```
    pub fn read_spacy(vocab: &Path) -> Result<Vectors> {
        let read = |name: &str| {
            let path = vocab.join(name);
            std::fs::read(&path).map_err(|source| Error::Io { path, source })
        };
        let error = |name: &str, message: String| Error::Spacy {
            path: vocab.join(name),
            message,
        };
        let cfg: serde_json::Value = serde_json::from_slice(&read("vectors.cfg")?)
            .map_err(|e| error("vectors.cfg", format!("not JSON: {e}")))?;
        match cfg.get("mode").and_then(|mode| mode.as_str()) {
            None | Some("default") => {}
            Some(mode) => {
                let message = format!(
                    "vectors of mode `{mode}`: weft reads spaCy's `default` vectors (a row per \
                     word), not floret's hashed subwords"
                );
                return Err(error("vectors.cfg", message));
            }
        }
        let data = npy_f32(&read("vectors")?).map_err(|message| error("vectors", message))?;
        let key_rows = key2row(&read("key2row")?).map_err(|message| error("key2row", message))?;
        Vectors::from_keys(key_rows, data).map_err(|e| error("key2row", e.to_string()))
    }
}

/// The 2-D float32 array of a `.npy` file (NumPy's format, versions 1 to 3).
fn npy_f32(bytes: &[u8]) -> Result<Array2<f32>, String> {
    let rest = bytes
        .strip_prefix(b"\x93NUMPY")
        .ok_or("not a NumPy array (no `\\x93NUMPY` at the start)")?;
    let (version, rest) = rest.split_at_checked(2).ok_or("cut short in its header")?;
    let length_bytes = if version[0] == 1 { 2 } else { 4 };
    let (length, rest) = rest
        .split_at_checked(length_bytes)
        .ok_or("cut short in its header")?;
    let length = length
        .iter()
        .rev()
        .fold(0usize, |n, &b| (n << 8) | usize::from(b));
    let (header, data) = rest
        .split_at_checked(length)
        .ok_or("cut short in its header")?;
    let header = std::str::from_utf8(header).map_err(|_| "a header that is not text")?;
    let field = |name: &str| {
        let at = header.find(&format!("'{name}':"))? + name.len() + 3;
        Some(header[at..].trim_start())
    };
    let descr = field("descr").ok_or("no `descr` in its header")?;
    if !descr.starts_with("'<f4'") {
        let descr = descr.split(',').next().unwrap_or(descr);
        return Err(format!("an array of {descr}, not of float32 ('<f4')"));
    }
    let fortran = field("fortran_order").is_some_and(|value| value.starts_with("True"));
    let shape = field("shape").ok_or("no `shape` in its header")?;
    let shape = shape
        .strip_prefix('(')
        .and_then(|s| s.split(')').next())
        .ok_or("a `shape` that is not a tuple")?;
    let dims: Vec<usize> = shape
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| d.parse().map_err(|_| format!("a shape of ({shape})")))
        .collect::<Result<_, _>>()?;
    let [rows, dim] = dims[..] else {
        return Err(format!("an array of shape ({shape}), not a table of rows"));
    };
    let values = rows
        .checked_mul(dim)
        .filter(|&n| n.checked_mul(4) == Some(data.len()))
        .ok_or_else(|| format!("{} bytes of values for a shape of ({shape})", data.len()))?;
    let floats: Vec<f32> = data
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    debug_assert_eq!(floats.len(), values);
    let array = match fortran {
        true => Array2::from_shape_vec((rows, dim).f(), floats),
        false => Array2::from_shape_vec((rows, dim), floats),
    };
    array.map_err(|e| e.to_string())
}

/// The `(key, row)` pairs of a `key2row` map.
fn key2row(bytes: &[u8]) -> Result<Vec<(u64, usize)>, String> {
    let Value::Map(entries) = Value::decode(bytes)? else {
        return Err("not a map of keys to rows".into());
    };
    entries
        .iter()
        .map(|(key, row)| match (key, row) {
            (&Value::Int(key), &Value::Int(row)) => {
                let key = u64::try_from(key).map_err(|_| format!("the key {key}"))?;
                let row =
                    usize::try_from(row).map_err(|_| format!("the row {row} of key {key}"))?;
                Ok((key, row))
            }
            _ => Err(format!(
                "maps {} to {}, not keys to rows",
                key.kind(),
                row.kind()
            )),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `.npy` file of `rows` × `dim` values `0, 1, 2, ...` as NumPy 1.x writes it.
    fn npy(descr: &str, fortran: bool, shape: &str, values: usize) -> Vec<u8> {
        let header = format!(
            "{{'descr': '{descr}', 'fortran_order': {}, 'shape': {shape}, }}",
            if fortran { "True" } else { "False" }
        );
        let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
        bytes.extend((header.len() as u16).to_le_bytes());
        bytes.extend(header.as_bytes());
        bytes.extend((0..values).flat_map(|i| (i as f32).to_le_bytes()));
        bytes
    }

    #[test]
    fn npy_arrays_are_read_in_either_order() {
        let c = npy_f32(&npy("<f4", false, "(2, 3)", 6)).unwrap();
        assert_eq!(c.row(1).to_vec(), [3.0, 4.0, 5.0]);
        let f = npy_f32(&npy("<f4", true, "(2, 3)", 6)).unwrap();
        assert_eq!(f.row(1).to_vec(), [1.0, 3.0, 5.0]);
    }

    #[test]
    fn malformed_npy_arrays_say_what_is_wrong() {
        let cases = [
            (npy("<f8", false, "(2, 3)", 6), "an array of '<f8'"),
            (npy("<f4", false, "(6,)", 6), "an array of shape (6,)"),
            (
                npy("<f4", false, "(2, 3)", 5),
                "20 bytes of values for a shape of (2, 3)",
            ),
            (b"PK\x03\x04".to_vec(), "not a NumPy array"),
            (b"\x93NUMPY\x01".to_vec(), "cut short"),
        ];
        for (bytes, expected) in cases {
            let err = npy_f32(&bytes).unwrap_err();
            assert!(err.contains(expected), "{err}");
        }
    }
}
