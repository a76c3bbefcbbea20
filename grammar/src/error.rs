//! A grammar error: a message, and where in the network it applies.

use std::fmt;

/// What is wrong with a network, spanned at the layer, argument or operator at fault. `S` is
/// the front end's span; the message is the same whatever the front end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error<S> {
    /// Where the fault was written.
    pub span: S,
    /// What is wrong, in a sentence that names the layers involved.
    pub message: String,
}

impl<S> Error<S> {
    /// An error at `span`.
    pub fn new(span: S, message: impl Into<String>) -> Self {
        Error {
            span,
            message: message.into(),
        }
    }
}

impl<S> fmt::Display for Error<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl<S: fmt::Debug> std::error::Error for Error<S> {}
