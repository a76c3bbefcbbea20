//! The one error type of weft: every fallible call returns [`Result<T>`].

use std::fmt;
use std::path::PathBuf;

/// What went wrong, with where it went wrong.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// Data of the wrong shape: `what` names the value, `expected` and `found` describe the shapes.
    Shape {
        /// The value whose shape is wrong.
        what: String,
        /// The shape the callee needs.
        expected: String,
        /// The shape it was given.
        found: String,
    },
    /// A value that must be finite is NaN or infinite.
    NonFinite {
        /// The value, and the first position holding a non-finite number.
        what: String,
    },
    /// A value outside the range it must be in: a probability above 1, an optimizer's setting.
    OutOfRange {
        /// The value, and where it is.
        what: String,
        /// The range it must be in.
        expected: String,
        /// The value found.
        found: String,
    },
    /// A label or class index outside the model's classes.
    Label {
        /// Where the label appeared.
        what: String,
        /// The offending label.
        label: usize,
        /// Number of classes the model has.
        classes: usize,
    },
    /// A malformed line in a data file.
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong with the line.
        message: String,
    },
    /// A data file that looks like another format than the one it is read as.
    Format {
        /// The file.
        path: PathBuf,
        /// What the file looks like, what it is read as, and how to read it.
        message: String,
    },
    /// A network written as text is wrong, or cannot be built as asked.
    Network {
        /// What is wrong, and where in the text: the line, with a caret under the place.
        message: String,
    },
    /// A config (a file, a `--set` on the command line, a saved pipeline's) is wrong.
    Config {
        /// Where: the file, the key or the command-line setting.
        place: String,
        /// What is wrong; a TOML error shows the line, with a caret under the place.
        message: String,
    },
    /// A model's sizes cannot be read off the data it is initialized with.
    Initialize {
        /// Which layer needs what, and what the data lacks.
        message: String,
    },
    /// A saved model that does not fit this model, or is not a saved model at all.
    Load {
        /// The file, when loading from disk.
        path: Option<PathBuf>,
        /// The first difference found.
        error: LoadError,
    },
    /// A training checkpoint, or an optimizer's saved state, that cannot be resumed from: not
    /// one, damaged, or saved for another network, optimizer, settings or examples; or an
    /// optimizer that cannot save its state.
    Checkpoint {
        /// The checkpoint's file, when resuming from one.
        path: Option<PathBuf>,
        /// What is wrong: the first difference found.
        message: String,
    },
    /// A layer shared by several places of a model (`Shared`) is also held outside it, so
    /// its parameters cannot be changed.
    Shared {
        /// Which layer, and what to do.
        message: String,
    },
    /// The thread pool cannot be set up as asked.
    Threads {
        /// Why.
        message: String,
    },
    /// A file of a spaCy pipeline ([`spacy`](crate::spacy)) that cannot be read as one, or
    /// describes what weft does not build: malformed, of another architecture, of another shape.
    Spacy {
        /// The file.
        path: PathBuf,
        /// What is wrong, and where in the file.
        message: String,
    },
    /// Reading or writing a file failed.
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
}

/// `Result` with weft's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An [`Error::Shape`].
    pub(crate) fn shape(
        what: impl Into<String>,
        expected: impl fmt::Display,
        found: impl fmt::Display,
    ) -> Self {
        Error::Shape {
            what: what.into(),
            expected: expected.to_string(),
            found: found.to_string(),
        }
    }

    /// An [`Error::Checkpoint`] of no file.
    pub(crate) fn checkpoint(message: impl Into<String>) -> Self {
        Error::Checkpoint {
            path: None,
            message: message.into(),
        }
    }

    /// An [`Error::OutOfRange`].
    pub(crate) fn out_of_range(
        what: impl Into<String>,
        expected: impl fmt::Display,
        found: impl fmt::Display,
    ) -> Self {
        Error::OutOfRange {
            what: what.into(),
            expected: expected.to_string(),
            found: found.to_string(),
        }
    }
}

/// The most items a message lists: [`listed`] cuts a longer list there.
pub(crate) const LISTED: usize = 10;

/// `items` joined by `, ` for a message, bounded however many there are: past the first
/// [`LISTED`], only how many more (`a, b, c, ..., j and 17990 more`).
pub(crate) fn listed<T: fmt::Display>(items: &[T]) -> String {
    let shown: Vec<String> = items.iter().take(LISTED).map(T::to_string).collect();
    match items.len().saturating_sub(LISTED) {
        0 => shown.join(", "),
        more => format!("{} and {more} more", shown.join(", ")),
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Shape {
                what,
                expected,
                found,
            } => write!(f, "{what}: expected {expected}, found {found}"),
            Error::NonFinite { what } => write!(f, "{what} is not finite"),
            Error::OutOfRange {
                what,
                expected,
                found,
            } => write!(f, "{what} must be {expected}, found {found}"),
            Error::Label {
                what,
                label,
                classes,
            } => write!(
                f,
                "{what}: label {label} is out of range for {classes} classes"
            ),
            Error::Parse {
                path,
                line,
                message,
            } => write!(f, "{}:{line}: {message}", path.display()),
            Error::Format { path, message } => write!(f, "{}: {message}", path.display()),
            Error::Initialize { message } => write!(f, "initialize: {message}"),
            Error::Network { message } => write!(f, "network: {message}"),
            Error::Config { place, message } => write!(f, "{place}: {message}"),
            Error::Shared { message } => write!(f, "{message}"),
            Error::Threads { message } => write!(f, "threads: {message}"),
            Error::Load {
                path: Some(path),
                error,
            } => write!(f, "cannot load {}: {error}", path.display()),
            Error::Load { path: None, error } => write!(f, "cannot load the model: {error}"),
            Error::Checkpoint {
                path: Some(path),
                message,
            } => write!(f, "checkpoint {}: {message}", path.display()),
            Error::Checkpoint {
                path: None,
                message,
            } => write!(f, "checkpoint: {message}"),
            Error::Spacy { path, message } => {
                write!(f, "spaCy pipeline {}: {message}", path.display())
            }
            Error::Io { path, source } => write!(f, "{}: {source}", path.display()),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            Error::Load { error, .. } => Some(error),
            _ => None,
        }
    }
}

