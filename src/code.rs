//! Result codes: the one table of every code the library can return.
//!
//! Each code has a stable number (the `UA_*` constants below, which are also the
//! constants of the C header), a name, the error `type` the service documents for
//! it (if any), the HTTP status the service documents for it (if any), and a text
//! that says what happened, the likely cause and what to do.
//!
//! The numbers appear only in the `UA_*` constants; the [`Code`] enum and every
//! lookup are generated from the table by one macro, so a name comes from its
//! identifier and a code without a text does not compile.

use std::ffi::CStr;

/// A result code as a plain integer, as it travels through the C ABI.
///
/// Numbers are grouped: 0 success, 1-99 the service's documented error types,
/// 100-199 errors the library raises itself. A number is never reused.
#[allow(non_camel_case_types)]
pub type ua_code = i32;

/// The service accepted the event (HTTP 2xx).
pub const UA_OK: ua_code = 0;
/// The service answered 400 `InvalidHeadersException`.
pub const UA_INVALID_HEADERS: ua_code = 1;
/// The service answered 400 `InvalidJson`, or the body is not valid JSON (found before sending).
pub const UA_INVALID_JSON: ua_code = 2;
/// The service answered 400 `InvalidObject`, or a field has the wrong type or range (found before sending).
pub const UA_INVALID_OBJECT: ua_code = 3;
/// The service answered 400 `InvalidToken`.
pub const UA_INVALID_TOKEN: ua_code = 4;
/// The service answered 400 `InvalidTokenHeader`.
pub const UA_INVALID_TOKEN_HEADER: ua_code = 5;
/// The service answered 400 `MissingParameter`, or a required field is absent (found before sending).
pub const UA_MISSING_PARAMETER: ua_code = 6;
/// The service answered 400 `NoWorkgroupAssociatedWithToken`.
pub const UA_NO_WORKGROUP_ASSOCIATED_WITH_TOKEN: ua_code = 7;
/// The service answered 400 `UnauthorizedHub`, or a search token's `searchHub` differs from `originLevel1` (found before sending).
pub const UA_UNAUTHORIZED_HUB: ua_code = 8;
/// The service answered 400 `UnauthorizedOrg`.
pub const UA_UNAUTHORIZED_ORG: ua_code = 9;
/// The service answered 404 `InvalidUri` (or a 404 with no readable type).
pub const UA_INVALID_URI: ua_code = 10;
/// The service answered 406 `InvalidRequest` (or a 406 with no readable type).
pub const UA_NOT_ACCEPTABLE: ua_code = 11;
/// The service answered 415 `InvalidRequest` (or a 415 with no readable type).
pub const UA_UNSUPPORTED_MEDIA_TYPE: ua_code = 12;
/// The service answered 429 `TooManyRequestsException`, and retries ran out.
pub const UA_TOO_MANY_REQUESTS: ua_code = 13;
/// The service answered a 5xx status, and retries ran out.
pub const UA_SERVER_ERROR: ua_code = 14;
/// Any other non-2xx answer (3xx included), or a 4xx whose `type` is not documented.
pub const UA_UNEXPECTED_RESPONSE: ua_code = 15;
/// A NULL where a value is needed, non-UTF-8 text, an unknown event kind, or a bad option value.
pub const UA_INVALID_ARGUMENT: ua_code = 100;
/// DNS, refused, reset or TLS failure (or an answer that is not readable HTTP), after retries ran out.
pub const UA_CONNECTION_FAILED: ua_code = 101;
/// The attempt timeout or the whole-call deadline passed.
pub const UA_TIMEOUT: ua_code = 102;
/// A bug in the library (a caught panic); never expected.
pub const UA_INTERNAL: ua_code = 103;

