//! The C ABI called directly from Rust: NULLs, bad text, absurd options, and a
//! round trip against the emulator.

mod common;

use common::*;

use coveo_ua::ffi::*;
use std::ffi::{c_char, CStr, CString};
use std::ptr;

fn text(p: *const c_char) -> Option<String> {
    // SAFETY: the library returns NULL or a NUL-terminated string that is alive here.
    (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_string())
}

fn c(s: &str) -> CString {
    CString::new(s).unwrap()
}

#[test]
fn static_texts() {
    assert_eq!(text(ua_version()).unwrap(), env!("CARGO_PKG_VERSION"));
    assert_eq!(
        text(ua_code_name(UA_INVALID_JSON)).unwrap(),
        "UA_INVALID_JSON"
    );
    assert_eq!(text(ua_code_name(UA_TIMEOUT)).unwrap(), "UA_TIMEOUT");
    assert_eq!(text(ua_code_name(77)).unwrap(), "UA_UNKNOWN_CODE");
    let unknown = text(ua_error_describe(-1)).unwrap();
    assert!(unknown.contains("Unknown"), "{unknown}");
    for raw in [i32::MIN, -1, 16, 99, 107, i32::MAX] {
        assert_eq!(text(ua_error_describe(raw)).unwrap(), unknown);
    }
    let mut seen = std::collections::HashSet::new();
    for raw in (0..=15).chain(100..=106) {
        let d = text(ua_error_describe(raw)).unwrap();
        assert!(!d.is_empty() && d != unknown);
        assert!(seen.insert(d), "code {raw} shares its description");
    }
}

#[test]
fn nulls_are_invalid_arguments_and_frees_of_null_are_fine() {
    unsafe {
        ua_options_free(ptr::null_mut());
        ua_client_free(ptr::null_mut());
        ua_result_free(ptr::null_mut());
        let t = c("xx");
        assert_eq!(
            ua_options_set_token(ptr::null_mut(), t.as_ptr()),
            UA_INVALID_ARGUMENT
        );
        assert_eq!(
            ua_options_set_timeout_ms(ptr::null_mut(), 5),
            UA_INVALID_ARGUMENT
        );
        assert_eq!(
            ua_options_set_local_checks(ptr::null_mut(), true),
            UA_INVALID_ARGUMENT
        );
        let o = ua_options_new();
        assert!(!o.is_null());
        assert_eq!(ua_options_set_token(o, ptr::null()), UA_INVALID_ARGUMENT);
        assert_eq!(
            ua_options_set_endpoint(o, ptr::null()),
            UA_OK,
            "NULL restores the default"
        );
        assert_eq!(ua_options_set_org(o, ptr::null()), UA_OK);
        assert_eq!(ua_options_set_proxy(o, ptr::null()), UA_OK);
        assert_eq!(ua_options_set_ca_file(o, ptr::null()), UA_OK);
        assert_eq!(ua_options_set_user_agent(o, ptr::null()), UA_OK);
        // No token yet: the client is refused and the out-parameter untouched.
        let mut client: *mut ua_client = ptr::null_mut();
        assert_eq!(ua_client_new(o, &mut client), UA_INVALID_ARGUMENT);
        assert!(client.is_null());
        assert_eq!(ua_client_new(ptr::null(), &mut client), UA_INVALID_ARGUMENT);
        assert_eq!(ua_options_set_token(o, t.as_ptr()), UA_OK);
        assert_eq!(ua_client_new(o, ptr::null_mut()), UA_INVALID_ARGUMENT);
        ua_options_free(o);
    }
}

