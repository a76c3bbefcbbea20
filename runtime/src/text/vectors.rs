//! [`Vectors`]: a frozen table of word vectors (pretrained: word2vec, fastText, GloVe, or a
//! spaCy pipeline's), looked up by the key of a token's text, for
//! [`StaticVectors`](crate::layers::StaticVectors).
//!
//! A word's key is its [`string_id`] as written ([`Attr::Orth`](super::Attr::Orth), spaCy's
//! `ORTH`), so that the keys of a spaCy pipeline's table (its `key2row`) are read as they are.
//! Several keys may share a row; a key the table lacks has no vector.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;

use ndarray::{Array2, ArrayView1, ArrayView2};

use super::strings::string_id;
use crate::error::{Error, Result};
use crate::kernels::murmur::murmurhash64a;

/// A table of word vectors: rows of `dim` floats, and the keys that read each row.
///
/// ```
/// use ndarray::array;
/// use weft_runtime::text::{Vectors, string_id};
/// let vectors = Vectors::new(["cat", "dog"], array![[1.0, 0.0], [0.0, 1.0]])?;
/// assert_eq!(vectors.dim(), 2);
/// assert_eq!(vectors.get("dog").unwrap().to_vec(), [0.0, 1.0]);
/// assert_eq!(vectors.row_of(string_id("cat")), Some(0));
/// assert!(vectors.get("Dog").is_none()); // keys are of the text as written
/// # Ok::<(), weft_runtime::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Vectors {
    key_rows: HashMap<u64, u32>,
    data: Array2<f32>,
    fingerprint: u64,
}

impl Vectors {
    /// One row of `data` per word, in order; a word given twice reads its last row, as in
    /// spaCy's `Vectors`. An error when the counts differ or a value is not finite.
    pub fn new(
        words: impl IntoIterator<Item = impl AsRef<str>>,
        data: Array2<f32>,
    ) -> Result<Vectors> {
        let keys = words.into_iter().map(|word| string_id(word.as_ref()));
        let key_rows: Vec<(u64, usize)> = keys.zip(0..).collect();
        if key_rows.len() != data.nrows() {
            return Err(Error::shape(
                "the words of a table of vectors",
                format!("one per row ({})", data.nrows()),
                key_rows.len().to_string(),
            ));
        }
        Vectors::from_keys(key_rows, data)
    }

    /// The table `data`, each `(key, row)` of `key_rows` saying which row a key reads (spaCy's
    /// `key2row`; rows no key reads are allowed). An error when a row is outside the table, the
    /// table has more rows than `u32` counts, or a value is not finite.
    pub fn from_keys(
        key_rows: impl IntoIterator<Item = (u64, usize)>,
        data: Array2<f32>,
    ) -> Result<Vectors> {
        let rows = data.nrows();
        if u32::try_from(rows).is_err() {
            return Err(Error::shape(
                "a table of vectors",
                "at most 2^32 rows",
                format!("{rows} rows"),
            ));
        }
        if let Some(at) = data.iter().position(|x| !x.is_finite()) {
            let dim = data.ncols();
            return Err(Error::NonFinite {
                what: format!(
                    "a table of vectors, at row {} column {}",
                    at / dim,
                    at % dim
                ),
            });
        }
        let mut map = HashMap::new();
        for (key, row) in key_rows {
            if row >= rows {
                return Err(Error::shape(
                    format!("the row of key {key} in a table of vectors"),
                    format!("below {rows}"),
                    row.to_string(),
                ));
            }
            map.insert(key, row as u32); // below `rows`, which fits `u32`
        }
        let data = data.as_standard_layout().into_owned();
        let fingerprint = fingerprint(&map, data.view());
        Ok(Vectors {
            key_rows: map,
            data,
            fingerprint,
        })
    }

    /// The table in the file or folder at `path`: a folder is a spaCy vocabulary's
    /// ([`Vectors::read_spacy`]), a file word vectors as text ([`Vectors::read_text`]).
    pub fn read(path: impl AsRef<Path>) -> Result<Vectors> {
        let path = path.as_ref();
        match path.is_dir() {
            true => Vectors::read_spacy(path),
            false => Vectors::read_text(path),
        }
    }

