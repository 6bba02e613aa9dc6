//! Result codes: the one table of every code the library can return.
//!
//! Each row gives a code its constant (the number lives in `crate::ffi::consts`,
//! the C face), how an HTTP answer selects it (its documented `type` and
//! status), whether it is transient (worth sending again later), and a text that
//! says what happened, the likely cause and what to do.
//!
//! The [`Code`] enum and every lookup are generated from the table by one macro,
//! and the answer mapping ([`code_for_answer`]) and the retry rule read its
//! columns, so a fact about a code is written in one row and nowhere else.

use crate::ffi::consts::*;
use std::ffi::CStr;
use std::ops::RangeInclusive;

/// How an HTTP answer selects a code: one column of the table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Selected {
    /// Never from an answer: the library's own codes.
    Never,
    /// The status alone decides, whatever the body's `type` says; `type` is
    /// the one the service documents for it, if any.
    ByStatus(RangeInclusive<u16>, Option<&'static str>),
    /// The documented `type` decides, whatever the status; a type shared by
    /// several rows is split by their documented statuses. With no readable
    /// type, a status that only this row documents decides.
    ByType(&'static str, u16),
    /// Any other non-2xx answer.
    Otherwise,
}

/// Builds `Code` and its lookups from the table rows below.
///
/// Row: `Variant = UA_CONSTANT, answer: Selected, transient: bool, text: "...";`
macro_rules! code_table {
    ($(
        $(#[$doc:meta])*
        $variant:ident = $konst:ident,
        answer: $answer:expr,
        transient: $transient:expr,
        text: $text:literal;
    )*) => {
        /// Every result code the library knows, one variant per `UA_*` constant
        /// of the C header (the discriminant is the code's number).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(i32)]
        #[non_exhaustive]
        pub enum Code {
            $( $(#[$doc])* $variant = $konst, )*
        }

        impl Code {
            /// Every known code, in table order.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The code for a number, or `None` for a number the library does not know.
            pub fn from_raw(raw: i32) -> Option<Code> {
                $( if raw == $konst { return Some(Code::$variant); } )*
                None
            }

            /// The name of the constant, e.g. `"UA_INVALID_JSON"`, as a C string.
            pub(crate) fn name_c(self) -> &'static CStr {
                match self {
                    $( Code::$variant => nul_terminated(concat!(stringify!($konst), "\0")), )*
                }
            }

            /// How an HTTP answer selects this code.
            pub(crate) fn selected(self) -> Selected {
                match self {
                    $( Code::$variant => $answer, )*
                }
            }

            /// Whether a send that ended with this code is worth making again
            /// later: the service was throttling, failing or unreachable, or
            /// too slow. Any other failure would fail the same way again.
            pub fn is_transient(self) -> bool {
                match self {
                    $( Code::$variant => $transient, )*
                }
            }

            /// What happened, the likely cause and what to do, as a C string.
            pub(crate) fn description_c(self) -> &'static CStr {
                match self {
                    $( Code::$variant => nul_terminated(concat!($text, "\0")), )*
                }
            }
        }
    };
}

/// Views a literal that ends in one NUL (and has no other) as a `CStr`.
const fn nul_terminated(text: &'static str) -> &'static CStr {
    match CStr::from_bytes_with_nul(text.as_bytes()) {
        Ok(c) => c,
        Err(_) => panic!("a code table text contains a NUL byte"),
    }
}

use Selected::{ByStatus, ByType, Never, Otherwise};

code_table! {
    /// The service accepted the event.
    Ok = UA_OK, answer: ByStatus(200..=299, None), transient: false,
    text: "Success: the service accepted the event (HTTP 2xx). Nothing to do.";
    /// 400 `InvalidHeadersException`.
    InvalidHeaders = UA_INVALID_HEADERS, answer: ByType("InvalidHeadersException", 400), transient: false,
    text: "The service refused a request header (400 InvalidHeadersException): one of the header values is not in the expected form. Check any value you add to the request, such as the user agent product, and report it if the library's own headers are refused.";
    /// 400 `InvalidJson`, or found before sending.
    InvalidJson = UA_INVALID_JSON, answer: ByType("InvalidJson", 400), transient: false,
    text: "The event body is not valid JSON (InvalidJson): the message gives the line and column where parsing stopped. Fix the text that builds the event; a JSON validator shows the exact fault.";
    /// 400 `InvalidObject`, or found before sending.
    InvalidObject = UA_INVALID_OBJECT, answer: ByType("InvalidObject", 400), transient: false,
    text: "The event is valid JSON but a value has the wrong type or range (InvalidObject), for example a string for 'outcome', or the body is not a JSON object. The message names the field; send it with the documented type.";
    /// 400 `InvalidToken`.
    InvalidToken = UA_INVALID_TOKEN, answer: ByType("InvalidToken", 400), transient: false,
    text: "The service does not recognise the access token (InvalidToken). A search or OAuth token may have expired, or an API key may have been disabled, deleted or restricted to other IP addresses. Get a fresh token or a valid API key.";
    /// 400 `InvalidTokenHeader`.
    InvalidTokenHeader = UA_INVALID_TOKEN_HEADER, answer: ByType("InvalidTokenHeader", 400), transient: false,
    text: "The service could not read the Authorization header (InvalidTokenHeader); it must be 'Bearer <token>'. Something between this library and the service may have rewritten it; check proxies.";
    /// 400 `MissingParameter`, or found before sending.
    MissingParameter = UA_MISSING_PARAMETER, answer: ByType("MissingParameter", 400), transient: false,
    text: "A field the event kind requires is absent or null (MissingParameter); the message names it, e.g. 'customEvent.eventType'. Add the field to the event.";
    /// 400 `NoWorkgroupAssociatedWithToken`.
    NoWorkgroupAssociatedWithToken = UA_NO_WORKGROUP_ASSOCIATED_WITH_TOKEN, answer: ByType("NoWorkgroupAssociatedWithToken", 400), transient: false,
    text: "The token belongs to no organization (NoWorkgroupAssociatedWithToken), which is usual for OAuth tokens. Set the organization id option, or use an API key or search token tied to an organization.";
    /// 400 `UnauthorizedHub`, or found before sending.
    UnauthorizedHub = UA_UNAUTHORIZED_HUB, answer: ByType("UnauthorizedHub", 400), transient: false,
    text: "The search token restricts events to one search hub, and the event's 'originLevel1' names another (UnauthorizedHub). Send the token's hub in 'originLevel1', fix a typo there, or request a token for the right hub.";
    /// 400 `UnauthorizedOrg`.
    UnauthorizedOrg = UA_UNAUTHORIZED_ORG, answer: ByType("UnauthorizedOrg", 400), transient: false,
    text: "The token lacks the right to write analytics in this organization (UnauthorizedOrg). Give the API key the Analytics data domain at the Allowed level, and check the organization id for typos.";
    /// 404 `InvalidUri`.
    InvalidUri = UA_INVALID_URI, answer: ByType("InvalidUri", 404), transient: false,
    text: "The service has no such path (404 InvalidUri). The endpoint option is most likely wrong: it must be a base URL ending in /rest/ua, such as https://analytics.cloud.coveo.com/rest/ua.";
    /// 406 `InvalidRequest`.
    NotAcceptable = UA_NOT_ACCEPTABLE, answer: ByType("InvalidRequest", 406), transient: false,
    text: "The service cannot answer in the requested format (406 InvalidRequest): the Accept header must be application/json. The library sends that header itself, so something in between (a proxy) probably changed it.";
    /// 415 `InvalidRequest`.
    UnsupportedMediaType = UA_UNSUPPORTED_MEDIA_TYPE, answer: ByType("InvalidRequest", 415), transient: false,
    text: "The service refused the body's media type (415 InvalidRequest): Content-Type must be application/json. The library sends that header itself, so something in between (a proxy) probably changed it.";
    /// 429 `TooManyRequestsException`, after retries.
    TooManyRequests = UA_TOO_MANY_REQUESTS, answer: ByStatus(429..=429, Some("TooManyRequestsException")), transient: true,
    text: "The service is throttling this token (429 TooManyRequestsException) and retries ran out before the deadline. Send fewer events (check the application for a loop that logs too much) and try again later.";
    /// Any 5xx, after retries.
    ServerError = UA_SERVER_ERROR, answer: ByStatus(500..=599, None), transient: true,
    text: "The service failed (HTTP 5xx) on every attempt before retries or the deadline ran out. The fault is most likely on the service side or a load balancer; try again later and check status.cloud.coveo.com.";
    /// Any other non-2xx answer.
    UnexpectedResponse = UA_UNEXPECTED_RESPONSE, answer: Otherwise, transient: false,
    text: "The answer was not one the service documents: a redirect (not followed, so the token stays with the host you named), a 401/403 from a proxy, or a 4xx with an unknown type. Check the status, type and body in the result and the endpoint and proxy settings.";
    /// A bad argument or option value.
    InvalidArgument = UA_INVALID_ARGUMENT, answer: Never, transient: false,
    text: "The library refused an argument before doing anything: a NULL where a value is needed, text that is not UTF-8, an unknown event kind, or an option value out of range (such as a plain-http endpoint to a remote host). Fix the call; retrying it unchanged cannot help.";
    /// No connection, or an unreadable answer, after retries.
    ConnectionFailed = UA_CONNECTION_FAILED, answer: Never, transient: true,
    text: "No usable answer came back: the name did not resolve, the connection was refused or reset, TLS failed, or the answer was not readable HTTP, on every attempt. Check the endpoint, the network, the proxy and the CA settings; the event may or may not have been recorded if the connection broke after sending.";
    /// A timeout fired.
    Timeout = UA_TIMEOUT, answer: Never, transient: true,
    text: "The service did not answer in time: an attempt timed out, or the whole-call deadline passed while waiting. The service or network may be slow or down; raise the timeout or deadline options if the network is known to be slow. The event may have been recorded.";
    /// A bug in the library.
    Internal = UA_INTERNAL, answer: Never, transient: false,
    text: "The library hit an internal error (a bug, caught before it could crash the program). Please report it with the call that caused it; the event was probably not sent.";
    /// The queue is full.
    QueueFull = UA_QUEUE_FULL, answer: Never, transient: false,
    text: "The delivery queue already holds as many events (or bytes) as its capacity allows, so this event was not taken. The service is probably slow or down and events are piling up; raise the capacity option, send fewer events, or keep this one and offer it again later.";
    /// The queue no longer takes events.
    QueueClosed = UA_QUEUE_CLOSED, answer: Never, transient: false,
    text: "The delivery queue does not take events any more: it was closed. For an event handed back by a close without a spool, the queue stopped before it could be delivered; send it again, or give the queue a spool directory so a close keeps what is left on disk.";
    /// The spool directory failed.
    SpoolFailed = UA_SPOOL_FAILED, answer: Never, transient: false,
    text: "The spool directory cannot be used: it could not be created, or writing or reading it failed (disk full, permissions). The message names the path and the system error; free some space, fix the permissions, or choose another directory.";
}

/// The text [`describe`] gives for a number that is not a known code.
pub(crate) const UNKNOWN_CODE_TEXT: &CStr =
    c"Unknown result code: this number is not one this version of coveo-ua defines (it may come from a newer version).";

/// The name [`code_name`] gives for a number that is not a known code.
pub(crate) const UNKNOWN_CODE_NAME: &CStr = c"UA_UNKNOWN_CODE";

impl Code {
    /// The stable number of this code (its `UA_*` constant in the C header).
    pub fn raw(self) -> i32 {
        self as i32
    }

    /// The name of the constant, e.g. `"UA_INVALID_JSON"`.
    pub fn name(self) -> &'static str {
        c_text(self.name_c())
    }

    /// What happened, the likely cause and what to do.
    pub fn description(self) -> &'static str {
        c_text(self.description_c())
    }

    /// True for [`Code::Ok`].
    pub fn is_ok(self) -> bool {
        self == Code::Ok
    }

    /// The error `type` the service documents for this code, if it has one.
    pub fn service_type(self) -> Option<&'static str> {
        match self.selected() {
            ByType(t, _) | ByStatus(_, Some(t)) => Some(t),
            ByStatus(_, None) | Never | Otherwise => None,
        }
    }

    /// The one HTTP status the service documents for this code, if there is
    /// exactly one (a range such as 5xx gives `None`).
    pub fn http_status(self) -> Option<u16> {
        self.http_statuses()
            .filter(|r| r.start() == r.end())
            .map(|r| *r.start())
    }

    /// The HTTP statuses the service documents for this code: one status, a
    /// range (200-299 for success, 500-599 for server errors), or `None` for
    /// the library's own codes and for "any other answer".
    pub fn http_statuses(self) -> Option<RangeInclusive<u16>> {
        match self.selected() {
            ByType(_, status) => Some(status..=status),
            ByStatus(range, _) => Some(range),
            Never | Otherwise => None,
        }
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The text for any number: the code's description, or a text saying it is unknown.
pub(crate) fn describe(raw: ua_code) -> &'static CStr {
    Code::from_raw(raw).map_or(UNKNOWN_CODE_TEXT, Code::description_c)
}

/// The name for any number: `"UA_..."`, or `"UA_UNKNOWN_CODE"`.
pub(crate) fn code_name(raw: ua_code) -> &'static CStr {
    Code::from_raw(raw).map_or(UNKNOWN_CODE_NAME, Code::name_c)
}

