//! The C entry points `ua_queue_enqueue` and `ua_queue_enqueue_with_result`
//! fed arbitrary bytes as kind and JSON, on a queue whose service is a closed
//! loopback port (so what it takes stays pending, until the queue is full).
//!
//! Checked: both entry points agree on the code; a refusal comes with a
//! result whose code is that code and whose message is not empty, and a
//! success with none; REFUSED and ENQUEUED move by exactly one per call; and
//! ENQUEUED + RECOVERED = DELIVERED + FAILED + PENDING after every call.
#![no_main]

mod support;

use coveo_ua::ffi::*;
use libfuzzer_sys::fuzz_target;
use std::ffi::CStr;
use std::sync::OnceLock;

static QUEUE: OnceLock<usize> = OnceLock::new();

fn queue() -> *mut ua_queue {
    *QUEUE.get_or_init(|| {
        // SAFETY: options from the support module, used here and freed once.
        unsafe {
            let o = support::options_for_a_closed_port();
            assert_eq!(ua_options_set_queue_capacity(o, 5000, 1 << 22), 0);
            assert_eq!(ua_options_set_queue_workers(o, 1), 0);
            let mut q = std::ptr::null_mut();
            assert_eq!(ua_queue_new(o, &mut q), 0);
            ua_options_free(o);
            q as usize
        }
    }) as *mut ua_queue
}

fn counter(q: *mut ua_queue, c: ua_counter) -> u64 {
    // SAFETY: the queue lives for the whole run.
    unsafe { ua_queue_counter(q, c) }
}

fuzz_target!(|data: &[u8]| {
    let Some((kind, json, _flags)) = support::kind_json_flags(data, 8) else {
        return;
    };
    let q = queue();
    let (refused, enqueued) = (
        counter(q, UA_COUNTER_REFUSED),
        counter(q, UA_COUNTER_ENQUEUED),
    );
    let mut result = std::ptr::null_mut();
    // SAFETY: a live queue, a valid C string, a writable out-parameter.
    let code = unsafe { ua_queue_enqueue_with_result(q, kind, json.as_ptr(), &mut result) };
    if code == UA_OK {
        assert!(result.is_null());
        assert_eq!(counter(q, UA_COUNTER_ENQUEUED), enqueued + 1);
    } else {
        assert!(!result.is_null());
        // SAFETY: a result the library just handed out, freed once.
        unsafe {
            assert_eq!(ua_result_code(result), code);
            assert_eq!(ua_result_attempts(result), 0);
            let message = CStr::from_ptr(ua_result_message(result)).to_str().unwrap();
            assert!(!message.is_empty());
            ua_result_free(result);
        }
        assert_eq!(counter(q, UA_COUNTER_REFUSED), refused + 1);
        // The same event through the plain entry point: the same answer.
        let again = unsafe { ua_queue_enqueue(q, kind, json.as_ptr()) };
        if code != UA_QUEUE_FULL {
            assert_eq!(again, code);
        }
    }
    assert_eq!(
        counter(q, UA_COUNTER_ENQUEUED) + counter(q, UA_COUNTER_RECOVERED),
        counter(q, UA_COUNTER_DELIVERED)
            + counter(q, UA_COUNTER_FAILED)
            + counter(q, UA_COUNTER_PENDING)
    );
});