    /// Word vectors as text, the format of word2vec, fastText (`.vec`) and GloVe: a line per
    /// word, the word then its values, separated by spaces; a first line of two integers (rows
    /// and width) is a header, checked against the rest. As spaCy's `init vectors` reads them:
    /// a word may hold spaces (the last `dim` fields are the values), and a word given twice
    /// reads its last line. An error naming the file and line for a line of another width, a
    /// value that is not a finite number, or rows other than the header says.
    pub fn read_text(path: impl AsRef<Path>) -> Result<Vectors> {
        let path = path.as_ref();
        let io = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let parse = |line: usize, message: String| Error::Parse {
            path: path.to_path_buf(),
            line,
            message,
        };
        let file = std::fs::File::open(path).map_err(io)?;
        let (mut words, mut values) = (Vec::new(), Vec::new());
        let (mut dim, mut header_rows) = (None, None);
        for (i, line) in BufReader::new(file).lines().enumerate() {
            let line = line.map_err(io)?;
            let line = line.trim_end();
            if i == 0
                && let Some((rows, width)) = header(line)
            {
                (header_rows, dim) = (Some(rows), Some(width));
                continue;
            }
            if line.is_empty() {
                return Err(parse(
                    i + 1,
                    "an empty line: a word and its values expected".into(),
                ));
            }
            let width = *dim.get_or_insert_with(|| line.split(' ').count() - 1);
            let mut fields = line.rsplitn(width + 1, ' ');
            let start = values.len();
            values.extend(fields.by_ref().take(width).map(|x| x.parse::<f32>().ok()));
            let word = fields.next().filter(|word| !word.is_empty());
            let found = values.len() - start;
            let (Some(word), true) = (word, found == width && width > 0) else {
                return Err(parse(
                    i + 1,
                    format!(
                        "a word and {width} values expected, found {} fields",
                        line.split(' ').count()
                    ),
                ));
            };
            values[start..].reverse(); // `rsplitn` gave them last first
            if let Some(at) = values[start..]
                .iter()
                .position(|x| !x.is_some_and(f32::is_finite))
            {
                let field = line.rsplit(' ').nth(width - 1 - at).unwrap_or_default();
                return Err(parse(
                    i + 1,
                    format!(
                        "value {} of `{word}` is `{field}`, not a finite number",
                        at + 1
                    ),
                ));
            }
            words.push(word.to_string());
        }
        let dim = dim.unwrap_or(0);
        if let Some(rows) = header_rows.filter(|&rows| rows != words.len()) {
            return Err(Error::Format {
                path: path.to_path_buf(),
                message: format!("the header says {rows} rows, the file has {}", words.len()),
            });
        }
        if words.is_empty() {
            return Err(Error::Format {
                path: path.to_path_buf(),
                message: "no vectors: a line per word expected, the word then its values".into(),
            });
        }
        let values = values.into_iter().map(|x| x.unwrap_or_default()).collect();
        let data = Array2::from_shape_vec((words.len(), dim), values).expect("rows of dim");
        Vectors::new(words, data)
    }

    /// The width of the vectors.
    pub fn dim(&self) -> usize {
        self.data.ncols()
    }

    /// The rows of the table.
    pub fn rows(&self) -> usize {
        self.data.nrows()
    }

    /// The keys that read a row.
    pub fn keys(&self) -> usize {
        self.key_rows.len()
    }

    /// The row `key` reads, if the table has it.
    pub fn row_of(&self, key: u64) -> Option<usize> {
        self.key_rows.get(&key).map(|&row| row as usize)
    }

    /// The vector of `word` as written, if the table has it.
    pub fn get(&self, word: &str) -> Option<ArrayView1<'_, f32>> {
        let row = self.row_of(string_id(word))?;
        Some(self.data.row(row))
    }

    /// The table, a row per vector.
    pub fn data(&self) -> ArrayView2<'_, f32> {
        self.data.view()
    }

    /// A hash of the keys, their rows and the values: what a saved model records of the table
    /// it was trained with, so that it is not loaded over another.
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }
}

/// The rows and width of a header line (`"2000000 300"`).
fn header(line: &str) -> Option<(usize, usize)> {
    let mut fields = line.split_whitespace().map(|f| f.parse::<usize>().ok());
    match (fields.next(), fields.next(), fields.next()) {
        (Some(Some(rows)), Some(Some(width)), None) => Some((rows, width)),
        _ => None,
    }
}