/// Why [`Params::from_bytes`](crate::Params::from_bytes) refused a saved model: the first
/// difference between the bytes and the model, checked in this order: the format, its version,
/// the checksum, the architecture, then each of the model's parameters in walk order, then the
/// parameters the model lacks.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum LoadError {
    /// Not msgpack, not a weft model, or a field of the wrong type.
    Malformed {
        /// What is wrong, and where.
        reason: String,
    },
    /// A format version this build cannot read.
    Version {
        /// The version in the bytes.
        found: u64,
        /// The version this build writes, the newest it reads: it reads every version from 1 up
        /// to it.
        supported: u64,
    },
    /// Bytes that differ from those saved: the checksum of the layers and parameters is not the
    /// one stored with them.
    Damaged {
        /// The checksum stored in the bytes.
        stored: u32,
        /// The checksum of the layers and parameters the bytes hold.
        computed: u32,
    },
    /// A file longer than any saved form of the model: [`from_disk`](crate::Params::from_disk)
    /// reads no further.
    TooLong {
        /// The file's length in bytes.
        length: u64,
        /// The length of the longest saved form of the model.
        limit: u64,
    },
    /// A layer that differs: another kind or path, another attribute, or a layer on one side only.
    Architecture {
        /// The layer: its path, or its index in walk order when the paths differ.
        layer: String,
        /// The layer or attribute in the file.
        file: String,
        /// The layer or attribute in the model.
        model: String,
    },
    /// A parameter of the model that the file lacks.
    MissingParam {
        /// The parameter's path.
        path: String,
    },
    /// A parameter in the file that the model lacks.
    UnexpectedParam {
        /// The parameter's path.
        path: String,
    },
    /// A parameter stored as another element type than `f32`.
    Dtype {
        /// The parameter's path.
        path: String,
        /// The element type in the file.
        found: String,
    },
    /// A parameter of another shape.
    Shape {
        /// The parameter's path.
        path: String,
        /// The shape in the model.
        expected: Vec<usize>,
        /// The shape in the file.
        found: Vec<usize>,
    },
    /// A parameter whose data does not hold its shape's values.
    DataLength {
        /// The parameter's path.
        path: String,
        /// Bytes the shape needs: 4 per value.
        expected: usize,
        /// Bytes in the file.
        found: usize,
    },
    /// A parameter holding NaN or infinity.
    NonFinite {
        /// The parameter's path.
        path: String,
        /// The position of the first such value, row-major.
        index: usize,
        /// The value.
        value: f32,
    },
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Malformed { reason } => write!(f, "not a weft model: {reason}"),
            LoadError::Version { found, supported } => write!(
                f,
                "format version {found} is not supported (this build reads versions 1 to {supported})"
            ),
            LoadError::Damaged { stored, computed } => write!(
                f,
                "the saved model is damaged: its checksum does not match its contents \
                 ({stored:#010x} stored, {computed:#010x} computed)"
            ),
            LoadError::TooLong { length, limit } => write!(
                f,
                "the file holds {length} bytes, more than any saved form of this model \
                 ({limit} at most)"
            ),
            LoadError::Architecture { layer, file, model } => write!(
                f,
                "the architecture differs at layer {layer}: {file} in the file, {model} in the model"
            ),
            LoadError::MissingParam { path } => {
                write!(f, "parameter {path} is missing from the file")
            }
            LoadError::UnexpectedParam { path } => {
                write!(
                    f,
                    "the file has parameter {path}, which the model does not have"
                )
            }
            LoadError::Dtype { path, found } => {
                write!(
                    f,
                    "parameter {path} holds {found} values; only f32 is supported"
                )
            }
            LoadError::Shape {
                path,
                expected,
                found,
            } => write!(
                f,
                "parameter {path} has shape {found:?} in the file, the model expects {expected:?}"
            ),
            LoadError::DataLength {
                path,
                expected,
                found,
            } => write!(
                f,
                "parameter {path} has {found} bytes of data, its shape needs {expected}"
            ),
            LoadError::NonFinite { path, index, value } => {
                write!(f, "parameter {path} holds {value} at index {index}")
            }
        }
    }
}

impl std::error::Error for LoadError {}