/// Builds `Code` and its lookups from the table rows below.
///
/// Row: `Variant = UA_CONSTANT, type: Option<&str>, status: Option<u16>, text: "...";`
macro_rules! code_table {
    ($(
        $(#[$doc:meta])*
        $variant:ident = $konst:ident,
        type: $service_type:expr,
        status: $status:expr,
        text: $text:literal;
    )*) => {
        /// Every result code the library knows, one variant per `UA_*` constant.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(i32)]
        pub enum Code {
            $( $(#[$doc])* $variant = $konst, )*
        }

        /// Lookups generated from the table.
        ///
        /// cbindgen:ignore
        impl Code {
            /// Every known code, in table order.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The code for a number, or `None` for a number the library does not know.
            pub fn from_raw(raw: ua_code) -> Option<Code> {
                $( if raw == $konst { return Some(Code::$variant); } )*
                None
            }

            /// The stable number of this code (the `UA_*` constant).
            pub fn raw(self) -> ua_code {
                self as ua_code
            }

            /// The name of the constant, e.g. `"UA_INVALID_JSON"`, as a C string.
            pub fn name_c(self) -> &'static CStr {
                match self {
                    $( Code::$variant => nul_terminated(concat!(stringify!($konst), "\0")), )*
                }
            }

            /// The error `type` the service documents for this code, if it has one.
            pub fn service_type(self) -> Option<&'static str> {
                match self {
                    $( Code::$variant => $service_type, )*
                }
            }

            /// The HTTP status the service documents for this code, if it has one.
            pub fn http_status(self) -> Option<u16> {
                match self {
                    $( Code::$variant => $status, )*
                }
            }

            /// What happened, the likely cause and what to do, as a C string.
            pub fn description_c(self) -> &'static CStr {
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

code_table! {
    /// The service accepted the event.
    Ok = UA_OK, type: None, status: None,
    text: "Success: the service accepted the event (HTTP 2xx). Nothing to do.";
    /// 400 `InvalidHeadersException`.
    InvalidHeaders = UA_INVALID_HEADERS, type: Some("InvalidHeadersException"), status: Some(400),
    text: "The service refused a request header (400 InvalidHeadersException): one of the header values is not in the expected form. Check any value you add to the request, such as the user agent product, and report it if the library's own headers are refused.";
    /// 400 `InvalidJson`, or found before sending.
    InvalidJson = UA_INVALID_JSON, type: Some("InvalidJson"), status: Some(400),
    text: "The event body is not valid JSON (InvalidJson): the message gives the line and column where parsing stopped. Fix the text that builds the event; a JSON validator shows the exact fault.";
    /// 400 `InvalidObject`, or found before sending.
    InvalidObject = UA_INVALID_OBJECT, type: Some("InvalidObject"), status: Some(400),
    text: "The event is valid JSON but a value has the wrong type or range (InvalidObject), for example a string for 'outcome', or the body is not a JSON object. The message names the field; send it with the documented type.";
    /// 400 `InvalidToken`.
    InvalidToken = UA_INVALID_TOKEN, type: Some("InvalidToken"), status: Some(400),
    text: "The service does not recognise the access token (InvalidToken). A search or OAuth token may have expired, or an API key may have been disabled, deleted or restricted to other IP addresses. Get a fresh token or a valid API key.";
    /// 400 `InvalidTokenHeader`.
    InvalidTokenHeader = UA_INVALID_TOKEN_HEADER, type: Some("InvalidTokenHeader"), status: Some(400),
    text: "The service could not read the Authorization header (InvalidTokenHeader); it must be 'Bearer <token>'. Something between this library and the service may have rewritten it; check proxies.";
    /// 400 `MissingParameter`, or found before sending.
    MissingParameter = UA_MISSING_PARAMETER, type: Some("MissingParameter"), status: Some(400),
    text: "A field the event kind requires is absent or null (MissingParameter); the message names it, e.g. 'customEvent.eventType'. Add the field to the event.";
    /// 400 `NoWorkgroupAssociatedWithToken`.
    NoWorkgroupAssociatedWithToken = UA_NO_WORKGROUP_ASSOCIATED_WITH_TOKEN, type: Some("NoWorkgroupAssociatedWithToken"), status: Some(400),
    text: "The token belongs to no organization (NoWorkgroupAssociatedWithToken), which is usual for OAuth tokens. Set the organization id option, or use an API key or search token tied to an organization.";
    /// 400 `UnauthorizedHub`, or found before sending.
    UnauthorizedHub = UA_UNAUTHORIZED_HUB, type: Some("UnauthorizedHub"), status: Some(400),
    text: "The search token restricts events to one search hub, and the event's 'originLevel1' names another (UnauthorizedHub). Send the token's hub in 'originLevel1', fix a typo there, or request a token for the right hub.";
    /// 400 `UnauthorizedOrg`.
    UnauthorizedOrg = UA_UNAUTHORIZED_ORG, type: Some("UnauthorizedOrg"), status: Some(400),
    text: "The token lacks the right to write analytics in this organization (UnauthorizedOrg). Give the API key the Analytics data domain at the Allowed level, and check the organization id for typos.";
    /// 404 `InvalidUri`.
    InvalidUri = UA_INVALID_URI, type: Some("InvalidUri"), status: Some(404),
    text: "The service has no such path (404 InvalidUri). The endpoint option is most likely wrong: it must be a base URL ending in /rest/ua, such as https://analytics.cloud.coveo.com/rest/ua.";
    /// 406 `InvalidRequest`.
    NotAcceptable = UA_NOT_ACCEPTABLE, type: Some("InvalidRequest"), status: Some(406),
    text: "The service cannot answer in the requested format (406 InvalidRequest): the Accept header must be application/json. The library sends that header itself, so something in between (a proxy) probably changed it.";
    /// 415 `InvalidRequest`.
    UnsupportedMediaType = UA_UNSUPPORTED_MEDIA_TYPE, type: Some("InvalidRequest"), status: Some(415),
    text: "The service refused the body's media type (415 InvalidRequest): Content-Type must be application/json. The library sends that header itself, so something in between (a proxy) probably changed it.";
    /// 429 `TooManyRequestsException`, after retries.
    TooManyRequests = UA_TOO_MANY_REQUESTS, type: Some("TooManyRequestsException"), status: Some(429),
    text: "The service is throttling this token (429 TooManyRequestsException) and retries ran out before the deadline. Send fewer events (check the application for a loop that logs too much) and try again later.";
    /// Any 5xx, after retries.
    ServerError = UA_SERVER_ERROR, type: None, status: None,
    text: "The service failed (HTTP 5xx) on every attempt before retries or the deadline ran out. The fault is most likely on the service side or a load balancer; try again later and check status.cloud.coveo.com.";
    /// Any other non-2xx answer.
    UnexpectedResponse = UA_UNEXPECTED_RESPONSE, type: None, status: None,
    text: "The answer was not one the service documents: a redirect (not followed, so the token stays with the host you named), a 401/403 from a proxy, or a 4xx with an unknown type. Check the status, type and body in the result and the endpoint and proxy settings.";
    /// A bad argument or option value.
    InvalidArgument = UA_INVALID_ARGUMENT, type: None, status: None,
    text: "The library refused an argument before doing anything: a NULL where a value is needed, text that is not UTF-8, an unknown event kind, or an option value out of range (such as a plain-http endpoint to a remote host). Fix the call; retrying it unchanged cannot help.";
    /// No connection, or an unreadable answer, after retries.
    ConnectionFailed = UA_CONNECTION_FAILED, type: None, status: None,
    text: "No usable answer came back: the name did not resolve, the connection was refused or reset, TLS failed, or the answer was not readable HTTP, on every attempt. Check the endpoint, the network, the proxy and the CA settings; the event may or may not have been recorded if the connection broke after sending.";
    /// A timeout fired.
    Timeout = UA_TIMEOUT, type: None, status: None,
    text: "The service did not answer in time: an attempt timed out, or the whole-call deadline passed while waiting. The service or network may be slow or down; raise the timeout or deadline options if the network is known to be slow. The event may have been recorded.";
    /// A bug in the library.
    Internal = UA_INTERNAL, type: None, status: None,
    text: "The library hit an internal error (a bug, caught before it could crash the program). Please report it with the call that caused it; the event was probably not sent.";
}

/// The text [`describe`] gives for a number that is not a known code.
pub const UNKNOWN_CODE_TEXT: &CStr =
    c"Unknown result code: this number is not one this version of coveo-ua defines (it may come from a newer version).";

/// The name [`code_name`] gives for a number that is not a known code.
pub const UNKNOWN_CODE_NAME: &CStr = c"UA_UNKNOWN_CODE";

impl Code {
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
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The text for any number: the code's description, or a text saying it is unknown.
pub fn describe(raw: ua_code) -> &'static CStr {
    Code::from_raw(raw).map_or(UNKNOWN_CODE_TEXT, Code::description_c)
}

/// The name for any number: `"UA_..."`, or `"UA_UNKNOWN_CODE"`.
pub fn code_name(raw: ua_code) -> &'static CStr {
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
        assert_eq!(Code::ALL.len(), 20);
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
        ];
        for (number, name) in pinned {
            assert_eq!(code_name(number).to_str().unwrap(), name);
        }
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
        assert_eq!(Code::ServerError.service_type(), None);
    }

    /// The committed header defines every code with its number.
    #[test]
    fn header_defines_every_code() {
        let header = include_str!("../include/coveo_ua.h");
        for &code in Code::ALL {
            let line = format!("#define {} {}", code.name(), code.raw());
            assert!(
                header.lines().any(|l| l.trim() == line),
                "include/coveo_ua.h lacks `{line}`"
            );
        }
    }
}