/// MurmurHash64A over the shape, the values row by row, and the `(key, row)` pairs in the
/// order of the keys, each part seeded with the hash so far.
fn fingerprint(key_rows: &HashMap<u64, u32>, data: ArrayView2<'_, f32>) -> u64 {
    let shape = [data.nrows() as u64, data.ncols() as u64].map(u64::to_le_bytes);
    let mut hash = murmurhash64a(shape.as_flattened(), 0);
    let values = data.as_slice().expect("standard layout");
    for chunk in values.chunks(1 << 16) {
        let bytes: Vec<u8> = chunk.iter().flat_map(|x| x.to_le_bytes()).collect();
        hash = murmurhash64a(&bytes, hash);
    }
    let mut pairs: Vec<(u64, u32)> = key_rows.iter().map(|(&k, &r)| (k, r)).collect();
    pairs.sort_unstable();
    let bytes: Vec<u8> = pairs
        .iter()
        .flat_map(|&(key, row)| key.to_le_bytes().into_iter().chain(row.to_le_bytes()))
        .collect();
    murmurhash64a(&bytes, hash)
}

#[cfg(test)]
mod tests {
    use ndarray::array;

    use super::*;

    /// `text` read as a file `vectors.txt` (one file per call: tests run at once).
    fn read(text: &str) -> Result<Vectors> {
        static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("weft-vectors-{}-{call}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("vectors.txt");
        std::fs::write(&path, text).unwrap();
        let vectors = Vectors::read_text(&path);
        std::fs::remove_dir_all(&dir).unwrap();
        vectors
    }

    #[test]
    fn text_vectors_are_read_with_or_without_a_header() {
        let with = read("2 3\nthe 0.5 -1 2\nNew York 1 2 3\n").unwrap();
        let without = read("the 0.5 -1 2\nNew York 1 2 3\n").unwrap();
        for vectors in [&with, &without] {
            assert_eq!((vectors.rows(), vectors.dim(), vectors.keys()), (2, 3, 2));
            assert_eq!(vectors.get("the").unwrap().to_vec(), [0.5, -1.0, 2.0]);
            assert_eq!(vectors.get("New York").unwrap().to_vec(), [1.0, 2.0, 3.0]);
        }
        assert_eq!(with.fingerprint(), without.fingerprint());
        let twice = read("a 1\nb 2\na 3\n").unwrap();
        assert_eq!((twice.rows(), twice.keys()), (3, 2));
        assert_eq!(
            twice.get("a").unwrap().to_vec(),
            [3.0],
            "the last line, as spaCy"
        );
    }

    #[test]
    fn malformed_text_vectors_are_named_by_file_and_line() {
        let cases = [
            (
                "a 1 2\nb 1\n",
                "txt:2: a word and 2 values expected, found 2 fields",
            ),
            (
                "a 1 2\nb 1 x\n",
                "txt:2: value 2 of `b` is `x`, not a finite number",
            ),
            (
                "a 1 NaN\n",
                "txt:1: value 2 of `a` is `NaN`, not a finite number",
            ),
            ("3 2\na 1 2\n", "the header says 3 rows, the file has 1"),
            ("a 1\n\nb 2\n", "txt:2: an empty line"),
            ("", "no vectors"),
            ("a\n", "txt:1: a word and 0 values expected"),
        ];
        for (text, expected) in cases {
            let err = read(text).unwrap_err().to_string();
            assert!(err.contains(expected), "{text:?}: {err}");
        }
    }

    #[test]
    fn tables_are_checked() {
        let bad_row = Vectors::from_keys([(7, 2)], Array2::zeros((2, 1)));
        assert!(bad_row.unwrap_err().to_string().contains("below 2"));
        let infinite = Vectors::new(["a", "b"], array![[0.0], [f32::INFINITY]]);
        assert!(infinite.unwrap_err().to_string().contains("row 1 column 0"));
        let short = Vectors::new(["a"], Array2::zeros((2, 1)));
        assert!(short.unwrap_err().to_string().contains("one per row (2)"));
    }

    #[test]
    fn the_fingerprint_follows_keys_rows_and_values() {
        let base = Vectors::new(["a", "b"], array![[1.0], [2.0]]).unwrap();
        let others = [
            Vectors::new(["a", "c"], array![[1.0], [2.0]]).unwrap(),
            Vectors::new(["b", "a"], array![[1.0], [2.0]]).unwrap(),
            Vectors::new(["a", "b"], array![[1.0], [2.5]]).unwrap(),
            Vectors::new(["a", "b"], array![[1.0, 2.0], [0.0, 0.0]]).unwrap(),
        ];
        for other in others {
            assert_ne!(base.fingerprint(), other.fingerprint());
        }
        let same = Vectors::new(["a", "b"], array![[1.0], [2.0]]).unwrap();
        assert_eq!(base.fingerprint(), same.fingerprint());
    }
}
