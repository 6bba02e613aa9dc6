//! `ua_options`: the settings a client is built from, and the message of the
//! last call on them that failed.

use super::args::{c_string, optional_text, text};
use crate::error::Error;
use crate::ffi::consts::{ua_code, UA_INVALID_ARGUMENT, UA_OK};
use crate::options::Options;
use std::cell::RefCell;
use std::ffi::{c_char, CString};
use std::ptr;

/// Options for a client (opaque). Created by `ua_options_new`, freed once by
/// `ua_options_free`. Belongs to one thread at a time; `ua_client_new` copies
/// it, so it may be freed or changed as soon as the client exists.
///
/// Every setter returns UA_OK, or UA_INVALID_ARGUMENT (leaving the options
/// unchanged) when `options` is NULL, a string is not UTF-8, or the value is
/// out of range; `ua_options_last_error` then says what was wrong.
#[allow(non_camel_case_types)]
pub struct ua_options {
    pub(crate) inner: Options,
    /// The message of the last setter or constructor call on these options
    /// that failed; `None` once a later call succeeds. A cell, because
    /// `ua_client_new` takes the options as `const` (they belong to one
    /// thread at a time, so nothing else can see it change).
    last_error: RefCell<Option<CString>>,
}

impl ua_options {
    /// Keeps the message of a failed call (clears it after a success) and
    /// gives the call's code.
    pub(crate) fn record(&self, outcome: Result<(), &Error>) -> ua_code {
        let (code, message) = match outcome {
            Ok(()) => (UA_OK, None),
            Err(e) => (
                e.code().raw(),
                Some(c_string(e.message().as_bytes().to_vec())),
            ),
        };
        *self.last_error.borrow_mut() = message;
        code
    }
}

/// The body of every setter: refuses NULL options, runs `setter` on the
/// options otherwise, and records how it went.
///
/// # Safety
/// `options` is NULL or a live pointer from `ua_options_new`, not in use elsewhere.
pub(crate) unsafe fn set(
    options: *mut ua_options,
    setter: impl FnOnce(&mut Options) -> Result<(), Error>,
) -> ua_code {
    match options.as_mut() {
        None => UA_INVALID_ARGUMENT,
        Some(o) => {
            let outcome = setter(&mut o.inner);
            o.record(outcome.as_ref().map(|_| ()))
        }
    }
}

/// Creates options with every default: no token, endpoint
/// `https://analytics.cloud.coveo.com/rest/ua`, attempt timeout 2000 ms, deadline
/// 8000 ms, 3 retries, backoff 100..2000 ms, local checks on, system CA store,
/// no proxy.
///
/// Returns a new object the caller frees with `ua_options_free`; NULL only if
/// out of memory. Thread safety: may be called from any thread.
#[no_mangle]
pub extern "C" fn ua_options_new() -> *mut ua_options {
    ffi_boundary!({
        Box::into_raw(Box::new(ua_options {
            inner: Options::new(),
            last_error: RefCell::new(None),
        }))
    })
}

/// Frees options made by `ua_options_new`. NULL does nothing. Freeing twice, or
/// using the options afterwards, is undefined behaviour.
///
/// Thread safety: the options belong to one thread at a time.
///
/// # Safety
/// `options` is NULL or a live pointer from `ua_options_new`.
#[no_mangle]
pub unsafe extern "C" fn ua_options_free(options: *mut ua_options) {
    ffi_boundary!({
        if !options.is_null() {
            drop(Box::from_raw(options));
        }
    })
}

/// Sets the access token (an API key or a search token), sent as
/// `Authorization: Bearer <token>`. Required before `ua_client_new`.
///
/// The string is copied. NULL, an empty token, or one with spaces, control or
/// non-ASCII characters gives UA_INVALID_ARGUMENT. The token never appears in
/// any message.
///
/// Thread safety: the options belong to one thread at a time.
///
/// # Safety
/// `options` is NULL or live; `token` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn ua_options_set_token(
    options: *mut ua_options,
    token: *const c_char,
) -> ua_code {
    ffi_boundary!({ set(options, |o| o.set_token(text(token, "token")?)) })
}

/// Sets the base URL of the service, e.g. `https://analytics.cloud.coveo.com/rest/ua`.
///
/// The path must end in /rest/ua (an empty path or "/" gets /rest/ua). https for
/// any host; http only for loopback hosts (127.0.0.0/8, `localhost`, `[::1]`). A
/// query string, user info, a fragment or another scheme gives
/// UA_INVALID_ARGUMENT. NULL restores the default (the organization endpoint
/// `https://<org>.analytics.org.coveo.com/rest/ua` when an organization is set,
/// `https://analytics.cloud.coveo.com/rest/ua` otherwise). The string is copied.
///
/// Thread safety: the options belong to one thread at a time.
///
/// # Safety
/// `options` is NULL or live; `base_url` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn ua_options_set_endpoint(
    options: *mut ua_options,
    base_url: *const c_char,
) -> ua_code {
    ffi_boundary!({
        set(options, |o| {
            o.set_endpoint(optional_text(base_url, "base_url")?)
        })
    })
}

/// Sets the organization id, sent as the `org` query parameter. Without an
/// explicit endpoint it also selects the organization endpoint
/// `https://<org>.analytics.org.coveo.com/rest/ua`. NULL or "" unsets it. Control
/// characters or spaces give UA_INVALID_ARGUMENT. The string is copied.
///
/// Thread safety: the options belong to one thread at a time.
///
/// # Safety
/// `options` is NULL or live; `org_id` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn ua_options_set_org(
    options: *mut ua_options,
    org_id: *const c_char,
) -> ua_code {
    ffi_boundary!({ set(options, |o| o.set_org(optional_text(org_id, "org_id")?)) })
}

