//! `ua_queue`: the delivery queue, and the options and callbacks it takes.

use super::args::{c_string, optional_text, text};
use super::client::event_kind;
use super::consts::{ua_code, ua_counter, ua_event_kind, UA_INVALID_ARGUMENT, UA_OK};
use super::options::{set, ua_options};
use super::result::ua_result;
use crate::error::Error;
use crate::outcome::SendError;
use crate::queue::{Counter, FailedEvent, Queue};
use crate::LogLevel;
use std::ffi::{c_char, c_void};
use std::sync::Arc;
use std::time::Duration;

/// A delivery queue (opaque): worker threads that deliver the events handed
/// to `ua_queue_enqueue`. Created by `ua_queue_new`, freed once by
/// `ua_queue_free`. Thread-safe: any number of threads may call
/// `ua_queue_enqueue`, `ua_queue_flush`, `ua_queue_counter` at once; close and
/// free are for one thread, once the others are done with the queue.
///
/// After `fork()`, a queue made before the fork keeps working in the child:
/// the child's first call on it starts the child's own queue from the same
/// options (its own workers, its own spool lane, counters from zero). A child
/// that never calls it starts nothing.
#[allow(non_camel_case_types)]
pub struct ua_queue {
    inner: Queue,
}

/// Called once for each event the queue gave up on for good, on one of the
/// queue's threads (or the thread closing it, for what a close gives up).
/// `event_json` and `result` are valid only during the call. The callback may
/// call `ua_queue_enqueue`, but not flush, close or free its own queue.
#[allow(non_camel_case_types)]
pub type ua_failure_callback = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        kind: ua_event_kind,
        event_json: *const c_char,
        result: *const ua_result,
    ),
>;

/// Receives a log message (`level` 1 error, 2 warn, 3 info, 4 debug: the
/// UA_LOG_* constants), from any of the queue's threads. `message` is valid
/// only during the call and never contains the token.
#[allow(non_camel_case_types)]
pub type ua_log_callback =
    Option<unsafe extern "C" fn(user_data: *mut c_void, level: i32, message: *const c_char)>;

/// The host's `user_data`, handed back to its callback on the queue's
/// threads: the host promises that is safe (see the callbacks' comments).
struct HostData(*mut c_void);
// SAFETY: the library never dereferences the pointer; the host, which set it
// with a callback documented to run on other threads, vouches for it.
unsafe impl Send for HostData {}
// SAFETY: as above.
unsafe impl Sync for HostData {}

impl HostData {
    /// The pointer (a method, so closures capture the whole `HostData`).
    fn get(&self) -> *mut c_void {
        self.0
    }
}

/// Makes a queue from `options` (copied: they may be freed right after) and
/// starts its workers; with a spool directory, makes this queue's lane there
/// and adopts what queues that went away left (UA_COUNTER_RECOVERED).
///
/// On success returns UA_OK and writes the queue to `*out_queue`; the caller
/// frees it with `ua_queue_free`. Returns UA_INVALID_ARGUMENT (for NULL
/// arguments or options a client refuses) or UA_SPOOL_FAILED (the spool
/// cannot be created, written or read), leaving `*out_queue` untouched;
/// `ua_options_last_error(options)` then says why.
///
/// # Safety
/// `options` is NULL or live; `out_queue` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ua_queue_new(
    options: *const ua_options,
    out_queue: *mut *mut ua_queue,
) -> ua_code {
    ffi_boundary!({
        let Some(o) = options.as_ref() else {
            return UA_INVALID_ARGUMENT;
        };
        if out_queue.is_null() {
            return o.record(Err(&Error::invalid_argument("out_queue is NULL")));
        }
        match Queue::new(&o.inner) {
            Ok(queue) => {
                *out_queue = Box::into_raw(Box::new(ua_queue { inner: queue }));
                o.record(Ok(()))
            }
            Err(e) => o.record(Err(&e)),
        }
    })
}

/// Hands an event to the queue and returns at once: it never waits for the
/// network or for a worker.
///
/// `kind` and `event_json` are as for `ua_send_event` (the JSON is copied).
/// With local checks on, the event is checked on this thread and a failure
/// returns its code (nothing taken). UA_OK means the event is held: in
/// memory, and with a spool written there so that it survives the process
/// being killed right after this returns. Otherwise UA_QUEUE_FULL,
/// UA_QUEUE_CLOSED, UA_SPOOL_FAILED or UA_INVALID_ARGUMENT, and nothing is
/// taken; `ua_queue_enqueue_with_result` also says why.
///
/// # Safety
/// `queue` is NULL or live; `event_json` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn ua_queue_enqueue(
    queue: *mut ua_queue,
    kind: ua_event_kind,
    event_json: *const c_char,
) -> ua_code {
    ffi_boundary!({
        match enqueue(queue, kind, event_json) {
            Ok(()) => UA_OK,
            Err(refusal) => refusal.code().raw(),
        }
    })
}

