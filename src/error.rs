//! The error type of option setters and of building a client.

use crate::code::Code;

/// Why an option value or a client was refused: a code and a readable message.
///
/// The message never contains the token.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}: {}", .code.name(), .message)]
pub struct Error {
    code: Code,
    message: String,
}

impl Error {
    /// An error with `code` and `message`.
    pub fn new(code: Code, message: impl Into<String>) -> Error {
        Error {
            code,
            message: message.into(),
        }
    }

    /// A [`Code::InvalidArgument`] error.
    pub fn invalid_argument(message: impl Into<String>) -> Error {
        Error::new(Code::InvalidArgument, message)
    }

    /// The result code.
    pub fn code(&self) -> Code {
        self.code
    }

    /// What was wrong, in words.
    pub fn message(&self) -> &str {
        &self.message
    }
}
