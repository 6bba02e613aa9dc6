//! Refused-connection windows (`POST /_emulator/outage`): real ECONNREFUSED,
//! open connections dropped (or kept), and the same port back afterwards.

mod common;

use common::*;
use serde_json::json;
use std::io::ErrorKind;
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// Asks for a window; returns the answer once the emulator has closed the
/// asking connection, which it does only after the listener is closed.
fn start_outage(emu: &Emulator, body: serde_json::Value) -> Resp {
    let mut c = emu.connect();
    let r = c.request(
        "POST",
        "/_emulator/outage",
        &[],
        body.to_string().as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("connection"), Some("close"));
    assert_eq!(c.read_to_close().expect("end of file"), b"");
    r
}

fn assert_refused(addr: &str) {
    match TcpStream::connect(addr) {
        Err(e) => assert_eq!(e.kind(), ErrorKind::ConnectionRefused, "{e}"),
        Ok(_) => panic!("{addr} accepted a connection during the window"),
    }
}

/// Connects again and again until the emulator listens; returns when it did.
fn wait_listening(addr: &str) -> Instant {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        match TcpStream::connect(addr) {
            Ok(_) => return Instant::now(),
            Err(e) => assert_eq!(e.kind(), ErrorKind::ConnectionRefused, "{e}"),
        }
        assert!(Instant::now() < deadline, "{addr} never listened again");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn connections_are_refused_then_the_same_port_comes_back() {
    let emu = Emulator::start(&[]);
    let mut pooled = emu.connect();
    send_event(&mut pooled);
    assert_eq!(pooled.read_response().unwrap().status, 200);
    let t0 = Instant::now();
    let r = start_outage(&emu, json!({"refuse_ms": 800}));
    assert_eq!(
        r.json(),
        json!({"refuse_ms": 800, "drop_connections": true})
    );
    assert_refused(&emu.addr);
    // The pooled connection was closed by the emulator: end of file.
    assert_eq!(
        pooled.read_to_close().expect("end of file, not an error"),
        b""
    );
    let back = wait_listening(&emu.addr);
    assert!(back - t0 >= Duration::from_millis(800), "{:?}", back - t0);
    assert_eq!(emu.post("custom", &custom_event()).status, 200);
    assert_eq!(emu.events().len(), 2, "events survive the window");
}

#[test]
fn kept_connections_are_served_during_the_window() {
    let emu = Emulator::start(&[]);
    let mut kept = emu.connect();
    send_event(&mut kept);
    assert_eq!(kept.read_response().unwrap().status, 200);
    let r = start_outage(&emu, json!({"refuse_ms": 1000, "drop_connections": false}));
    assert_eq!(r.json()["drop_connections"], false);
    assert_refused(&emu.addr);
    send_event(&mut kept);
    assert_eq!(kept.read_response().unwrap().status, 200);
    // Control requests work on it too, and a second window is refused.
    let again = json!({"refuse_ms": 10}).to_string();
    let r = kept.request("POST", "/_emulator/outage", &[], again.as_bytes());
    r.expect_error(409, "OutageInProgress");
    let r = kept.request("GET", "/_emulator/stats", &[], b"");
    assert_eq!(r.json()["accepted"], 2);
    wait_listening(&emu.addr);
    assert_eq!(emu.post("custom", &custom_event()).status, 200);
}

#[test]
fn windows_in_a_row_each_bind_the_port_again() {
    let emu = Emulator::start(&[]);
    for round in 0..4 {
        // Connections closed by the emulator leave TIME_WAIT behind on its port.
        let mut pooled: Vec<Client> = (0..3).map(|_| emu.connect()).collect();
        for c in &mut pooled {
            send_event(c);
            assert_eq!(c.read_response().unwrap().status, 200);
        }
        start_outage(&emu, json!({"refuse_ms": 150}));
        assert_refused(&emu.addr);
        wait_listening(&emu.addr);
        assert_eq!(
            emu.post("custom", &custom_event()).status,
            200,
            "round {round}"
        );
    }
    assert_eq!(emu.events().len(), 4 * 4);
}

#[test]
fn bad_window_requests_are_refused_and_change_nothing() {
    let emu = Emulator::start(&[]);
    for (body, needle) in [
        (r#"{"refuse_ms": 0}"#, "'refuse_ms'"),
        (r#"{"refuse_ms": "100"}"#, "'refuse_ms'"),
        (r#"{"refuse_ms": 600001}"#, "'refuse_ms'"),
        (r#"{}"#, "'refuse_ms'"),
        (
            r#"{"refuse_ms": 10, "drop_connections": "yes"}"#,
            "'drop_connections'",
        ),
        (r#"{"refuse_ms": 10, "drop": true}"#, "'drop'"),
        (r#"10"#, "object"),
    ] {
        let r = emu.request("POST", "/_emulator/outage", &[], body.as_bytes());
        let message = r.expect_error(400, "InvalidRequest");
        assert!(message.contains(needle), "{body}: {message}");
    }
    emu.request("POST", "/_emulator/outage", &[], b"{nope")
        .expect_error(400, "InvalidJson");
    let r = emu.request("GET", "/_emulator/outage", &[], b"");
    r.expect_error(405, "MethodNotAllowed");
    assert_eq!(r.header("allow"), Some("POST"));
    assert_eq!(emu.post("custom", &custom_event()).status, 200);
}

#[test]
fn a_signal_during_the_window_stops_the_emulator() {
    let mut emu = Emulator::start(&[]);
    start_outage(&emu, json!({"refuse_ms": 60_000}));
    signal(emu.pid(), libc::SIGTERM);
    let status = emu.wait_exit(Duration::from_secs(5));
    assert_eq!(status.and_then(|s| s.code()), Some(0), "{status:?}");
}
