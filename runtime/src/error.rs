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
            Error::Io { path, source } => write!(f, "{}: {source}", path.display()),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}
