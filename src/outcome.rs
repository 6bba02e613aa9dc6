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
}