/// Like `ua_queue_enqueue`, and says why an event was not taken: when
/// `out_result` is not NULL, `*out_result` is set to NULL if the event was
/// taken, and otherwise to a new result (code, the type the service would
/// have answered for a failed check, the message; attempts 0) that the caller
/// frees with `ua_result_free`.
///
/// # Safety
/// As for `ua_queue_enqueue`; `out_result` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ua_queue_enqueue_with_result(
    queue: *mut ua_queue,
    kind: ua_event_kind,
    event_json: *const c_char,
    out_result: *mut *mut ua_result,
) -> ua_code {
    ffi_boundary!({
        let outcome = enqueue(queue, kind, event_json);
        let code = outcome.as_ref().map_or_else(|r| r.code().raw(), |()| UA_OK);
        if !out_result.is_null() {
            *out_result = match outcome {
                Ok(()) => std::ptr::null_mut(),
                Err(refusal) => Box::into_raw(Box::new(ua_result::from(refusal.into_inner()))),
            };
        }
        code
    })
}

/// The Rust side of both enqueues: arguments checked, then the queue's.
unsafe fn enqueue(
    queue: *mut ua_queue,
    kind: ua_event_kind,
    event_json: *const c_char,
) -> Result<(), SendError> {
    let refused = |e: Error| SendError::refusal(e.code(), e.message());
    let queue = queue
        .as_ref()
        .ok_or_else(|| refused(Error::invalid_argument("queue is NULL")))?;
    let checked = event_kind(kind).and_then(|k| Ok((k, text(event_json, "event_json")?)));
    match checked {
        Ok((kind, json)) => queue.inner.enqueue(kind, json),
        Err(e) => {
            queue.inner.count_refusal();
            Err(refused(e))
        }
    }
}

/// Waits until every event taken before this call (those recovered from the
/// spool included) is delivered or failed (and its failure callback has
/// returned): UA_OK, or UA_TIMEOUT when `timeout_ms` passes first. On a closed
/// queue with events left, UA_QUEUE_CLOSED at once. UA_INVALID_ARGUMENT for
/// NULL. Not from the queue's own callbacks.
///
/// # Safety
/// `queue` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn ua_queue_flush(queue: *mut ua_queue, timeout_ms: u32) -> ua_code {
    ffi_boundary!({
        match queue.as_ref() {
            None => UA_INVALID_ARGUMENT,
            Some(q) => code_of(q.inner.flush(Duration::from_millis(timeout_ms.into()))),
        }
    })
}

/// Stops taking events (UA_QUEUE_CLOSED from then on), keeps delivering for
/// at most `timeout_ms`, then stops the workers, cutting off requests in
/// flight. Returns UA_OK when nothing was left pending, UA_TIMEOUT otherwise:
/// what is left stays in the spool for the next queue on that directory, or,
/// without a spool, each left event is failed with UA_QUEUE_CLOSED (callback
/// and counter). A second close returns at once. Counters stay readable
/// until `ua_queue_free`. Not from the queue's own callbacks.
///
/// # Safety
/// `queue` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn ua_queue_close(queue: *mut ua_queue, timeout_ms: u32) -> ua_code {
    ffi_boundary!({
        match queue.as_ref() {
            None => UA_INVALID_ARGUMENT,
            Some(q) => code_of(q.inner.close(Duration::from_millis(timeout_ms.into()))),
        }
    })
}

/// Frees a queue made by `ua_queue_new`. A queue not closed yet is closed
/// first with a grace of 2000 ms (as `ua_queue_close(queue, 2000)`). Once this
/// returns no callback of the queue runs any more. NULL does nothing. In a
/// child process after `fork()`, it closes and frees the child's own queue
/// (if the child used it); the parent's is left alone there.
/// No other thread may be using the queue; not from its own callbacks.
///
/// # Safety
/// `queue` is NULL or a live pointer from `ua_queue_new`, no longer in use.
#[no_mangle]
pub unsafe extern "C" fn ua_queue_free(queue: *mut ua_queue) {
    ffi_boundary!({
        if !queue.is_null() {
            drop(Box::from_raw(queue));
        }
    })
}