/// Sets the timeout of one attempt (resolve, connect, send, read the answer),
/// 1 to 600000 ms; default 2000. Other values give UA_INVALID_ARGUMENT.
///
/// Thread safety: the options belong to one thread at a time.
///
/// # Safety
/// `options` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn ua_options_set_timeout_ms(options: *mut ua_options, ms: u32) -> ua_code {
    ffi_boundary!({ set(options, |o| o.set_timeout_ms(ms)) })
}

/// Sets the deadline of a whole `ua_send_event` call, retries and waits
/// included, 1 to 3600000 ms; default 8000. Other values give UA_INVALID_ARGUMENT.
///
/// Thread safety: the options belong to one thread at a time.
///
/// # Safety
/// `options` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn ua_options_set_deadline_ms(options: *mut ua_options, ms: u32) -> ua_code {
    ffi_boundary!({ set(options, |o| o.set_deadline_ms(ms)) })
}

/// Sets how many times a failed attempt (5xx, 429, connection failure, timeout)
/// may be retried, 0 to 100; default 3. Above 100 gives UA_INVALID_ARGUMENT.
///
/// Thread safety: the options belong to one thread at a time.
///
/// # Safety
/// `options` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn ua_options_set_max_retries(
    options: *mut ua_options,
    retries: u32,
) -> ua_code {
    ffi_boundary!({ set(options, |o| o.set_max_retries(retries)) })
}

/// Sets the backoff: the wait before retry n is drawn uniformly from
/// [0, min(max_ms, base_ms * 2^n)]. Defaults 100 and 2000. base_ms above
/// max_ms, or max_ms above 600000, gives UA_INVALID_ARGUMENT.
///
/// Thread safety: the options belong to one thread at a time.
///
/// # Safety
/// `options` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn ua_options_set_retry_backoff_ms(
    options: *mut ua_options,
    base_ms: u32,
    max_ms: u32,
) -> ua_code {
    ffi_boundary!({ set(options, |o| o.set_retry_backoff_ms(base_ms, max_ms)) })
}

/// Appends a product to the User-Agent: `coveo-ua/<version> <product>`. NULL or
/// "" removes it. Non-printable or non-ASCII characters, or more than 256 bytes,
/// give UA_INVALID_ARGUMENT. The string is copied.
///
/// Thread safety: the options belong to one thread at a time.
///
/// # Safety
/// `options` is NULL or live; `product` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn ua_options_set_user_agent(
    options: *mut ua_options,
    product: *const c_char,
) -> ua_code {
    ffi_boundary!({
        set(options, |o| {
            o.set_user_agent(optional_text(product, "product")?)
        })
    })
}

/// Turns the checks made before sending on or off (default on). Off, the body is
/// sent as given and only the service judges it.
///
/// Thread safety: the options belong to one thread at a time.
///
/// # Safety
/// `options` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn ua_options_set_local_checks(
    options: *mut ua_options,
    enabled: bool,
) -> ua_code {
    ffi_boundary!({
        set(options, |o| {
            o.set_local_checks(enabled);
            Ok(())
        })
    })
}

/// Trusts the certificates of this PEM file instead of the operating system's
/// store. NULL or "" restores the system store. The file is read when
/// `ua_client_new` runs, which returns UA_INVALID_ARGUMENT if it cannot be read
/// or holds no certificate. The path is copied.
///
/// Thread safety: the options belong to one thread at a time.
///
/// # Safety
/// `options` is NULL or live; `pem_path` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn ua_options_set_ca_file(
    options: *mut ua_options,
    pem_path: *const c_char,
) -> ua_code {
    ffi_boundary!({
        set(options, |o| {
            o.set_ca_file(optional_text(pem_path, "pem_path")?)
        })
    })
}

/// Sends requests through an HTTP CONNECT proxy, "http://host:port". NULL or ""
/// means no proxy (the default). The proxy environment variables are never read.
/// Another form gives UA_INVALID_ARGUMENT. The string is copied.
///
/// Thread safety: the options belong to one thread at a time.
///
/// # Safety
/// `options` is NULL or live; `proxy_url` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn ua_options_set_proxy(
    options: *mut ua_options,
    proxy_url: *const c_char,
) -> ua_code {
    ffi_boundary!({
        set(options, |o| {
            o.set_proxy(optional_text(proxy_url, "proxy_url")?)
        })
    })
}

/// The message of the last call on these options that failed: a setter,
/// `ua_client_new` (or `ua_queue_new`), e.g. "endpoint 'http://example.com'
/// refused: plain http is allowed only for loopback hosts (127.0.0.0/8,
/// localhost, [::1]); use https". NULL when that last call succeeded, when
/// nothing failed yet, and for NULL options.
///
/// The string belongs to the options and lives until the next call on them or
/// their free; it never contains the token. Thread safety: the options belong
/// to one thread at a time.
///
/// # Safety
/// `options` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn ua_options_last_error(options: *const ua_options) -> *const c_char {
    ffi_boundary!({
        options.as_ref().map_or(ptr::null(), |o| {
            o.last_error
                .borrow()
                .as_ref()
                .map_or(ptr::null(), |m| m.as_ptr())
        })
    })
}
