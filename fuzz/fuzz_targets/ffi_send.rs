//! The C entry point `ua_send_event` fed arbitrary bytes as kind and JSON, with
//! a client pointed at a closed loopback port (so an event that passes the local
//! checks ends in a refused connection, quickly).
//!
//! Checked: the returned code equals the result's code; the message is never
//! NULL; a refusal before sending reports no attempt and no HTTP status; the
//! one refusal after sending is UA_CONNECTION_FAILED.
#![no_main]

mod support;

use coveo_ua::ffi::*;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

/// The client, built once: the address of a `ua_client`, shared read-only.
static CLIENT: OnceLock<usize> = OnceLock::new();

fn client() -> *const ua_client {
    *CLIENT.get_or_init(|| {
        // SAFETY: options from the support module, used here and freed once.
        unsafe {
            let o = support::options_for_a_closed_port();
            assert_eq!(ua_options_set_max_retries(o, 0), 0);
            assert_eq!(ua_options_set_timeout_ms(o, 200), 0);
            assert_eq!(ua_options_set_deadline_ms(o, 400), 0);
            let mut c = std::ptr::null_mut();
            assert_eq!(ua_client_new(o, &mut c), 0);
            ua_options_free(o);
            c as usize
        }
    }) as *const ua_client
}

fuzz_target!(|data: &[u8]| {
    let Some((kind, json, flags)) = support::kind_json_flags(data, 7) else {
        return;
    };
    let json_ptr = if flags & 2 == 2 {
        std::ptr::null()
    } else {
        json.as_ptr()
    };
    // SAFETY: a live client, a NUL-terminated string or NULL, the result freed once.
    unsafe {
        if flags & 4 == 4 {
            let code = ua_send_event(client(), kind, json_ptr, std::ptr::null_mut());
            assert!(!ua_code_name(code).is_null());
            return;
        }
        let mut result = std::ptr::null_mut();
        let code = ua_send_event(client(), kind, json_ptr, &mut result);
        assert!(!result.is_null(), "out_result must always be set");
        assert_eq!(ua_result_code(result), code);
        assert!(!ua_result_message(result).is_null());
        assert_ne!(code, 0, "nothing listens, so nothing can be accepted");
        assert_ne!(code, 103, "UA_INTERNAL: a panic was caught");
        let attempts = ua_result_attempts(result);
        if attempts == 0 {
            assert_eq!(ua_result_http_status(result), 0);
            assert!(ua_result_body(result).is_null());
        } else {
            assert!(
                code == 101 || code == 102,
                "after sending only a connection failure or timeout: {code}"
            );
        }
        ua_result_free(result);
    }
});