/// The value of one counter (UA_COUNTER_*); 0 for a NULL queue or an unknown
/// counter. At every moment ENQUEUED + RECOVERED = DELIVERED + FAILED + PENDING.
///
/// # Safety
/// `queue` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn ua_queue_counter(queue: *const ua_queue, counter: ua_counter) -> u64 {
    ffi_boundary!({
        match (queue.as_ref(), Counter::from_raw(counter)) {
            (Some(q), Some(c)) => q.inner.counter(c),
            _ => 0,
        }
    })
}

/// Reads the first `count` counters at one moment, so that they add up:
/// `values[0]` is UA_COUNTER_ENQUEUED (1), `values[1]` UA_COUNTER_DELIVERED
/// (2), and so on (`values[k - 1]` is counter `k`); a `count` past the known
/// counters gets 0 for the rest. UA_OK, or UA_INVALID_ARGUMENT for a NULL
/// queue or a NULL `values` with a `count` above 0 (nothing written).
///
/// # Safety
/// `queue` is NULL or live; `values` is NULL or points to `count` writable
/// `uint64_t`.
#[no_mangle]
pub unsafe extern "C" fn ua_queue_counters(
    queue: *const ua_queue,
    values: *mut u64,
    count: usize,
) -> ua_code {
    ffi_boundary!({
        let Some(q) = queue.as_ref() else {
            return UA_INVALID_ARGUMENT;
        };
        if count == 0 {
            return UA_OK;
        }
        if values.is_null() {
            return UA_INVALID_ARGUMENT;
        }
        let read = q.inner.counters();
        let out = std::slice::from_raw_parts_mut(values, count);
        for (i, slot) in out.iter_mut().enumerate() {
            *slot = i32::try_from(i + 1)
                .ok()
                .and_then(Counter::from_raw)
                .map_or(0, |c| read.get(c));
        }
        UA_OK
    })
}

fn code_of(r: Result<(), Error>) -> ua_code {
    r.map_or_else(|e| e.code().raw(), |()| UA_OK)
}

/// Sets how much a queue holds in memory at most: `max_events` events and
/// `max_bytes` bytes of event JSON. Without a spool, past either
/// `ua_queue_enqueue` returns UA_QUEUE_FULL at once; with one, events past it
/// wait on disk (up to `ua_options_set_spool_capacity`) and are read back in
/// order as room frees up. Both at least 1; defaults 10000 events and
/// 10485760 bytes (10 MiB).
///
/// # Safety
/// `options` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn ua_options_set_queue_capacity(
    options: *mut ua_options,
    max_events: u32,
    max_bytes: u64,
) -> ua_code {
    ffi_boundary!({ set(options, |o| o.set_queue_capacity(max_events, max_bytes)) })
}

/// Sets the most worker threads that deliver a queue's events, 1 to 256
/// (default 64); each has one request in flight at a time. A queue starts
/// with two (or one), adds workers while events wait and the service answers
/// (none while paused), and lets workers idle for 10 s go. Other values give
/// UA_INVALID_ARGUMENT.
///
/// # Safety
/// `options` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn ua_options_set_queue_workers(
    options: *mut ua_options,
    workers: u32,
) -> ua_code {
    ffi_boundary!({ set(options, |o| o.set_queue_workers(workers)) })
}

/// Sets how long after it was enqueued an event keeps being tried again
/// while the service throttles (13), fails (14), cannot be reached (101) or
/// times out (102); past it the event fails for good with that code. 1 ms to
/// 30 days; default 3600000 (1 hour).
///
/// # Safety
/// `options` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn ua_options_set_queue_max_age_ms(
    options: *mut ua_options,
    ms: u64,
) -> ua_code {
    ffi_boundary!({ set(options, |o| o.set_queue_max_age_ms(ms)) })
}

/// Makes queues built from these options durable: each event is written to
/// this directory (created if missing) before `ua_queue_enqueue` returns.
/// Any number of live queues, in any number of processes, may share the
/// directory: each writes its own lane, and the lane of a queue that went
/// away (killed, or closed with events left) is adopted and delivered by a
/// live queue on the directory within 30 s. Failed events are appended to
/// `dead-letter.jsonl` there. NULL or "": no spool (the default). Checked by
/// `ua_queue_new`. The path is copied.
///
/// # Safety
/// `options` is NULL or live; `path` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn ua_options_set_spool_dir(
    options: *mut ua_options,
    path: *const c_char,
) -> ua_code {
    ffi_boundary!({ set(options, |o| o.set_spool_dir(optional_text(path, "path")?)) })
}

