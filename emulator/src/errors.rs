//! The service's error answers.

use crate::http::Response;

/// An error answer of the Write API: HTTP status, `type` and `message`.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// HTTP status code.
    pub status: u16,
    /// The `type` field (e.g. `InvalidJson`).
    pub kind: &'static str,
    /// The `message` field.
    pub message: String,
}

impl ApiError {
    /// Builds an error answer.
    pub fn new(status: u16, kind: &'static str, message: &str) -> ApiError {
        ApiError {
            status,
            kind,
            message: message.to_string(),
        }
    }

    /// `InvalidObject` naming the offending field.
    pub fn invalid_object(message: String) -> ApiError {
        ApiError {
            status: 400,
            kind: "InvalidObject",
            message,
        }
    }

    /// The answer to send.
    pub fn response(&self) -> Response {
        Response::error(self.status, self.kind, &self.message)
    }
}