#[test]
fn send_always_sets_the_result() {
    unsafe {
        let json = c(CUSTOM);
        let mut result: *mut ua_result = ptr::null_mut();
        let code = ua_send_event(ptr::null(), UA_EVENT_CUSTOM, json.as_ptr(), &mut result);
        assert_eq!(code, UA_INVALID_ARGUMENT);
        assert!(!result.is_null());
        assert_eq!(ua_result_code(result), UA_INVALID_ARGUMENT);
        assert_eq!(ua_result_attempts(result), 0);
        assert_eq!(ua_result_http_status(result), 0);
        assert!(text(ua_result_message(result)).unwrap().contains("client"));
        assert_eq!(text(ua_result_error_type(result)), None);
        assert_eq!(text(ua_result_body(result)), None);
        assert_eq!(text(ua_result_visitor_id(result)), None);
        ua_result_free(result);
        // NULL out_result is fine too.
        assert_eq!(
            ua_send_event(ptr::null(), UA_EVENT_CUSTOM, json.as_ptr(), ptr::null_mut()),
            UA_INVALID_ARGUMENT
        );
    }
}

#[test]
fn accessors_of_a_null_result_are_zero() {
    unsafe {
        assert_eq!(ua_result_code(ptr::null()), 0);
        assert_eq!(ua_result_http_status(ptr::null()), 0);
        assert_eq!(ua_result_attempts(ptr::null()), 0);
        assert!(ua_result_error_type(ptr::null()).is_null());
        assert!(ua_result_message(ptr::null()).is_null());
        assert!(ua_result_visitor_id(ptr::null()).is_null());
        assert!(ua_result_body(ptr::null()).is_null());
    }
}

#[test]
fn absurd_options_are_refused() {
    unsafe {
        let o = ua_options_new();
        assert_eq!(ua_options_set_timeout_ms(o, 0), UA_INVALID_ARGUMENT);
        assert_eq!(ua_options_set_timeout_ms(o, u32::MAX), UA_INVALID_ARGUMENT);
        assert_eq!(ua_options_set_deadline_ms(o, 0), UA_INVALID_ARGUMENT);
        assert_eq!(
            ua_options_set_max_retries(o, 1_000_000),
            UA_INVALID_ARGUMENT
        );
        assert_eq!(
            ua_options_set_retry_backoff_ms(o, 10, 1),
            UA_INVALID_ARGUMENT
        );
        assert_eq!(
            ua_options_set_retry_backoff_ms(o, 0, u32::MAX),
            UA_INVALID_ARGUMENT
        );
        for bad in [
            "http://example.com/rest/ua",
            "https://example.com/rest/ua?x=1",
            "https://u:p@example.com/rest/ua",
            "ftp://example.com/rest/ua",
            "https://example.com/other",
            "",
        ] {
            let b = c(bad);
            assert_eq!(
                ua_options_set_endpoint(o, b.as_ptr()),
                UA_INVALID_ARGUMENT,
                "{bad}"
            );
        }
        let injected = c("xx\r\nX-Evil: 1");
        assert_eq!(
            ua_options_set_token(o, injected.as_ptr()),
            UA_INVALID_ARGUMENT
        );
        assert_eq!(
            ua_options_set_org(o, injected.as_ptr()),
            UA_INVALID_ARGUMENT
        );
        assert_eq!(
            ua_options_set_user_agent(o, injected.as_ptr()),
            UA_INVALID_ARGUMENT
        );
        let socks = c("socks5://127.0.0.1:1080");
        assert_eq!(ua_options_set_proxy(o, socks.as_ptr()), UA_INVALID_ARGUMENT);
        // Not UTF-8.
        let latin1 = [b'x', 0xe9, 0];
        assert_eq!(
            ua_options_set_token(o, latin1.as_ptr().cast()),
            UA_INVALID_ARGUMENT
        );
        // A CA file that does not exist is refused when the client is built.
        let t = c(KEY);
        assert_eq!(ua_options_set_token(o, t.as_ptr()), UA_OK);
        let missing = c("/nonexistent/coveo-ua-ca.pem");
        assert_eq!(ua_options_set_ca_file(o, missing.as_ptr()), UA_OK);
        let mut client: *mut ua_client = ptr::null_mut();
        assert_eq!(ua_client_new(o, &mut client), UA_INVALID_ARGUMENT);
        assert!(client.is_null());
        ua_options_free(o);
    }
}

