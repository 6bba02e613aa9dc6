//! `ua_client` and `ua_send_event`.

use super::args::{object, text};
use super::boundary::OnPanic;
use super::consts::{ua_code, ua_event_kind, UA_INVALID_ARGUMENT};
use super::options::ua_options;
use super::result::ua_result;
use crate::client::Client;
use crate::code::Code;
use crate::error::Error;
use crate::event::EventKind;
use crate::outcome::SendResult;
use std::ffi::c_char;

/// A client (opaque): its connection pools and the copied options. Created by
/// `ua_client_new`, freed once by `ua_client_free`. Thread-safe: any number of
/// threads may call `ua_send_event` on one client at the same time. After
/// `fork()` it keeps working in the child, which sends on connections of its
/// own (never on one the parent pooled).
#[allow(non_camel_case_types)]
pub struct ua_client {
    inner: Client,
}

/// Creates a client from `options` (copied: the options may be freed right after).
///
/// On success returns UA_OK and writes the new client to `*out_client`; the
/// caller frees it with `ua_client_free`. Returns UA_INVALID_ARGUMENT (and leaves
/// `*out_client` untouched) when `options` or `out_client` is NULL, when no token
/// is set, when the organization id cannot form the organization endpoint, or
/// when the CA file cannot be read; `ua_options_last_error(options)` then says
/// which. Thread safety: may be called from any thread that owns the options.
///
/// # Safety
/// `options` is NULL or live; `out_client` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ua_client_new(
    options: *const ua_options,
    out_client: *mut *mut ua_client,
) -> ua_code {
    ffi_boundary!({
        let Some(o) = options.as_ref() else {
            return UA_INVALID_ARGUMENT;
        };
        if out_client.is_null() {
            return o.record(Err(&Error::invalid_argument("out_client is NULL")));
        }
        match Client::new(&o.inner) {
            Ok(client) => {
                *out_client = Box::into_raw(Box::new(ua_client { inner: client }));
                o.record(Ok(()))
            }
            Err(e) => o.record(Err(&e)),
        }
    })
}

/// Frees a client made by `ua_client_new`. NULL does nothing. No other thread
/// may be using the client; freeing twice is undefined behaviour. Results
/// already returned stay valid.
///
/// # Safety
/// `client` is NULL or a live pointer from `ua_client_new`, no longer in use.
#[no_mangle]
pub unsafe extern "C" fn ua_client_free(client: *mut ua_client) {
    ffi_boundary!({
        if !client.is_null() {
            drop(Box::from_raw(client));
        }
    })
}

/// Sends one event and blocks until the service accepted it or the call failed
/// for good (retries and waits included, never past the deadline option).
///
/// `kind` is UA_EVENT_SEARCH, UA_EVENT_CLICK, UA_EVENT_CUSTOM, UA_EVENT_VIEW,
/// UA_EVENT_SEARCH_BATCH or UA_EVENT_COLLECT; `event_json` is the event as a
/// JSON object in UTF-8 (for a batch, a non-empty JSON array of search events,
/// each checked with its index in the message), sent unchanged (the caller
/// keeps ownership). Returns the result code. Whenever `out_result` is
/// not NULL, `*out_result` is set to a new result, on success and failure alike
/// (a NULL client, NULL JSON or unknown kind included: UA_INVALID_ARGUMENT with
/// attempts 0); the caller frees it once with `ua_result_free`.
///
/// Thread safety: any number of threads may send on one client at once.
///
/// # Safety
/// `client` is NULL or live; `event_json` is NULL or a NUL-terminated string;
/// `out_result` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ua_send_event(
    client: *const ua_client,
    kind: ua_event_kind,
    event_json: *const c_char,
    out_result: *mut *mut ua_result,
) -> ua_code {
    ffi_boundary!({
        let result: ua_result =
            ffi_boundary!({ ua_result::from(send(client, kind, event_json, 0)) });
        hand_out(result, out_result)
    })
}

/// Like `ua_send_event`, with a deadline for this call only: the call's
/// deadline is the shorter of `deadline_ms` and the client's deadline option;
/// `deadline_ms` 0 means the client's deadline alone. For hosts whose callers
/// carry their own deadline (a Go `context.Context`). Ownership, NULL handling
/// and `*out_result` are as for `ua_send_event`.
///
/// Thread safety: any number of threads may send on one client at once.
///
/// # Safety
/// `client` is NULL or live; `event_json` is NULL or a NUL-terminated string;
/// `out_result` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ua_send_event_with_deadline(
    client: *const ua_client,
    kind: ua_event_kind,
    event_json: *const c_char,
    deadline_ms: u32,
    out_result: *mut *mut ua_result,
) -> ua_code {
    ffi_boundary!({
        let result: ua_result =
            ffi_boundary!({ ua_result::from(send(client, kind, event_json, deadline_ms)) });
        hand_out(result, out_result)
    })
}

/// Gives `result` to the caller through `out_result` (when not NULL) and
/// returns its code.
unsafe fn hand_out(result: ua_result, out_result: *mut *mut ua_result) -> ua_code {
    let code = result.code;
    if !out_result.is_null() {
        *out_result = Box::into_raw(Box::new(result));
    }
    code
}

/// The Rust side of `ua_send_event`: arguments checked, then the client's send.
unsafe fn send(
    client: *const ua_client,
    kind: ua_event_kind,
    json: *const c_char,
    deadline_ms: u32,
) -> SendResult {
    let checked = (|| {
        let client = object(client, "client")?;
        let kind = event_kind(kind)?;
        let json = text(json, "event_json")?;
        Ok::<_, Error>((client, kind, json))
    })();
    match checked {
        Ok((client, kind, json)) => client.inner.send_with_deadline(
            kind,
            json,
            std::time::Duration::from_millis(deadline_ms.into()),
        ),
        Err(e) => SendResult::not_sent(e.code(), e.message()),
    }
}

impl OnPanic for ua_result {
    fn on_panic() -> Self {
        ua_result::from(SendResult::not_sent(
            Code::Internal,
            "internal error: the library panicked while sending (a bug; please report it)",
        ))
    }
}

/// The kind for a number from C; an unknown one is refused with the list of
/// known kinds.
pub(crate) fn event_kind(raw: ua_event_kind) -> Result<EventKind, Error> {
    EventKind::from_raw(raw).ok_or_else(|| {
        let known: Vec<String> = EventKind::ALL
            .iter()
            .map(|k| format!("{} {}", k.raw(), k.name()))
            .collect();
        Error::invalid_argument(format!(
            "event kind {raw} is unknown (known kinds: {})",
            known.join(", ")
        ))
    })
}
