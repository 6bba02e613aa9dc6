//! The numbers of the C contract: result codes and event kinds.
//!
//! These constants are the one place each number is written. The code table
//! (`crate::code`) and the kinds (`crate::event`) name them, so the Rust enums
//! cannot disagree with the header that cbindgen writes from this file.

/// A result code as a plain integer, as it travels through the C ABI.
///
/// Numbers are grouped: 0 success, 1-99 the service's documented error types,
/// 100-199 errors the library raises itself. A number is never reused; a value
/// the library does not know is still a valid `ua_code` (`ua_code_name` calls it
/// "UA_UNKNOWN_CODE").
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
/// The queue holds its capacity (events or bytes); the event was not taken.
pub const UA_QUEUE_FULL: ua_code = 104;
/// The queue is closed; the event was not taken. Also the code of pending
/// events given up by a close without a spool. (A fork no longer closes a
/// queue: the child gets a queue of its own.)
pub const UA_QUEUE_CLOSED: ua_code = 105;
/// The spool directory cannot be created, written or read (or a lane in it
/// locked); the message says which. Several live queues share a directory.
pub const UA_SPOOL_FAILED: ua_code = 106;

/// An event kind as a plain integer, as it travels through the C ABI.
#[allow(non_camel_case_types)]
pub type ua_event_kind = i32;

/// A search event: `POST <endpoint>/v15/analytics/search`.
pub const UA_EVENT_SEARCH: ua_event_kind = 1;
/// A click event: `POST <endpoint>/v15/analytics/click`.
pub const UA_EVENT_CLICK: ua_event_kind = 2;
/// A custom event: `POST <endpoint>/v15/analytics/custom`.
pub const UA_EVENT_CUSTOM: ua_event_kind = 3;
/// A view event: `POST <endpoint>/v15/analytics/view`.
pub const UA_EVENT_VIEW: ua_event_kind = 4;
/// A JSON array of search events sent in one request:
/// `POST <endpoint>/v15/analytics/searches`.
pub const UA_EVENT_SEARCH_BATCH: ua_event_kind = 5;
/// A collect event (Case Assist, older commerce setups), one JSON object in
/// the service's Measurement-Protocol form: `POST <endpoint>/v15/analytics/collect`.
/// The service publishes no required fields for it, so the local checks refuse
/// only text that is not a JSON object (or is nested too deep).
pub const UA_EVENT_COLLECT: ua_event_kind = 6;

// UA_VERSION_STRING, "MAJOR.MINOR.PATCH", is built from these three in the
// header itself (cbindgen.toml), since cbindgen writes no string constants.

/// The major version of the library this header comes with (semantic
/// versioning; while it is 0, the minor version marks incompatible changes of
/// the Rust API, never of this C ABI, whose versions only add).
pub const UA_VERSION_MAJOR: u32 = 0;
/// The minor version of the library this header comes with.
pub const UA_VERSION_MINOR: u32 = 1;
/// The patch version of the library this header comes with.
pub const UA_VERSION_PATCH: u32 = 0;

/// A counter of a delivery queue, as `ua_queue_counter` takes it.
#[allow(non_camel_case_types)]
pub type ua_counter = i32;

/// Calls of `ua_queue_enqueue` that returned UA_OK.
pub const UA_COUNTER_ENQUEUED: ua_counter = 1;
/// Events the service accepted.
pub const UA_COUNTER_DELIVERED: ua_counter = 2;
/// Events failed for good, each reported once to the failure callback.
pub const UA_COUNTER_FAILED: ua_counter = 3;
/// Calls of `ua_queue_enqueue` that returned anything else.
pub const UA_COUNTER_REFUSED: ua_counter = 4;
/// Events taken and not yet delivered or failed, at this moment.
pub const UA_COUNTER_PENDING: ua_counter = 5;
/// HTTP requests the workers made.
pub const UA_COUNTER_ATTEMPTS: ua_counter = 6;
/// Events found in the spool at `ua_queue_new`, left by an earlier process.
pub const UA_COUNTER_RECOVERED: ua_counter = 7;
/// Worker threads running now (they follow the load, up to the most set by
/// `ua_options_set_queue_workers`); not part of the counters' identity.
pub const UA_COUNTER_WORKERS: ua_counter = 8;

/// Log level of a message that says something failed (an event failed for
/// good, the spool cannot be written).
pub const UA_LOG_ERROR: i32 = 1;
/// Log level of a message that says something is wrong but handled (the queue
/// pauses, a damaged spool record was skipped, an event was refused as full).
pub const UA_LOG_WARN: i32 = 2;
/// Log level of a message about what the queue does (recovery, close).
pub const UA_LOG_INFO: i32 = 3;
/// Log level of a detail (each send that will be tried again).
pub const UA_LOG_DEBUG: i32 = 4;
