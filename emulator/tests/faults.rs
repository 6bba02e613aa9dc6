//! Every fault-injection action, body style and Retry-After form.

mod common;

use common::*;
use serde_json::json;
use std::io::ErrorKind;

#[test]
fn respond_with_json_error_then_back_to_normal() {
    let emu = Emulator::start(&[]);
    emu.add_fault(json!({"status": 503}));
    let r = emu.post("custom", &custom_event());
    r.expect_error(503, "ServiceUnavailable");
    assert_eq!(emu.post("custom", &custom_event()).status, 200);
    emu.add_fault(
        json!({"action": "respond", "status": 500, "type": "Boom", "message": "it broke"}),
    );
    let r = emu.post("custom", &custom_event());
    assert_eq!(r.expect_error(500, "Boom"), "it broke");
    assert_eq!(
        emu.events().len(),
        1,
        "answers injected by respond record nothing"
    );
    let s = emu.stats();
    assert_eq!(
        (s["faults_applied"].as_u64(), s["requests"].as_u64()),
        (Some(2), Some(3)),
        "{s}"
    );
    assert_eq!(s["rejected"], 2);
}

#[test]
fn respond_body_styles() {
    let emu = Emulator::start(&[]);
    emu.add_fault(json!([
        {"status": 502, "body": "none"},
        {"status": 503, "body": "html"},
        {"status": 504, "body": "text"},
        {"status": 500, "body": "garbage"},
        {"status": 200, "body": "garbage"},
    ]));
    let r = emu.post("custom", &custom_event());
    assert_eq!(
        (r.status, r.body.len(), r.header("content-type")),
        (502, 0, None)
    );
    let r = emu.post("custom", &custom_event());
    assert_eq!(
        (r.status, r.header("content-type")),
        (503, Some("text/html"))
    );
    assert!(r.text().contains("<html>"));
    let r = emu.post("custom", &custom_event());
    assert_eq!(
        (r.status, r.header("content-type")),
        (504, Some("text/plain"))
    );
    let r = emu.post("custom", &custom_event());
    assert_eq!(r.status, 500);
    assert!(serde_json::from_slice::<serde_json::Value>(&r.body).is_err());
    assert!(emu.events().is_empty());
    // A 2xx with a garbage body: the server accepted the event first.
    let r = emu.post("custom", &custom_event());
    assert_eq!(r.status, 200);
    assert!(serde_json::from_slice::<serde_json::Value>(&r.body).is_err());
    assert_eq!(emu.events().len(), 1);
}

#[test]
fn a_redirect_carries_its_location_and_records_nothing() {
    let emu = Emulator::start(&[]);
    emu.add_fault(
        json!({"status": 302, "body": "none", "location": "http://127.0.0.1:9/elsewhere"}),
    );
    let r = emu.post("custom", &custom_event());
    assert_eq!(r.status, 302);
    assert_eq!(r.header("location"), Some("http://127.0.0.1:9/elsewhere"));
    assert!(emu.events().is_empty());
}

#[test]
fn retry_after_is_sent_verbatim() {
    let emu = Emulator::start(&[]);
    let forms = [
        json!("2"),
        json!("Wed, 21 Oct 2015 07:28:00 GMT"),
        json!(7),
        json!("soon"),
    ];
    for form in &forms {
        emu.add_fault(json!({"status": 429, "retry_after": form}));
    }
    for form in forms {
        let r = emu.post("custom", &custom_event());
        r.expect_error(429, "TooManyRequestsException");
        let want = match form {
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        };
        assert_eq!(r.header("retry-after"), Some(want.as_str()));
    }
    assert_eq!(
        emu.post("custom", &custom_event()).header("retry-after"),
        None
    );
}

#[test]
fn counts_order_unlimited_and_path_filter() {
    let emu = Emulator::start(&[]);
    emu.add_fault(json!([{"status": 500, "count": 2}, {"status": 502}]));
    let statuses: Vec<u16> = (0..4)
        .map(|_| emu.post("custom", &custom_event()).status)
        .collect();
    assert_eq!(statuses, [500, 500, 502, 200]);
    emu.add_fault(json!({"status": 503, "count": 0}));
    for _ in 0..5 {
        assert_eq!(emu.post("custom", &custom_event()).status, 503);
    }
    let listed = emu.request("GET", "/_emulator/faults", &[], b"").json();
    assert_eq!(listed[0]["count"], 0);
    let r = emu.request("DELETE", "/_emulator/faults", &[], b"");
    assert_eq!(r.json(), json!({"removed": 1}));
    assert_eq!(emu.post("custom", &custom_event()).status, 200);
    emu.add_fault(json!({"status": 500, "path": "/rest/ua/v15/analytics/click"}));
    assert_eq!(emu.post("custom", &custom_event()).status, 200);
    assert_eq!(emu.post("click", &valid_event("click")).status, 500);
    assert_eq!(emu.post("click", &valid_event("click")).status, 200);
}

#[test]
fn invalid_rules_are_refused() {
    let emu = Emulator::start(&[]);
    for bad in [
        json!({}),
        json!({"action": "respond"}),
        json!({"action": "explode"}),
        json!({"status": 99}),
        json!({"status": 500, "colour": "red"}),
        json!({"status": 500, "body": "xml"}),
        json!({"status": 500, "retry_after": "a\nb"}),
        json!([{"status": 500}, {"action": 3}]),
    ] {
        let r = emu.request("POST", "/_emulator/faults", &[], bad.to_string().as_bytes());
        r.expect_error(400, "InvalidRequest");
    }
    emu.request("POST", "/_emulator/faults", &[], b"{nope")
        .expect_error(400, "InvalidJson");
    assert_eq!(
        emu.request("GET", "/_emulator/faults", &[], b"").json(),
        json!([])
    );
}

