//! Hostile and broken input: oversized bodies and heads, bad framing, deep
//! nesting, random bytes, slow clients, and shutdown by signal.

mod common;

use common::*;
use std::time::Duration;

const CUSTOM: &str = "/rest/ua/v15/analytics/custom";

fn still_healthy(emu: &Emulator) {
    let r = emu.request("GET", "/rest/ua/v15/analytics/monitoring/health", &[], b"");
    assert_eq!(r.status, 200);
}

#[test]
fn oversized_body_is_refused_without_reading_it() {
    let emu = Emulator::start(&["--max-body", "1000"]);
    let mut c = emu.connect();
    // Declares 50 MB but sends a few bytes: the answer must come anyway.
    let head = format!(
        "POST {CUSTOM} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n\
         Authorization: Bearer {TOKEN}\r\nContent-Length: 50000000\r\n\r\n{{\"a\":"
    );
    c.send_raw(head.as_bytes()).unwrap();
    let r = c.read_response().expect("413 before the body is sent");
    r.expect_error(413, "PayloadTooLarge");
    assert_eq!(r.header("connection"), Some("close"));
    // Chunked bodies are counted as they arrive.
    let mut c = emu.connect();
    let chunk = "x".repeat(800);
    let req = format!(
        "POST {CUSTOM} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\n\r\n320\r\n{chunk}\r\n320\r\n{chunk}\r\n0\r\n\r\n"
    );
    c.send_raw(req.as_bytes()).unwrap();
    c.read_response()
        .unwrap()
        .expect_error(413, "PayloadTooLarge");
    still_healthy(&emu);
}

#[test]
fn oversized_or_numerous_headers_get_431() {
    let emu = Emulator::start(&[]);
    let mut c = emu.connect();
    let big = "a".repeat(20_000);
    c.send_raw(format!("GET {CUSTOM} HTTP/1.1\r\nX-Big: {big}\r\n\r\n").as_bytes())
        .unwrap();
    c.read_response()
        .unwrap()
        .expect_error(431, "RequestHeaderFieldsTooLarge");
    let mut c = emu.connect();
    let many: String = (0..100).map(|i| format!("X-H{i}: v\r\n")).collect();
    c.send_raw(format!("GET {CUSTOM} HTTP/1.1\r\n{many}\r\n").as_bytes())
        .unwrap();
    c.read_response()
        .unwrap()
        .expect_error(431, "RequestHeaderFieldsTooLarge");
    still_healthy(&emu);
}

#[test]
fn malformed_requests_get_400_and_close() {
    let emu = Emulator::start(&[]);
    let cases: [&[u8]; 6] = [
        b"\x00\x01\x02 garbage\r\n\r\n",
        b"GET / HTTP/9.9\r\n\r\n",
        b"POST /rest/ua/v15/analytics/custom HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
        b"POST /rest/ua/v15/analytics/custom HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc",
        b"POST /rest/ua/v15/analytics/custom HTTP/1.1\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"POST /rest/ua/v15/analytics/custom HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ];
    for raw in cases {
        let mut c = emu.connect();
        c.send_raw(raw).unwrap();
        let r = c
            .read_response()
            .unwrap_or_else(|e| panic!("{:?}: {e}", String::from_utf8_lossy(raw)));
        assert_eq!(
            r.status,
            400,
            "{:?}: {}",
            String::from_utf8_lossy(raw),
            r.text()
        );
        assert!(r.json()["type"].is_string());
        assert!(
            c.read_to_close().unwrap().is_empty(),
            "closed after a malformed request"
        );
    }
    let mut c = emu.connect();
    c.send_raw(b"POST /x HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n")
        .unwrap();
    assert_eq!(c.read_response().unwrap().status, 400);
    still_healthy(&emu);
}

#[test]
fn deep_nesting_and_binary_bodies_are_invalid_json() {
    let emu = Emulator::start(&[]);
    let auth = format!("Bearer {TOKEN}");
    let h = [
        ("Content-Type", "application/json"),
        ("Authorization", auth.as_str()),
    ];
    let objects = "{\"a\":".repeat(100_000);
    let arrays = "[".repeat(100_000) + &"]".repeat(100_000);
    let binary: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    for body in [objects.as_bytes(), arrays.as_bytes(), &binary] {
        emu.request("POST", CUSTOM, &h, body)
            .expect_error(400, "InvalidJson");
    }
    emu.request(
        "POST",
        "/rest/ua/v15/analytics/searches",
        &h,
        arrays.as_bytes(),
    )
    .expect_error(400, "InvalidJson");
    emu.request("POST", "/_emulator/faults", &[], arrays.as_bytes())
        .expect_error(400, "InvalidJson");
    still_healthy(&emu);
}

#[test]
fn random_bytes_never_bring_it_down() {
    let emu = Emulator::start(&[]);
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let prefixes: [&[u8]; 4] = [
        b"",
        b"POST /rest/ua/v15/analytics/custom HTTP/1.1\r\n",
        b"GET / HTTP/1.1\r\n",
        b"\r\n",
    ];
    for round in 0..120 {
        let len = (next() % 600) as usize;
        let mut bytes = prefixes[round % prefixes.len()].to_vec();
        bytes.extend((0..len).map(|_| next() as u8));
        if round % 3 == 0 {
            bytes.extend_from_slice(b"\r\n\r\n");
        }
        let mut c = emu.connect();
        let _ = c.send_raw(&bytes);
        // Whatever comes back, it must end: shut our side so the server sees EOF.
        let _ = c.stream.shutdown(std::net::Shutdown::Write);
        let _ = c.read_to_close();
    }
    still_healthy(&emu);
}

#[test]
fn a_slow_client_does_not_block_others() {
    let emu = Emulator::start(&[]);
    let mut slow = emu.connect();
    slow.send_raw(b"POST /rest/ua/v15/analytics/custom HTTP/1.1\r\nHost")
        .unwrap();
    let mut idle = emu.connect();
    idle.send_raw(b"").unwrap();
    for _ in 0..20 {
        assert_eq!(emu.post("custom", &custom_event()).status, 200);
    }
    assert_eq!(emu.events().len(), 20);
}

#[test]
fn a_request_not_finished_in_time_gets_408() {
    let emu = Emulator::start(&[]);
    let mut slow = emu.connect();
    slow.stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    slow.send_raw(b"POST /rest/ua/v15/analytics/custom HTTP/1.1\r\nHost: t\r\n")
        .unwrap();
    let r = slow
        .read_response()
        .expect("an answer once the request deadline passed");
    r.expect_error(408, "RequestTimeout");
}

fn exits_zero_on(sig: libc::c_int) {
    let mut emu = Emulator::start(&[]);
    // An idle keep-alive connection and a stalled request must not hold the exit up.
    let _idle = emu.connect();
    emu.add_fault(serde_json::json!({"action": "stall", "delay_ms": 60000}));
    let mut stalled = emu.connect();
    stalled.send("GET", "/rest/ua/v15/analytics/status", &[], b"");
    signal(emu.pid(), sig);
    let status = emu
        .wait_exit(Duration::from_secs(5))
        .expect("exited within 5 s");
    assert_eq!(status.code(), Some(0), "{status:?}");
}

#[test]
fn sigterm_exits_zero() {
    exits_zero_on(libc::SIGTERM);
}

#[test]
fn sigint_exits_zero() {
    exits_zero_on(libc::SIGINT);
}