/// The texts of the table are ASCII literals, so this never fails.
fn c_text(text: &'static CStr) -> &'static str {
    text.to_str().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn numbers_round_trip_and_are_distinct() {
        let mut seen = HashSet::new();
        for &code in Code::ALL {
            assert!(seen.insert(code.raw()), "{code} reuses a number");
            assert_eq!(Code::from_raw(code.raw()), Some(code));
        }
        assert_eq!(Code::ALL.len(), 23);
        assert_eq!(Code::from_raw(16), None);
        assert_eq!(Code::from_raw(-1), None);
    }

    #[test]
    fn every_text_is_distinct_and_not_empty() {
        let mut seen = HashSet::new();
        for &code in Code::ALL {
            let text = code.description();
            assert!(text.len() > 40, "{code} has a short text");
            assert!(seen.insert(text), "{code} shares its text");
        }
        assert!(!seen.contains(c_text(UNKNOWN_CODE_TEXT)));
    }

    /// The contract's numbers, written out once more on purpose: this test
    /// is what fails if a constant is ever renumbered.
    #[test]
    fn names_match_numbers_of_the_contract() {
        let pinned = [
            (0, "UA_OK"),
            (1, "UA_INVALID_HEADERS"),
            (2, "UA_INVALID_JSON"),
            (3, "UA_INVALID_OBJECT"),
            (4, "UA_INVALID_TOKEN"),
            (5, "UA_INVALID_TOKEN_HEADER"),
            (6, "UA_MISSING_PARAMETER"),
            (7, "UA_NO_WORKGROUP_ASSOCIATED_WITH_TOKEN"),
            (8, "UA_UNAUTHORIZED_HUB"),
            (9, "UA_UNAUTHORIZED_ORG"),
            (10, "UA_INVALID_URI"),
            (11, "UA_NOT_ACCEPTABLE"),
            (12, "UA_UNSUPPORTED_MEDIA_TYPE"),
            (13, "UA_TOO_MANY_REQUESTS"),
            (14, "UA_SERVER_ERROR"),
            (15, "UA_UNEXPECTED_RESPONSE"),
            (100, "UA_INVALID_ARGUMENT"),
            (101, "UA_CONNECTION_FAILED"),
            (102, "UA_TIMEOUT"),
            (103, "UA_INTERNAL"),
            (104, "UA_QUEUE_FULL"),
            (105, "UA_QUEUE_CLOSED"),
            (106, "UA_SPOOL_FAILED"),
        ];
        for (number, name) in pinned {
            assert_eq!(code_name(number).to_str().unwrap(), name);
        }
        assert_eq!(pinned.len(), Code::ALL.len());
        assert_eq!(code_name(99).to_str().unwrap(), "UA_UNKNOWN_CODE");
        assert_eq!(describe(12345), UNKNOWN_CODE_TEXT);
    }

    #[test]
    fn documented_types_and_statuses() {
        assert_eq!(Code::InvalidJson.service_type(), Some("InvalidJson"));
        assert_eq!(Code::InvalidJson.http_status(), Some(400));
        assert_eq!(Code::InvalidUri.http_status(), Some(404));
        assert_eq!(Code::NotAcceptable.service_type(), Some("InvalidRequest"));
        assert_eq!(Code::UnsupportedMediaType.http_status(), Some(415));
        assert_eq!(Code::TooManyRequests.http_status(), Some(429));
        assert_eq!(
            Code::TooManyRequests.service_type(),
            Some("TooManyRequestsException")
        );
        assert_eq!(Code::ServerError.service_type(), None);
        assert_eq!(Code::ServerError.http_status(), None);
        assert_eq!(Code::Timeout.http_status(), None);
    }

    /// The contract: 13, 14, 101 and 102 are worth another try, nothing else.
    #[test]
    fn transient_codes_are_the_contract_ones() {
        let transient: Vec<i32> = Code::ALL
            .iter()
            .filter(|c| c.is_transient())
            .map(|c| c.raw())
            .collect();
        assert_eq!(transient, [13, 14, 101, 102]);
    }

    /// The retry rule reads the status alone, so every transient code an
    /// answer can select must be selected by status alone.
    #[test]
    fn transient_answers_are_decided_by_status() {
        for &code in Code::ALL.iter().filter(|c| c.is_transient()) {
            assert!(
                matches!(code.selected(), ByStatus(..) | Never),
                "{code} is transient but selected by type"
            );
        }
    }
}
