//! Fault rules that last a number of milliseconds (`duration_ms`) rather than
//! a number of requests: outage windows that end by themselves.

mod common;

use common::*;
use serde_json::json;
use std::time::{Duration, Instant};

fn listed_rules(emu: &Emulator) -> Vec<serde_json::Value> {
    let r = emu.request("GET", "/_emulator/faults", &[], b"");
    r.json().as_array().expect("rules are an array").clone()
}

#[test]
fn a_window_answers_every_request_until_it_closes() {
    let emu = Emulator::start(&[]);
    let t0 = Instant::now();
    emu.add_fault(json!({"status": 503, "retry_after": "1", "duration_ms": 700}));
    let rules = listed_rules(&emu);
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0]["duration_ms"], 700);
    assert!(rules[0]["remaining_ms"].as_u64().unwrap() <= 700);
    assert!(rules[0].get("count").is_none(), "{}", rules[0]);
    let mut refused = 0u64;
    let deadline = t0 + Duration::from_secs(10);
    loop {
        let r = emu.post("custom", &custom_event());
        if r.status == 200 {
            break;
        }
        r.expect_error(503, "ServiceUnavailable");
        assert_eq!(r.header("retry-after"), Some("1"));
        refused += 1;
        assert!(Instant::now() < deadline, "the window never closed");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        t0.elapsed() >= Duration::from_millis(700),
        "closed early: {:?}",
        t0.elapsed()
    );
    assert!(refused >= 2, "{refused}");
    assert!(listed_rules(&emu).is_empty());
    let s = emu.stats();
    assert_eq!(s["faults_applied"], refused, "{s}");
    assert_eq!(s["requests"], refused + 1, "{s}");
    assert_eq!(emu.events().len(), 1);
}

#[test]
fn a_closed_window_leaves_the_list_without_any_request() {
    let emu = Emulator::start(&[]);
    emu.add_fault(json!([
        {"status": 503, "duration_ms": 200},
        {"status": 500, "count": 0, "path": "/rest/ua/v15/analytics/click"},
    ]));
    assert_eq!(listed_rules(&emu).len(), 2);
    std::thread::sleep(Duration::from_millis(400));
    let rules = listed_rules(&emu);
    assert_eq!(rules.len(), 1, "{rules:?}");
    assert_eq!(rules[0]["status"], 500);
    assert_eq!(emu.post("custom", &custom_event()).status, 200);
}

#[test]
fn a_window_keeps_its_place_in_the_queue_and_its_path_filter() {
    let emu = Emulator::start(&[]);
    emu.add_fault(json!([
        {"status": 500, "count": 1},
        {"status": 503, "duration_ms": 60_000, "path": "/rest/ua/v15/analytics/click"},
        {"status": 502, "count": 1},
    ]));
    assert_eq!(emu.post("click", &valid_event("click")).status, 500);
    for _ in 0..3 {
        assert_eq!(emu.post("click", &valid_event("click")).status, 503);
    }
    assert_eq!(emu.post("custom", &custom_event()).status, 502);
    assert_eq!(emu.post("custom", &custom_event()).status, 200);
    assert_eq!(emu.post("click", &valid_event("click")).status, 503);
    let r = emu.request("DELETE", "/_emulator/faults", &[], b"");
    assert_eq!(
        r.json(),
        json!({"removed": 1}),
        "a window ends early when deleted"
    );
    assert_eq!(emu.post("click", &valid_event("click")).status, 200);
}

#[test]
fn a_slow_window_processes_requests_late() {
    let emu = Emulator::start(&[]);
    emu.add_fault(json!({"latency_ms": 250, "duration_ms": 60_000}));
    let t0 = Instant::now();
    assert_eq!(emu.post("custom", &custom_event()).status, 200);
    assert_eq!(emu.post("custom", &custom_event()).status, 200);
    assert!(
        t0.elapsed() >= Duration::from_millis(500),
        "{:?}",
        t0.elapsed()
    );
    assert_eq!(emu.events().len(), 2);
}

#[test]
fn bad_windows_are_refused_naming_the_field() {
    let emu = Emulator::start(&[]);
    for (bad, needle) in [
        (json!({"status": 503, "duration_ms": 0}), "'duration_ms'"),
        (json!({"status": 503, "duration_ms": "5"}), "'duration_ms'"),
        (json!({"status": 503, "duration_ms": -5}), "'duration_ms'"),
        (
            json!({"status": 503, "duration_ms": 3_600_001}),
            "'duration_ms'",
        ),
        (
            json!({"status": 503, "duration_ms": 5, "count": 2}),
            "'count'",
        ),
        (
            json!({"status": 503, "duration_ms": 5, "count": 0}),
            "'count'",
        ),
        (json!({"duration_ms": 5}), "'action'"),
    ] {
        let r = emu.request("POST", "/_emulator/faults", &[], bad.to_string().as_bytes());
        let message = r.expect_error(400, "InvalidRequest");
        assert!(message.contains(needle), "{bad}: {message}");
    }
    assert!(listed_rules(&emu).is_empty());
}