/// Faults, latency and outage refuse a misspelt field the same way: 400
/// `InvalidRequest` and one sentence naming the field; a body that is not
/// JSON is `InvalidJson` everywhere.
#[test]
fn every_control_endpoint_refuses_in_one_style() {
    let emu = Emulator::start(&[]);
    for (method, path, body, message) in [
        (
            "POST",
            "/_emulator/faults",
            json!({"staus": 503}),
            "Unknown field 'staus'.",
        ),
        (
            "PUT",
            "/_emulator/latency",
            json!({"latency": 5}),
            "Unknown field 'latency'.",
        ),
        (
            "POST",
            "/_emulator/outage",
            json!({"refuse_ms": 5, "drop": true}),
            "Unknown field 'drop'.",
        ),
        (
            "POST",
            "/_emulator/faults",
            json!([{"status": 503}, {"staus": 503}]),
            "Item 1 of the array: Unknown field 'staus'.",
        ),
    ] {
        let r = emu.request(method, path, &[], body.to_string().as_bytes());
        assert_eq!(r.expect_error(400, "InvalidRequest"), message, "{path}");
    }
    for (method, path) in [
        ("POST", "/_emulator/faults"),
        ("PUT", "/_emulator/latency"),
        ("POST", "/_emulator/outage"),
    ] {
        let r = emu.request(method, path, &[], b"{nope");
        let message = r.expect_error(400, "InvalidJson");
        assert!(
            message.starts_with("The body is not JSON: "),
            "{path}: {message}"
        );
    }
    assert_eq!(
        emu.request("GET", "/_emulator/faults", &[], b"").json(),
        json!([])
    );
}

#[test]
fn close_sends_nothing_and_records_nothing() {
    let emu = Emulator::start(&[]);
    emu.add_fault(json!({"action": "close"}));
    let mut c = emu.connect();
    send_event(&mut c);
    assert_eq!(c.read_to_close().expect("orderly close"), b"");
    assert!(emu.events().is_empty());
}

#[test]
fn reset_resets_the_connection() {
    let emu = Emulator::start(&[]);
    emu.add_fault(json!({"action": "reset"}));
    let mut c = emu.connect();
    send_event(&mut c);
    let err = c
        .read_to_close()
        .expect_err("a reset, not an orderly close");
    assert_eq!(err.kind(), ErrorKind::ConnectionReset, "{err}");
    assert!(emu.events().is_empty());
}

#[test]
fn record_then_close_records_without_answering() {
    let emu = Emulator::start(&[]);
    emu.add_fault(json!({"action": "record_then_close"}));
    let mut c = emu.connect();
    send_event(&mut c);
    assert_eq!(c.read_to_close().expect("orderly close"), b"");
    assert_eq!(emu.events().len(), 1);
}

#[test]
fn truncate_cuts_the_body_short() {
    let emu = Emulator::start(&[]);
    emu.add_fault(json!({"action": "truncate"}));
    let mut c = emu.connect();
    send_event(&mut c);
    let all = c.read_to_close().expect("orderly close");
    let text = String::from_utf8_lossy(&all);
    let (head, body) = text.split_once("\r\n\r\n").expect("a full head");
    assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
    let declared: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Length: "))
        .expect("Content-Length")
        .parse()
        .unwrap();
    assert!(body.len() < declared, "{} < {declared}", body.len());
    assert_eq!(emu.events().len(), 1);
}

#[test]
fn stall_holds_then_closes_without_answer() {
    let emu = Emulator::start(&[]);
    emu.add_fault(json!({"action": "stall", "delay_ms": 300}));
    let mut c = emu.connect();
    send_event(&mut c);
    assert_eq!(
        c.read_to_close().expect("orderly close after the stall"),
        b""
    );
    assert!(emu.events().is_empty());
    assert_eq!(
        emu.post("custom", &custom_event()).status,
        200,
        "other clients unaffected"
    );
}

#[test]
fn trickle_sends_a_whole_answer_slowly() {
    let emu = Emulator::start(&[]);
    emu.add_fault(json!({"action": "trickle", "delay_ms": 1}));
    let mut c = emu.connect();
    send_event(&mut c);
    let r = c.read_response().expect("complete answer");
    assert_eq!(r.status, 200);
    assert!(is_uuid(r.json()["visitorId"].as_str().unwrap()));
    // The connection stays usable.
    send_event(&mut c);
    assert_eq!(c.read_response().unwrap().status, 200);
    assert_eq!(emu.events().len(), 2);
}

#[test]
fn garbage_is_not_http() {
    let emu = Emulator::start(&[]);
    emu.add_fault(json!({"action": "garbage"}));
    let mut c = emu.connect();
    send_event(&mut c);
    let all = c.read_to_close().expect("orderly close");
    assert!(!all.is_empty() && !all.starts_with(b"HTTP/"));
    assert!(emu.events().is_empty());
}

#[test]
fn delay_only_then_normal_processing() {
    let emu = Emulator::start(&[]);
    emu.add_fault(json!([{"delay_ms": 100}, {"status": 503, "delay_ms": 50}]));
    assert_eq!(emu.post("custom", &custom_event()).status, 200);
    assert_eq!(emu.post("custom", &custom_event()).status, 503);
    assert_eq!(emu.events().len(), 1);
    assert_eq!(emu.stats()["faults_applied"], 2);
}

#[test]
fn control_requests_do_not_consume_rules() {
    let emu = Emulator::start(&[]);
    emu.add_fault(json!({"status": 500}));
    emu.events();
    emu.stats();
    assert_eq!(emu.post("custom", &custom_event()).status, 500);
}