/// Every setter and `ua_client_new` leave their reason in the options; a
/// success clears it; it never holds the token.
#[test]
fn the_last_error_of_options_says_what_was_wrong() {
    unsafe {
        assert!(ua_options_last_error(ptr::null()).is_null());
        let o = ua_options_new();
        assert!(ua_options_last_error(o).is_null(), "nothing failed yet");
        let remote = c("http://example.com/rest/ua");
        assert_eq!(
            ua_options_set_endpoint(o, remote.as_ptr()),
            UA_INVALID_ARGUMENT
        );
        let why = text(ua_options_last_error(o)).unwrap();
        assert!(
            why.contains(
                "plain http is allowed only for loopback hosts (127.0.0.0/8, localhost, [::1])"
            ),
            "{why}"
        );
        assert_eq!(ua_options_set_timeout_ms(o, 0), UA_INVALID_ARGUMENT);
        let why = text(ua_options_last_error(o)).unwrap();
        assert!(
            why.contains("timeout 0 ms is out of range (1 to 600000 ms)"),
            "{why}"
        );
        assert_eq!(ua_options_set_timeout_ms(o, 500), UA_OK);
        assert!(ua_options_last_error(o).is_null(), "a success clears it");
        let latin1 = [b'x', 0xe9, 0];
        assert_eq!(
            ua_options_set_org(o, latin1.as_ptr().cast()),
            UA_INVALID_ARGUMENT
        );
        assert!(text(ua_options_last_error(o))
            .unwrap()
            .contains("org_id is not valid UTF-8"));
        // The constructor records too: no token yet, then a NULL out-parameter.
        let mut client: *mut ua_client = ptr::null_mut();
        assert_eq!(ua_client_new(o, &mut client), UA_INVALID_ARGUMENT);
        assert!(text(ua_options_last_error(o))
            .unwrap()
            .contains("no token is set"));
        let secret = c("xx-secret-token-31337");
        assert_eq!(ua_options_set_token(o, secret.as_ptr()), UA_OK);
        assert_eq!(ua_client_new(o, ptr::null_mut()), UA_INVALID_ARGUMENT);
        assert!(text(ua_options_last_error(o))
            .unwrap()
            .contains("out_client"));
        let missing = c("/nonexistent/ca-xx-secret-token-31337.pem");
        assert_eq!(ua_options_set_ca_file(o, missing.as_ptr()), UA_OK);
        assert_eq!(ua_client_new(o, &mut client), UA_INVALID_ARGUMENT);
        let why = text(ua_options_last_error(o)).unwrap();
        assert!(why.contains("cannot be read"), "{why}");
        assert_eq!(ua_options_set_ca_file(o, ptr::null()), UA_OK);
        let bad_token = c("xx secret");
        assert_eq!(
            ua_options_set_token(o, bad_token.as_ptr()),
            UA_INVALID_ARGUMENT
        );
        let why = text(ua_options_last_error(o)).unwrap();
        assert!(!why.contains("secret"), "the token leaked into {why}");
        let loopback = c("http://127.0.0.1:9/rest/ua");
        assert_eq!(ua_options_set_endpoint(o, loopback.as_ptr()), UA_OK);
        assert_eq!(ua_client_new(o, &mut client), UA_OK);
        assert!(ua_options_last_error(o).is_null());
        ua_client_free(client);
        ua_options_free(o);
    }
}

