//! Added latency: the command-line flag, its run-time setting, a rule's own
//! `latency_ms`, and that waiting connections do not wait for each other.

mod common;

use common::*;
use serde_json::json;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

/// How long one valid custom event takes to be answered, and its status.
fn timed_post(emu: &Emulator) -> (Duration, u16) {
    let t0 = Instant::now();
    let status = emu.post("custom", &custom_event()).status;
    (t0.elapsed(), status)
}

fn put_latency(emu: &Emulator, body: &str) -> Resp {
    emu.request("PUT", "/_emulator/latency", &[], body.as_bytes())
}

#[test]
fn the_flag_delays_service_requests_but_not_control_ones() {
    let emu = Emulator::start(&["--latency-ms", "600"]);
    let (took, status) = timed_post(&emu);
    assert_eq!(status, 200);
    assert!(took >= Duration::from_millis(600), "{took:?}");
    let t0 = Instant::now();
    emu.stats();
    emu.events();
    assert!(
        t0.elapsed() < Duration::from_millis(450),
        "control requests must not wait: {:?}",
        t0.elapsed()
    );
    let health = "/rest/ua/v15/analytics/monitoring/health";
    let t0 = Instant::now();
    assert_eq!(emu.request("GET", health, &[], b"").status, 200);
    assert!(
        t0.elapsed() >= Duration::from_millis(600),
        "every service path waits"
    );
}

#[test]
fn waiting_connections_do_not_wait_for_each_other() {
    let emu = Arc::new(Emulator::start(&["--latency-ms", "50"]));
    let n = 64;
    let ready = Arc::new(Barrier::new(n + 1));
    let threads: Vec<_> = (0..n)
        .map(|_| {
            let (emu, ready) = (emu.clone(), ready.clone());
            std::thread::spawn(move || {
                let mut c = emu.connect();
                ready.wait();
                let auth = format!("Bearer {TOKEN}");
                let headers = [
                    ("Content-Type", "application/json"),
                    ("Authorization", auth.as_str()),
                ];
                let path = "/rest/ua/v15/analytics/custom";
                let t0 = Instant::now();
                let r = c.request(
                    "POST",
                    path,
                    &headers,
                    custom_event().to_string().as_bytes(),
                );
                (r.status, t0.elapsed())
            })
        })
        .collect();
    ready.wait();
    let t0 = Instant::now();
    for t in threads {
        let (status, took) = t.join().expect("client thread");
        assert_eq!(status, 200);
        assert!(took >= Duration::from_millis(50), "{took:?}");
    }
    let all = t0.elapsed();
    // One after the other would take 64 * 50 ms = 3.2 s.
    assert!(all < Duration::from_millis(1500), "{all:?}");
    assert_eq!(emu.events().len(), n);
}

#[test]
fn the_latency_changes_at_run_time() {
    let emu = Emulator::start(&[]);
    let r = emu.request("GET", "/_emulator/latency", &[], b"");
    assert_eq!(r.json(), json!({"latency_ms": 0}));
    let r = put_latency(&emu, r#"{"latency_ms": 400}"#);
    assert_eq!((r.status, r.json()), (200, json!({"latency_ms": 400})));
    let (took, _) = timed_post(&emu);
    assert!(took >= Duration::from_millis(400), "{took:?}");
    let r = emu.request("GET", "/_emulator/latency", &[], b"");
    assert_eq!(r.json(), json!({"latency_ms": 400}));
    put_latency(&emu, r#"{"latency_ms": 0}"#);
    let (took, status) = timed_post(&emu);
    assert_eq!(status, 200);
    assert!(took < Duration::from_millis(400), "{took:?}");
}

#[test]
fn bad_latency_settings_are_refused() {
    let emu = Emulator::start(&["--latency-ms", "7"]);
    for (body, needle) in [
        (r#"{"latency_ms": -1}"#, "'latency_ms'"),
        (r#"{"latency_ms": "5"}"#, "'latency_ms'"),
        (r#"{"latency_ms": 600001}"#, "'latency_ms'"),
        (r#"{"latency_ms": 1.5}"#, "'latency_ms'"),
        (r#"{}"#, "'latency_ms'"),
        (r#"{"latency_ms": 5, "latency": 5}"#, "'latency'"),
        (r#"[5]"#, "object"),
    ] {
        let message = put_latency(&emu, body).expect_error(400, "InvalidRequest");
        assert!(message.contains(needle), "{body}: {message}");
    }
    put_latency(&emu, "{nope").expect_error(400, "InvalidJson");
    let r = emu.request("POST", "/_emulator/latency", &[], br#"{"latency_ms": 1}"#);
    r.expect_error(405, "MethodNotAllowed");
    assert_eq!(r.header("allow"), Some("GET, PUT"));
    let r = emu.request("GET", "/_emulator/latency", &[], b"");
    assert_eq!(r.json(), json!({"latency_ms": 7}), "unchanged");
}

#[test]
fn a_rules_latency_adds_to_the_global_one_and_to_its_delay() {
    let emu = Emulator::start(&["--latency-ms", "200"]);
    emu.add_fault(json!({"status": 503, "latency_ms": 300, "delay_ms": 100}));
    let listed = emu.request("GET", "/_emulator/faults", &[], b"").json();
    assert_eq!(listed[0]["latency_ms"], 300);
    let (took, status) = timed_post(&emu);
    assert_eq!(status, 503);
    assert!(took >= Duration::from_millis(600), "{took:?}");
    // A rule with only a latency processes the request normally.
    emu.add_fault(json!({"latency_ms": 300}));
    let (took, status) = timed_post(&emu);
    assert_eq!(status, 200);
    assert!(took >= Duration::from_millis(500), "{took:?}");
    assert_eq!(emu.events().len(), 1);
    assert_eq!(emu.stats()["faults_applied"], 2);
}

#[test]
fn bad_rule_latencies_are_refused() {
    let emu = Emulator::start(&[]);
    for bad in [
        json!({"latency_ms": -1}),
        json!({"latency_ms": "50"}),
        json!({"status": 503, "latency_ms": 600_001}),
    ] {
        let r = emu.request("POST", "/_emulator/faults", &[], bad.to_string().as_bytes());
        let message = r.expect_error(400, "InvalidRequest");
        assert!(message.contains("'latency_ms'"), "{bad}: {message}");
    }
}
