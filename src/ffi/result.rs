//! `ua_result`: what one `ua_send_event` did, with its strings owned as C strings.

use super::args::c_string;
use super::consts::ua_code;
use crate::outcome::SendResult;
use std::ffi::{c_char, CString};
use std::ptr;

/// What one `ua_send_event` did (opaque). Created by `ua_send_event`, freed once
/// by `ua_result_free`. Strings returned by its accessors live as long as the
/// result and must not be freed by the caller. Belongs to one thread at a time.
/// Every accessor returns 0 or NULL for a NULL result.
#[allow(non_camel_case_types)]
pub struct ua_result {
    pub(crate) code: ua_code,
    http_status: u16,
    attempts: u32,
    error_type: Option<CString>,
    message: CString,
    visitor_id: Option<CString>,
    body: Option<CString>,
}

impl From<SendResult> for ua_result {
    fn from(r: SendResult) -> ua_result {
        ua_result {
            code: r.code.raw(),
            http_status: r.http_status,
            attempts: r.attempts,
            error_type: r.error_type.map(|s| c_string(s.into_bytes())),
            message: c_string(r.message.into_bytes()),
            visitor_id: r.visitor_id.map(|s| c_string(s.into_bytes())),
            body: r.body.map(c_string),
        }
    }
}

fn opt_ptr(s: &Option<CString>) -> *const c_char {
    s.as_ref().map_or(ptr::null(), |c| c.as_ptr())
}

/// The result code (the same value `ua_send_event` returned); 0 for NULL.
///
/// Thread safety: the result belongs to one thread at a time.
///
/// # Safety
/// `result` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn ua_result_code(result: *const ua_result) -> ua_code {
    ffi_boundary!({ result.as_ref().map_or(0, |r| r.code) })
}

/// The HTTP status of the last answer; 0 when no HTTP answer came (checks
/// before sending, connection failure, timeout) and for NULL.
///
/// Thread safety: the result belongs to one thread at a time.
///
/// # Safety
/// `result` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn ua_result_http_status(result: *const ua_result) -> u16 {
    ffi_boundary!({ result.as_ref().map_or(0, |r| r.http_status) })
}

/// How many attempts were made (a refused connection counts); 0 when the call
/// stopped before sending, and for NULL.
///
/// Thread safety: the result belongs to one thread at a time.
///
/// # Safety
/// `result` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn ua_result_attempts(result: *const ua_result) -> u32 {
    ffi_boundary!({ result.as_ref().map_or(0, |r| r.attempts) })
}

/// The service's error type, e.g. "InvalidJson" (for a check before sending,
/// the type the service would have answered). NULL on success, when the answer
/// had none, and for NULL. Owned by the result.
///
/// Thread safety: the result belongs to one thread at a time.
///
/// # Safety
/// `result` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn ua_result_error_type(result: *const ua_result) -> *const c_char {
    ffi_boundary!({
        result
            .as_ref()
            .map_or(ptr::null(), |r| opt_ptr(&r.error_type))
    })
}

/// The service's message (token redacted), or the library's own explanation.
/// Never NULL for a non-NULL result; NULL for NULL. Owned by the result.
///
/// Thread safety: the result belongs to one thread at a time.
///
/// # Safety
/// `result` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn ua_result_message(result: *const ua_result) -> *const c_char {
    ffi_boundary!({ result.as_ref().map_or(ptr::null(), |r| r.message.as_ptr()) })
}

/// The `visitorId` from a success answer; NULL otherwise and for NULL. Owned by
/// the result.
///
/// Thread safety: the result belongs to one thread at a time.
///
/// # Safety
/// `result` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn ua_result_visitor_id(result: *const ua_result) -> *const c_char {
    ffi_boundary!({
        result
            .as_ref()
            .map_or(ptr::null(), |r| opt_ptr(&r.visitor_id))
    })
}

/// The raw answer body (at most 64 KiB, token redacted, cut at the first NUL
/// byte); NULL when there was no answer or it was empty, and for NULL. Owned by
/// the result.
///
/// Thread safety: the result belongs to one thread at a time.
///
/// # Safety
/// `result` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn ua_result_body(result: *const ua_result) -> *const c_char {
    ffi_boundary!({ result.as_ref().map_or(ptr::null(), |r| opt_ptr(&r.body)) })
}

/// Frees a result made by `ua_send_event`. NULL does nothing; freeing twice is
/// undefined behaviour. Its strings die with it.
///
/// Thread safety: the result belongs to one thread at a time.
///
/// # Safety
/// `result` is NULL or a live pointer from `ua_send_event`.
#[no_mangle]
pub unsafe extern "C" fn ua_result_free(result: *mut ua_result) {
    ffi_boundary!({
        if !result.is_null() {
            drop(Box::from_raw(result));
        }
    })
}
