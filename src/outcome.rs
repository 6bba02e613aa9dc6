//! What one send did: the result handed back for every call.

use crate::code::Code;

/// What one [`crate::Client::send`] did.
///
/// For a success, `code` is [`Code::Ok`] and `visitor_id` the service's visitor
/// id (when its answer had one). For a failure, the code, HTTP status and error
/// type are those of the last attempt. Nothing here contains the token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SendResult {
    pub(crate) code: Code,
    pub(crate) http_status: u16,
    pub(crate) attempts: u32,
    pub(crate) error_type: Option<String>,
    pub(crate) message: String,
    pub(crate) visitor_id: Option<String>,
    pub(crate) body: Option<Vec<u8>>,
    /// The wait the service asked for with `Retry-After` on its last answer
    /// (429 or 503): the delivery queue's shared pause honours it.
    pub(crate) retry_after: Option<std::time::Duration>,
}

impl SendResult {
    /// A result for a call stopped before anything was sent.
    pub fn not_sent(code: Code, message: impl Into<String>) -> SendResult {
        SendResult {
            code,
            http_status: 0,
            attempts: 0,
            error_type: code.service_type().map(str::to_string),
            message: message.into(),
            visitor_id: None,
            body: None,
            retry_after: None,
        }
    }

    /// The result code.
    pub fn code(&self) -> Code {
        self.code
    }

    /// True when the service accepted the event.
    pub fn is_ok(&self) -> bool {
        self.code == Code::Ok
    }

    /// The HTTP status of the last answer; 0 when there was no HTTP answer.
    pub fn http_status(&self) -> u16 {
        self.http_status
    }

    /// Attempts made; 0 when the call stopped before sending.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The service's error `type` (or the one it would have answered, for a
    /// check before sending); `None` on success and for failures without one.
    pub fn error_type(&self) -> Option<&str> {
        self.error_type.as_deref()
    }

    /// The service's message, or the library's own explanation. Never empty.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The `visitorId` of a success answer.
    pub fn visitor_id(&self) -> Option<&str> {
        self.visitor_id.as_deref()
    }

    /// The raw answer body (at most 64 KiB, token redacted); `None` if there was none.
    pub fn body(&self) -> Option<&[u8]> {
        self.body.as_deref()
    }

    /// The result as a Rust `Result`, for `?`: `Ok` when the service accepted
    /// the event, otherwise a [`SendError`] that keeps every field.
    pub fn into_result(self) -> Result<SendResult, SendError> {
        if self.is_ok() {
            Ok(self)
        } else {
            Err(SendError(Box::new(self)))
        }
    }
}

/// A send that failed for good, as a Rust error: code, HTTP status, service
/// type, message, attempts and body of the last attempt, through
/// [`SendError::result`]. Displays as `UA_NAME: message`; never contains the token.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}: {}", .0.code.name(), .0.message)]
pub struct SendError(Box<SendResult>);

impl SendError {
    /// A call refused before anything was sent (`code` is never `Ok`).
    pub(crate) fn refusal(code: Code, message: impl Into<String>) -> SendError {
        debug_assert!(!code.is_ok());
        SendError(Box::new(SendResult::not_sent(code, message)))
    }

    /// Everything the failed call reported.
    pub fn result(&self) -> &SendResult {
        &self.0
    }

    /// The result code (never [`Code::Ok`]).
    pub fn code(&self) -> Code {
        self.0.code
    }

    /// Takes back the whole result.
    pub fn into_inner(self) -> SendResult {
        *self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn into_result_splits_success_from_failure_and_keeps_every_field() {
        let failed = SendResult::not_sent(
            Code::MissingParameter,
            "Parameter 'customEvent.eventType' is missing.",
        );
        let err = failed.clone().into_result().unwrap_err();
        assert_eq!(err.code(), Code::MissingParameter);
        assert_eq!(err.result(), &failed);
        assert_eq!(
            err.to_string(),
            "UA_MISSING_PARAMETER: Parameter 'customEvent.eventType' is missing."
        );
        let ok = SendResult::not_sent(Code::Ok, "accepted");
        assert!(ok.into_result().is_ok());
    }
}
