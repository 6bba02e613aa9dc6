//! Retries, timeouts, the deadline and broken connections, against the real
//! emulator's fault injection (and two tiny raw servers).

mod common;

use common::*;
use coveo_ua::{Client, Code, EventKind};
use std::io::Write;
use std::time::{Duration, Instant};

/// A generous bound on how far past its deadline a call may end (scheduling,
/// a slow CI machine); the point is that it does not block for long.
const DEADLINE_SLACK: Duration = Duration::from_secs(3);

#[test]
fn server_errors_are_retried_until_success() {
    let emu = Emulator::start(&[]);
    emu.fault(r#"{"status":503,"count":2}"#);
    let r = emu.client().send(EventKind::Custom, CUSTOM);
    assert_eq!(r.code(), Code::Ok, "{}", r.message());
    assert_eq!(r.attempts(), 3);
    assert_eq!(emu.events().len(), 1);
}

#[test]
fn retries_run_out_with_the_last_code() {
    let emu = Emulator::start(&[]);
    let mut o = emu.options();
    o.set_max_retries(2).unwrap();
    let client = Client::new(&o).unwrap();
    emu.fault(r#"{"status":500,"count":0,"body":"html"}"#);
    let r = client.send(EventKind::Custom, CUSTOM);
    assert_eq!(r.code(), Code::ServerError);
    assert_eq!(r.attempts(), 3);
    assert_eq!(r.http_status(), 500);
    assert_eq!(r.error_type(), None);
    emu.clear_faults();
    emu.fault(
        r#"{"status":429,"count":0,"type":"TooManyRequestsException","message":"slow down"}"#,
    );
    let r = client.send(EventKind::Custom, CUSTOM);
    assert_eq!(r.code(), Code::TooManyRequests);
    assert_eq!(r.attempts(), 3);
    assert_eq!(r.http_status(), 429);
    assert_eq!(r.error_type(), Some("TooManyRequestsException"));
    assert_eq!(r.message(), "slow down");
    emu.clear_faults();
    // Last attempt decides: 503 then 429 then 502.
    emu.fault(r#"[{"status":503},{"status":429},{"status":502,"body":"none"}]"#);
    let r = client.send(EventKind::Custom, CUSTOM);
    assert_eq!(r.code(), Code::ServerError);
    assert_eq!(r.http_status(), 502);
    assert_eq!(r.attempts(), 3);
}

#[test]
fn other_4xx_are_not_retried() {
    let emu = Emulator::start(&[]);
    emu.fault(r#"{"status":400,"type":"InvalidJson","message":"m","count":0}"#);
    let r = emu.client().send(EventKind::Custom, CUSTOM);
    assert_eq!(r.code(), Code::InvalidJson);
    assert_eq!(r.attempts(), 1);
    assert_eq!(emu.stat("requests"), 1);
}

/// A Retry-After that would end past the deadline ends the call at once.
#[test]
fn retry_after_in_seconds_is_honoured() {
    let emu = Emulator::start(&[]);
    let mut o = emu.options();
    o.set_retry_backoff_ms(0, 0).unwrap();
    o.set_deadline_ms(3000).unwrap();
    let client = Client::new(&o).unwrap();
    // Ignored, the backoff (0 ms) would retry at once and succeed.
    emu.fault(r#"{"status":429,"retry_after":"30"}"#);
    let started = Instant::now();
    let r = client.send(EventKind::Custom, CUSTOM);
    assert_eq!(r.code(), Code::TooManyRequests, "{}", r.message());
    assert_eq!(r.attempts(), 1);
    assert!(started.elapsed() < Duration::from_secs(3) + DEADLINE_SLACK);
    // A short one is waited for, then the retry succeeds.
    emu.fault(r#"{"status":503,"retry_after":"1"}"#);
    let r = client.send(EventKind::Custom, CUSTOM);
    assert_eq!(r.code(), Code::Ok, "{}", r.message());
    assert_eq!(r.attempts(), 2);
}

#[test]
fn retry_after_as_a_date_is_honoured() {
    let emu = Emulator::start(&[]);
    let mut o = emu.options();
    o.set_retry_backoff_ms(0, 0).unwrap();
    o.set_deadline_ms(3000).unwrap();
    let client = Client::new(&o).unwrap();
    let later = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(60));
    emu.fault(&format!(r#"{{"status":503,"retry_after":"{later}"}}"#));
    let r = client.send(EventKind::Custom, CUSTOM);
    assert_eq!(r.code(), Code::ServerError, "{}", r.message());
    assert_eq!(r.attempts(), 1);
    // A date in the past means "now".
    let past = httpdate::fmt_http_date(std::time::SystemTime::now() - Duration::from_secs(60));
    emu.fault(&format!(r#"{{"status":429,"retry_after":"{past}"}}"#));
    let r = client.send(EventKind::Custom, CUSTOM);
    assert_eq!(r.code(), Code::Ok, "{}", r.message());
    assert_eq!(r.attempts(), 2);
}

#[test]
fn garbage_retry_after_is_ignored() {
    let emu = Emulator::start(&[]);
    let mut o = emu.options();
    o.set_retry_backoff_ms(0, 0).unwrap();
    o.set_deadline_ms(3000).unwrap();
    let client = Client::new(&o).unwrap();
    for junk in ["soon", "-5", "1.5e9x", "Tue, 99 Foo"] {
        emu.fault(&format!(r#"{{"status":429,"retry_after":"{junk}"}}"#));
        let r = client.send(EventKind::Custom, CUSTOM);
        assert_eq!(r.code(), Code::Ok, "{junk}: {}", r.message());
        assert_eq!(r.attempts(), 2, "{junk}");
    }
    // Retry-After on a 500 is not taken: the backoff (0 ms) is.
    emu.fault(r#"{"status":500,"retry_after":"60"}"#);
    let r = client.send(EventKind::Custom, CUSTOM);
    assert_eq!(r.code(), Code::Ok, "{}", r.message());
    assert_eq!(r.attempts(), 2);
}

#[test]
fn connection_refused_is_retried_then_reported() {
    let port = dead_port();
    let mut o = coveo_ua::Options::new();
    o.set_token(KEY).unwrap();
    o.set_endpoint(Some(&format!("http://127.0.0.1:{port}/rest/ua")))
        .unwrap();
    o.set_max_retries(2).unwrap();
    o.set_retry_backoff_ms(1, 5).unwrap();
    let r = Client::new(&o).unwrap().send(EventKind::Custom, CUSTOM);
    assert_eq!(r.code(), Code::ConnectionFailed, "{}", r.message());
    assert_eq!(r.attempts(), 3);
    assert_eq!(r.http_status(), 0);
    assert_eq!(r.error_type(), None);
    assert!(
        r.message().to_lowercase().contains("refused"),
        "{}",
        r.message()
    );
    assert!(!r.message().contains(KEY));
}

#[test]
fn broken_connections_are_connection_failures() {
    let emu = Emulator::start(&[]);
    let mut o = emu.options();
    o.set_max_retries(0).unwrap();
    let once = Client::new(&o).unwrap();
    let retrying = emu.client();
    for action in ["close", "reset", "garbage", "truncate", "record_then_close"] {
        emu.fault(&format!(r#"{{"action":"{action}"}}"#));
        let r = once.send(EventKind::Custom, CUSTOM);
        assert_eq!(
            r.code(),
            Code::ConnectionFailed,
            "{action}: {}",
            r.message()
        );
        assert_eq!(r.attempts(), 1, "{action}");
        assert_eq!(r.http_status(), 0, "{action}");
        emu.fault(&format!(r#"{{"action":"{action}"}}"#));
        let r = retrying.send(EventKind::Custom, CUSTOM);
        assert_eq!(r.code(), Code::Ok, "{action} then success: {}", r.message());
        assert_eq!(r.attempts(), 2, "{action}");
    }
}

#[test]
fn a_stalled_server_times_out_within_the_deadline() {
    let emu = Emulator::start(&[]);
    let mut o = emu.options();
    o.set_timeout_ms(300).unwrap();
    o.set_deadline_ms(1000).unwrap();
    o.set_max_retries(10).unwrap();
    emu.fault(r#"{"action":"stall","count":0,"delay_ms":20000}"#);
    let started = Instant::now();
    let r = Client::new(&o).unwrap().send(EventKind::Custom, CUSTOM);
    let took = started.elapsed();
    assert_eq!(r.code(), Code::Timeout, "{}", r.message());
    assert!(r.attempts() >= 2, "attempts {}", r.attempts());
    assert_eq!(r.http_status(), 0);
    assert!(
        took < Duration::from_millis(1000) + DEADLINE_SLACK,
        "took {took:?}"
    );
}

#[test]
fn a_timed_out_attempt_is_retried() {
    let emu = Emulator::start(&[]);
    let mut o = emu.options();
    o.set_timeout_ms(300).unwrap();
    emu.fault(r#"{"action":"stall","delay_ms":20000}"#);
    let r = Client::new(&o).unwrap().send(EventKind::Custom, CUSTOM);
    assert_eq!(r.code(), Code::Ok, "{}", r.message());
    assert_eq!(r.attempts(), 2);
}

#[test]
fn the_deadline_cuts_an_attempt_in_flight() {
    let emu = Emulator::start(&[]);
    let mut o = emu.options();
    o.set_timeout_ms(10_000).unwrap();
    o.set_deadline_ms(500).unwrap();
    emu.fault(r#"{"action":"stall","delay_ms":20000}"#);
    let started = Instant::now();
    let r = Client::new(&o).unwrap().send(EventKind::Custom, CUSTOM);
    assert_eq!(r.code(), Code::Timeout, "{}", r.message());
    assert_eq!(r.attempts(), 1);
    assert!(r.message().contains("deadline"), "{}", r.message());
    assert!(started.elapsed() < Duration::from_millis(500) + DEADLINE_SLACK);
}

#[test]
fn a_trickling_answer_times_out() {
    let emu = Emulator::start(&[]);
    let mut o = emu.options();
    o.set_timeout_ms(300).unwrap();
    o.set_deadline_ms(700).unwrap();
    emu.fault(r#"{"action":"trickle","delay_ms":100,"count":0}"#);
    let r = Client::new(&o).unwrap().send(EventKind::Custom, CUSTOM);
    assert_eq!(r.code(), Code::Timeout, "{}", r.message());
}

#[test]
fn redirects_are_not_followed() {
    let emu = Emulator::start(&[]);
    let target = format!("{}/v15/analytics/custom", emu.url);
    let answer = format!(
        "HTTP/1.1 307 Temporary Redirect\r\nLocation: {target}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    let server = RawServer::start(move |_request, stream| {
        let _ = stream.write_all(answer.as_bytes());
    });
    let mut o = emu.options();
    o.set_endpoint(Some(&format!("http://127.0.0.1:{}/rest/ua", server.port)))
        .unwrap();
    let r = Client::new(&o).unwrap().send(EventKind::Custom, CUSTOM);
    assert_eq!(server.request_count(), 1);
    assert_eq!(r.code(), Code::UnexpectedResponse, "{}", r.message());
    assert_eq!(r.http_status(), 307);
    assert_eq!(r.attempts(), 1);
    assert!(r.message().contains("redirect"), "{}", r.message());
    assert_eq!(emu.stat("requests"), 0, "the redirect must not be followed");
}

#[test]
fn tls_to_a_plain_http_server_fails_as_a_connection_failure() {
    let emu = Emulator::start(&[]);
    let mut o = emu.options();
    o.set_endpoint(Some(&emu.url.replace("http://", "https://")))
        .unwrap();
    o.set_max_retries(0).unwrap();
    let r = Client::new(&o).unwrap().send(EventKind::Custom, CUSTOM);
    assert_eq!(r.code(), Code::ConnectionFailed, "{}", r.message());
}

#[test]
fn the_proxy_option_is_used() {
    let emu = Emulator::start(&[]);
    let mut o = emu.options();
    o.set_proxy(Some(&format!("http://127.0.0.1:{}", dead_port())))
        .unwrap();
    o.set_max_retries(0).unwrap();
    let r = Client::new(&o).unwrap().send(EventKind::Custom, CUSTOM);
    assert_eq!(r.code(), Code::ConnectionFailed, "{}", r.message());
    assert_eq!(emu.stat("requests"), 0);
    o.set_proxy(None).unwrap();
    assert_eq!(
        Client::new(&o)
            .unwrap()
            .send(EventKind::Custom, CUSTOM)
            .code(),
        Code::Ok
    );
}

#[test]
fn a_slow_but_timely_answer_is_fine_and_a_late_one_times_out() {
    let emu = Emulator::start(&[]);
    let mut o = emu.options();
    o.set_timeout_ms(2000).unwrap();
    emu.fault(r#"{"delay_ms":100}"#);
    let r = Client::new(&o).unwrap().send(EventKind::Custom, CUSTOM);
    assert_eq!(r.code(), Code::Ok, "{}", r.message());
    assert_eq!(r.attempts(), 1);
    o.set_timeout_ms(200).unwrap();
    o.set_max_retries(0).unwrap();
    emu.fault(r#"{"delay_ms":3000}"#);
    let r = Client::new(&o).unwrap().send(EventKind::Custom, CUSTOM);
    assert_eq!(r.code(), Code::Timeout, "{}", r.message());
    assert!(r.message().contains("attempt timeout"), "{}", r.message());
}

#[test]
fn a_success_with_an_unreadable_body_is_still_a_success() {
    let emu = Emulator::start(&[]);
    emu.fault(r#"{"status":200,"body":"garbage"}"#);
    let r = emu.client().send(EventKind::Custom, CUSTOM);
    assert_eq!(r.code(), Code::Ok, "{}", r.message());
    assert_eq!(r.visitor_id(), None);
    assert_eq!(r.error_type(), None);
    assert_eq!(emu.events().len(), 1);
}

#[test]
fn a_per_call_deadline_shortens_the_client_deadline() {
    let emu = Emulator::start(&[]);
    let mut o = emu.options();
    o.set_timeout_ms(20_000).unwrap();
    o.set_deadline_ms(30_000).unwrap();
    let client = Client::new(&o).unwrap();
    emu.fault(r#"{"action":"stall","delay_ms":20000}"#);
    let started = Instant::now();
    let r = client.send_with_deadline(EventKind::Custom, CUSTOM, Duration::from_millis(300));
    assert_eq!(r.code(), Code::Timeout, "{}", r.message());
    assert!(
        r.message().contains("deadline of 300 ms"),
        "{}",
        r.message()
    );
    assert!(started.elapsed() < Duration::from_millis(300) + DEADLINE_SLACK);
    // Zero: the client's deadline alone.
    let r = client.send_with_deadline(EventKind::Custom, CUSTOM, Duration::ZERO);
    assert_eq!(r.code(), Code::Ok, "{}", r.message());
}
