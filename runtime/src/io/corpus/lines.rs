//! [`Lines`]: a text file read a line at a time, each line bounded, checked to be UTF-8, and
//! numbered for messages.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use super::parse_error;
use crate::error::{Error, Result};

/// The longest line the readers take, in bytes (1 MiB: a text of a hundred thousand tokens and
/// more). A longer line is an error, read no further than this.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// The lines of a file, one at a time: without their ending (`\n` or `\r\n`), the byte-order
/// mark some editors put at the start of a file dropped.
pub(crate) struct Lines<R = BufReader<File>> {
    path: PathBuf,
    reader: R,
    /// The number of the last line read, from 1.
    number: usize,
    bytes: Vec<u8>,
}

impl Lines {
    /// The lines of the file at `path`.
    pub(crate) fn open(path: &Path) -> Result<Self> {
        let file = File::open(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?;
        Ok(Lines::new(path, BufReader::new(file)))
    }
}

impl<R: BufRead> Lines<R> {
    /// The lines `reader` gives, `path` naming them in messages.
    pub(crate) fn new(path: &Path, reader: R) -> Self {
        Lines {
            path: path.to_owned(),
            reader,
            number: 0,
            bytes: Vec::new(),
        }
    }

    /// The next line and its number, or `None` at the end of the file. A line longer than
    /// [`MAX_LINE_BYTES`], or not UTF-8, is an error naming it.
    pub(crate) fn next_line(&mut self) -> Result<Option<(usize, &str)>> {
        self.bytes.clear();
        let limit = MAX_LINE_BYTES as u64 + 1;
        let read = (&mut self.reader)
            .take(limit)
            .read_until(b'\n', &mut self.bytes)
            .map_err(|source| Error::Io {
                path: self.path.clone(),
                source,
            })?;
        if read == 0 {
            return Ok(None);
        }
        self.number += 1;
        if self.bytes.last() == Some(&b'\n') {
            self.bytes.pop();
            if self.bytes.last() == Some(&b'\r') {
                self.bytes.pop();
            }
        } else if self.bytes.len() > MAX_LINE_BYTES {
            return Err(self.error(format!(
                "the line is longer than {} MiB; is this a text file of one example per line?",
                MAX_LINE_BYTES >> 20
            )));
        }
        let text = match std::str::from_utf8(&self.bytes) {
            Ok(text) => text,
            Err(err) => {
                return Err(parse_error(
                    &self.path,
                    self.number,
                    format!(
                        "the line is not UTF-8 (byte {} of the line)",
                        err.valid_up_to() + 1
                    ),
                ));
            }
        };
        let text = match self.number {
            1 => text.strip_prefix('\u{feff}').unwrap_or(text),
            _ => text,
        };
        Ok(Some((self.number, text)))
    }

    /// An error at the last line read.
    pub(crate) fn error(&self, message: impl Into<String>) -> Error {
        parse_error(&self.path, self.number.max(1), message)
    }
}