#[test]
fn round_trip_through_the_c_abi() {
    let emu = Emulator::start(&[]);
    unsafe {
        let o = ua_options_new();
        let (t, e, org, ua) = (c(KEY), c(&emu.url), c(ORG), c("ffi-test/1.0"));
        assert_eq!(ua_options_set_token(o, t.as_ptr()), UA_OK);
        assert_eq!(ua_options_set_endpoint(o, e.as_ptr()), UA_OK);
        assert_eq!(ua_options_set_org(o, org.as_ptr()), UA_OK);
        assert_eq!(ua_options_set_user_agent(o, ua.as_ptr()), UA_OK);
        assert_eq!(ua_options_set_retry_backoff_ms(o, 1, 10), UA_OK);
        let mut client: *mut ua_client = ptr::null_mut();
        assert_eq!(ua_client_new(o, &mut client), UA_OK);
        ua_options_free(o); // the client copied them
        assert!(!client.is_null());

        let json = c(CUSTOM);
        let mut result: *mut ua_result = ptr::null_mut();
        let code = ua_send_event(client, UA_EVENT_CUSTOM, json.as_ptr(), &mut result);
        assert_eq!(code, UA_OK, "{:?}", text(ua_result_message(result)));
        assert_eq!(ua_result_code(result), UA_OK);
        assert_eq!(ua_result_http_status(result), 200);
        assert_eq!(ua_result_attempts(result), 1);
        assert!(ua_result_error_type(result).is_null());
        assert!(text(ua_result_visitor_id(result)).is_some());
        assert!(text(ua_result_body(result)).unwrap().contains("visitorId"));
        assert!(!text(ua_result_message(result)).unwrap().is_empty());
        ua_result_free(result);

        // Unknown kind and NULL / non-UTF-8 JSON.
        for kind in [0, 7, -1] {
            let mut r: *mut ua_result = ptr::null_mut();
            assert_eq!(
                ua_send_event(client, kind, json.as_ptr(), &mut r),
                UA_INVALID_ARGUMENT
            );
            assert_eq!(ua_result_attempts(r), 0);
            ua_result_free(r);
        }
        let mut r: *mut ua_result = ptr::null_mut();
        assert_eq!(
            ua_send_event(client, UA_EVENT_VIEW, ptr::null(), &mut r),
            UA_INVALID_ARGUMENT
        );
        ua_result_free(r);
        let bad = [b'{', 0xff, b'}', 0];
        let mut r: *mut ua_result = ptr::null_mut();
        assert_eq!(
            ua_send_event(client, UA_EVENT_VIEW, bad.as_ptr().cast(), &mut r),
            UA_INVALID_ARGUMENT
        );
        assert!(text(ua_result_message(r)).unwrap().contains("UTF-8"));
        ua_result_free(r);

        // A check before sending, through the ABI.
        let missing = c(r#"{"eventValue":"v","language":"en"}"#);
        let mut r: *mut ua_result = ptr::null_mut();
        assert_eq!(
            ua_send_event(client, UA_EVENT_CUSTOM, missing.as_ptr(), &mut r),
            UA_MISSING_PARAMETER
        );
        assert_eq!(text(ua_result_error_type(r)).unwrap(), "MissingParameter");
        assert_eq!(
            text(ua_result_message(r)).unwrap(),
            "Parameter 'customEvent.eventType' is missing."
        );
        assert_eq!(ua_result_http_status(r), 0);
        assert_eq!(ua_result_attempts(r), 0);
        ua_result_free(r);

        // The per-call deadline entry point: 0 is the client's deadline.
        let mut r: *mut ua_result = ptr::null_mut();
        assert_eq!(
            ua_send_event_with_deadline(client, UA_EVENT_CUSTOM, json.as_ptr(), 0, &mut r),
            UA_OK
        );
        assert_eq!(ua_result_attempts(r), 1);
        ua_result_free(r);
        let mut r: *mut ua_result = ptr::null_mut();
        assert_eq!(
            ua_send_event_with_deadline(ptr::null(), UA_EVENT_CUSTOM, json.as_ptr(), 5, &mut r),
            UA_INVALID_ARGUMENT
        );
        assert_eq!(ua_result_code(r), UA_INVALID_ARGUMENT);
        ua_result_free(r);
        ua_client_free(client);
    }
    assert_eq!(emu.events().len(), 2);
    assert_eq!(emu.events()[0]["org"], ORG);
}