/// Sets how many bytes of events a queue's spool lane holds at most (each
/// event takes its JSON and 21 bytes); past it `ua_queue_enqueue` returns
/// UA_QUEUE_FULL. Settled events give their room back at once. At least 1;
/// default 268435456 (256 MiB).
///
/// # Safety
/// `options` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn ua_options_set_spool_capacity(
    options: *mut ua_options,
    max_bytes: u64,
) -> ua_code {
    ffi_boundary!({ set(options, |o| o.set_spool_capacity(max_bytes)) })
}

/// Sets how often the spool is flushed to the disk itself (fsync): what a
/// power loss could lose at most (a killed process loses nothing either way).
/// 0 flushes on every enqueue (much slower); at most 60000; default 1000.
///
/// # Safety
/// `options` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn ua_options_set_spool_fsync_interval_ms(
    options: *mut ua_options,
    ms: u32,
) -> ua_code {
    ffi_boundary!({ set(options, |o| o.set_spool_fsync_interval_ms(ms)) })
}

/// Sets the pause of a whole queue while the service throttles or fails: the
/// first lasts about `base_ms`, each failed probe doubles it up to `max_ms`; a
/// longer `Retry-After` is honoured. 1 <= base_ms <= max_ms <= 3600000;
/// defaults 1000 and 30000.
///
/// # Safety
/// `options` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn ua_options_set_queue_backoff_ms(
    options: *mut ua_options,
    base_ms: u32,
    max_ms: u32,
) -> ua_code {
    ffi_boundary!({ set(options, |o| o.set_queue_backoff_ms(base_ms, max_ms)) })
}

/// Sets the callback that hears of every event a queue gives up on for good
/// (see `ua_failure_callback`), with `user_data` handed back to it; a NULL
/// callback removes it. The library never touches `user_data`; it must stay
/// valid until `ua_queue_free` of every queue built with these options
/// returns.
///
/// # Safety
/// `options` is NULL or live; `callback` is NULL or safe to call from any
/// thread with `user_data`.
#[no_mangle]
pub unsafe extern "C" fn ua_options_set_failure_callback(
    options: *mut ua_options,
    callback: ua_failure_callback,
    user_data: *mut c_void,
) -> ua_code {
    ffi_boundary!({
        set(options, |o| {
            let hook = callback.map(|f| {
                let data = HostData(user_data);
                Arc::new(move |failed: &FailedEvent<'_>| {
                    let json = c_string(failed.event_json.as_bytes().to_vec());
                    let result = ua_result::from(failed.result.clone());
                    // SAFETY: the host's callback with its own data; the
                    // strings and the result live until it returns.
                    unsafe { f(data.get(), failed.kind.raw(), json.as_ptr(), &result) };
                }) as crate::queue::FailureCallback
            });
            o.set_failure_callback(hook);
            Ok(())
        })
    })
}

/// Sets the callback that receives a queue's log messages at `max_level`
/// (UA_LOG_ERROR 1 to UA_LOG_DEBUG 4) and below, with `user_data` handed back
/// to it; a NULL callback removes it. Another level gives UA_INVALID_ARGUMENT.
/// `user_data` must stay valid until `ua_queue_free` of every queue built
/// with these options returns.
///
/// # Safety
/// `options` is NULL or live; `callback` is NULL or safe to call from any
/// thread with `user_data`.
#[no_mangle]
pub unsafe extern "C" fn ua_options_set_log_callback(
    options: *mut ua_options,
    callback: ua_log_callback,
    user_data: *mut c_void,
    max_level: i32,
) -> ua_code {
    ffi_boundary!({
        set(options, |o| {
            let level = LogLevel::from_raw(max_level).ok_or_else(|| {
                Error::invalid_argument(format!(
                    "log level {max_level} is unknown (1 error, 2 warn, 3 info, 4 debug)"
                ))
            })?;
            let hook = callback.map(|f| {
                let data = HostData(user_data);
                Arc::new(move |level: LogLevel, message: &str| {
                    let text = c_string(message.as_bytes().to_vec());
                    // SAFETY: the host's callback with its own data; the text
                    // lives until it returns.
                    unsafe { f(data.get(), level as i32, text.as_ptr()) };
                }) as crate::queue::LogCallback
            });
            o.set_log_callback(hook, level);
            Ok(())
        })
    })
}
