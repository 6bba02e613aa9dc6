//! The token never leaks and hostile answers stay harmless.
//!
//! - Every failure path (each fault, each check before sending, a service that
//!   echoes the token) gives messages, bodies and `Debug` output without the token.
//! - CR, LF and other control characters in the token, organization or user
//!   agent are refused with `UA_INVALID_ARGUMENT` (no header injection), through
//!   the Rust API and the C entry points.
//! - The answer body read is capped (64 KiB): a 10 MB or endless answer neither
//!   makes the client allocate it nor holds the call.
//! - Redirects are reported as `UA_UNEXPECTED_RESPONSE` and never followed.

mod common;

use common::*;
use coveo_ua::{ffi, Client, Code, EventKind, Options, SendResult};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::ffi::CString;
use std::io::Write;
use std::time::{Duration, Instant};

/// A token nobody could mistake for anything else.
const TOKEN: &str = "xx-CANARY-tok3n-5e1f0d2b9a";
/// The part of [`TOKEN`] searched for: even a partly quoted token must not show.
const NEEDLE: &str = "CANARY-tok3n";

/// Counts, per thread, the bytes currently allocated and their peak, so a test
/// can measure what one call on its own thread allocated (other tests of this
/// binary run on other threads and do not disturb it).
struct CountingAlloc;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn track(delta: isize) {
    let _ = LIVE.try_with(|live| {
        let now = live.get() + delta;
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

// SAFETY: forwards to the system allocator; the bookkeeping allocates nothing.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        track(layout.size() as isize);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        track(-(layout.size() as isize));
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        track(new_size as isize - layout.size() as isize);
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static ALLOCATOR: CountingAlloc = CountingAlloc;

/// The most this thread had allocated at once while running `f`, above what it
/// held when `f` started.
fn peak_allocation_of<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(base));
    let out = f();
    let peak = PEAK.with(Cell::get);
    (out, (peak - base).max(0) as usize)
}

/// Panics (naming `context`) if the token shows anywhere in `result`.
fn assert_no_token(context: &str, r: &SendResult) {
    let shown = [
        ("message", r.message().to_string()),
        (
            "body",
            String::from_utf8_lossy(r.body().unwrap_or_default()).into_owned(),
        ),
        ("error_type", r.error_type().unwrap_or_default().to_string()),
        ("visitor_id", r.visitor_id().unwrap_or_default().to_string()),
        ("Debug", format!("{r:?}")),
    ];
    for (what, text) in shown {
        assert!(
            !text.contains(NEEDLE),
            "{context}: the token shows in the result's {what}: {text}"
        );
    }
}

fn options_for(url: &str) -> Options {
    let mut o = Options::new();
    o.set_token(TOKEN).unwrap();
    o.set_endpoint(Some(url)).unwrap();
    o.set_timeout_ms(300).unwrap();
    o.set_deadline_ms(1500).unwrap();
    o.set_max_retries(1).unwrap();
    o.set_retry_backoff_ms(1, 5).unwrap();
    o
}

/// Faults whose answers echo the token in the places a service could put it.
#[test]
fn service_echoes_of_the_token_are_redacted() {
    let emu = Emulator::start_with_key(TOKEN, &[]);
    let client = Client::new(&options_for(&emu.url)).unwrap();
    let echo = format!("the token {TOKEN} is not welcome");
    let rules = [
        format!(r#"{{"status":400,"type":"InvalidToken","message":"{echo}"}}"#),
        format!(r#"{{"status":401,"type":"Unknown","message":"{echo}"}}"#),
        format!(r#"{{"status":503,"message":"{echo}","count":2}}"#),
        format!(r#"{{"status":429,"message":"{echo}","count":2,"retry_after":"0"}}"#),
        format!(r#"{{"status":404,"body":"text","message":"{echo}"}}"#),
        format!(r#"{{"status":500,"body":"text","message":"{echo}","count":2}}"#),
        format!(r#"{{"status":302,"body":"text","message":"{echo}"}}"#),
    ];
    for rule in &rules {
        emu.fault(rule);
        let r = client.send(EventKind::Custom, &marked_event("echo"));
        assert!(!r.is_ok(), "{rule}: the fault did not apply: {r:?}");
        let body = String::from_utf8_lossy(r.body().unwrap_or_default()).into_owned();
        assert!(
            body.contains("<redacted>"),
            "{rule}: the echo did not arrive: {r:?}"
        );
        assert_no_token(rule, &r);
    }
    emu.clear_faults();
    // The same echo read through the C accessors.
    emu.fault(&rules[0]);
    // SAFETY: live objects from the library, NUL-terminated strings, each freed once.
    unsafe {
        let opts = ffi::ua_options_new();
        assert_eq!(ffi::ua_options_set_token(opts, c(TOKEN).as_ptr()), 0);
        assert_eq!(ffi::ua_options_set_endpoint(opts, c(&emu.url).as_ptr()), 0);
        let mut client = std::ptr::null_mut();
        assert_eq!(ffi::ua_client_new(opts, &mut client), 0);
        ffi::ua_options_free(opts);
        let event = c(&marked_event("c-echo"));
        let mut result = std::ptr::null_mut();
        let code = ffi::ua_send_event(client, 3, event.as_ptr(), &mut result);
        assert_eq!(code, Code::InvalidToken.raw());
        for (what, text) in [
            ("message", ffi::ua_result_message(result)),
            ("body", ffi::ua_result_body(result)),
        ] {
            assert!(!text.is_null(), "C {what} is NULL");
            let text = std::ffi::CStr::from_ptr(text).to_string_lossy();
            assert!(text.contains("<redacted>"), "C {what}: {text}");
            assert!(!text.contains(NEEDLE), "C {what} shows the token: {text}");
        }
        ffi::ua_result_free(result);
        ffi::ua_client_free(client);
    }
}

/// A service that sends the token back as the error `type` or the `visitorId`:
/// those fields are redacted like the message (they once were handed over
/// verbatim; this test found it).
#[test]
fn token_echoed_in_type_or_visitor_id_is_redacted() {
    let server = RawServer::start(|request, stream| {
        let text = String::from_utf8_lossy(request);
        let body = if text.contains("/analytics/click") {
            format!(r#"{{"visitId":"v","visitorId":"{TOKEN}"}}"#)
        } else {
            format!(r#"{{"type":"{TOKEN}","message":"m"}}"#)
        };
        let status = if text.contains("/analytics/click") {
            "200 OK"
        } else {
            "400 Bad Request"
        };
        let _ = write!(
            stream,
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
    });
    let client = Client::new(&options_for(&format!(
        "http://127.0.0.1:{}/rest/ua",
        server.port
    )))
    .unwrap();
    let r = client.send(EventKind::Custom, &marked_event("type-echo"));
    assert_eq!(r.code(), Code::UnexpectedResponse, "{r:?}");
    assert_no_token("type echo", &r);
    assert_eq!(r.error_type(), Some("<redacted>"), "{r:?}");
    let click = r#"{"actionCause":"documentOpen","documentPosition":1,"language":"en","searchQueryUid":"7f8a2c1e-0000-4000-8000-000000000001","sourceName":"web"}"#;
    let r = client.send(EventKind::Click, click);
    assert_eq!(r.code(), Code::Ok, "{r:?}");
    assert_no_token("visitorId echo", &r);
    assert_eq!(r.visitor_id(), Some("<redacted>"), "{r:?}");
}

/// Failures where the library speaks for itself: checks before sending (with
/// the token inside the event), connection failures, timeouts.
#[test]
fn library_messages_never_show_the_token() {
    let dead = format!("http://127.0.0.1:{}/rest/ua", dead_port());
    let client = Client::new(&options_for(&dead)).unwrap();
    let events = [
        format!(r#"{{"eventType":"{TOKEN}","eventValue":"v","language":"en""#),
        format!(r#"{{"eventType":"{TOKEN}","eventValue":"v"}}"#),
        format!(r#"{{"eventType":"t","eventValue":"v","language":"en","customData":"{TOKEN}"}}"#),
        format!(r#"["{TOKEN}"]"#),
        format!(r#"{{"{TOKEN}":1,"#),
        TOKEN.to_string(),
    ];
    for e in &events {
        let r = client.send(EventKind::Custom, e);
        assert_eq!(
            r.attempts(),
            0,
            "{e}: expected a refusal before sending: {r:?}"
        );
        assert_no_token(e, &r);
    }
    // Connection refused, after the retries.
    let r = client.send(EventKind::Custom, &marked_event(TOKEN));
    assert_eq!(r.code(), Code::ConnectionFailed, "{r:?}");
    assert_no_token("refused", &r);
    // A stall past the attempt timeout and one cut by the deadline.
    let emu = Emulator::start_with_key(TOKEN, &[]);
    let client = Client::new(&options_for(&emu.url)).unwrap();
    emu.fault(r#"{"action":"stall","delay_ms":3000,"count":0}"#);
    let r = client.send(EventKind::Custom, &marked_event("stall"));
    assert_eq!(r.code(), Code::Timeout, "{r:?}");
    assert_no_token("stall", &r);
    emu.clear_faults();
    for action in ["reset", "garbage", "truncate", "record_then_close"] {
        emu.fault(&format!(r#"{{"action":"{action}","count":2}}"#));
        let r = client.send(EventKind::Custom, &marked_event(action));
        assert_eq!(r.code(), Code::ConnectionFailed, "{action}: {r:?}");
        assert_no_token(action, &r);
    }
    emu.clear_faults();
}

#[test]
fn debug_output_never_shows_the_token() {
    let mut o = Options::new();
    o.set_token(TOKEN).unwrap();
    o.set_endpoint(Some("http://127.0.0.1:9/rest/ua")).unwrap();
    assert!(!format!("{o:?}").contains(NEEDLE), "{o:?}");
    let c = Client::new(&o).unwrap();
    assert!(!format!("{c:?}").contains(NEEDLE), "{c:?}");
    let mut with_bad_ca = o.clone();
    with_bad_ca
        .set_ca_file(Some("/nonexistent/coveo-ua/ca.pem"))
        .unwrap();
    let e = Client::new(&with_bad_ca).unwrap_err();
    for shown in [format!("{e:?}"), e.to_string(), e.message().to_string()] {
        assert!(!shown.contains(NEEDLE), "{shown}");
    }
    // Refusing a bad token must not quote it back either.
    let bad = format!("{TOKEN}\r\nX-Evil: 1");
    let e = Options::new().set_token(&bad).unwrap_err();
    assert!(!format!("{e:?} {e}").contains(NEEDLE), "{e:?}");
}

fn c(s: &str) -> CString {
    CString::new(s).unwrap()
}

/// Control characters (and CR/LF above all) can never reach a header.
#[test]
fn control_characters_are_refused_everywhere() {
    let bad_tokens = [
        format!("{TOKEN}\r\nX-Evil: 1"),
        format!("{TOKEN}\n"),
        format!("{TOKEN}\r"),
        format!("{TOKEN}\t"),
        format!("{TOKEN}\u{7f}"),
        format!("{TOKEN}\u{1b}[0m"),
        format!("{TOKEN} x"),
        format!("{TOKEN}\u{e9}"),
    ];
    let bad_orgs = [
        "org\r\nX-Evil: 1",
        "org\n",
        "org\t",
        "org\u{7f}",
        "or g",
        "org\u{85}",
    ];
    let bad_agents = [
        "app\r\nX-Evil: 1",
        "app\n",
        "app\u{7f}",
        "app\u{1}",
        "app\u{e9}",
    ];
    let bad_endpoints = [
        "http://127.0.0.1:1/rest/ua\r\nX: 1",
        "http://127.0.0.1:1/rest/ua\n",
    ];
    let bad_proxies = ["http://127.0.0.1:1\r\nX: 1", "http://127.0.0.1:1\n"];
    let mut o = Options::new();
    for t in &bad_tokens {
        let e = o.set_token(t).unwrap_err();
        assert_eq!(e.code(), Code::InvalidArgument, "{t:?}");
    }
    assert!(!o.has_token(), "a refused token was kept");
    for org in bad_orgs {
        assert_eq!(
            o.set_org(Some(org)).unwrap_err().code(),
            Code::InvalidArgument,
            "{org:?}"
        );
    }
    for a in bad_agents {
        assert_eq!(
            o.set_user_agent(Some(a)).unwrap_err().code(),
            Code::InvalidArgument,
            "{a:?}"
        );
    }
    for url in bad_endpoints {
        assert_eq!(
            o.set_endpoint(Some(url)).unwrap_err().code(),
            Code::InvalidArgument,
            "{url:?}"
        );
    }
    for p in bad_proxies {
        assert_eq!(
            o.set_proxy(Some(p)).unwrap_err().code(),
            Code::InvalidArgument,
            "{p:?}"
        );
    }
    // The same through the C entry points.
    // SAFETY: live options from ua_options_new, NUL-terminated strings, freed once.
    unsafe {
        let opts = ffi::ua_options_new();
        assert!(!opts.is_null());
        let invalid = Code::InvalidArgument.raw();
        for t in &bad_tokens {
            assert_eq!(
                ffi::ua_options_set_token(opts, c(t).as_ptr()),
                invalid,
                "{t:?}"
            );
        }
        for org in bad_orgs {
            assert_eq!(
                ffi::ua_options_set_org(opts, c(org).as_ptr()),
                invalid,
                "{org:?}"
            );
        }
        for a in bad_agents {
            assert_eq!(
                ffi::ua_options_set_user_agent(opts, c(a).as_ptr()),
                invalid,
                "{a:?}"
            );
        }
        for url in bad_endpoints {
            assert_eq!(
                ffi::ua_options_set_endpoint(opts, c(url).as_ptr()),
                invalid,
                "{url:?}"
            );
        }
        // Invalid UTF-8 is refused, not cut or replaced.
        let latin1 = CString::new(b"tok\xe9n".to_vec()).unwrap();
        assert_eq!(ffi::ua_options_set_token(opts, latin1.as_ptr()), invalid);
        // No token was kept: a client cannot be built.
        let mut client = std::ptr::null_mut();
        assert_eq!(ffi::ua_client_new(opts, &mut client), invalid);
        assert!(client.is_null());
        ffi::ua_options_free(opts);
    }
}

/// A redirect is reported, not followed: the token never travels to the
/// Location's host (a second listener that must see no request).
#[test]
fn redirects_are_reported_and_never_followed() {
    let elsewhere = RawServer::start(|_, stream| {
        let _ = stream
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}");
    });
    let target = format!(
        "http://127.0.0.1:{}/rest/ua/v15/analytics/custom?leak={TOKEN}",
        elsewhere.port
    );
    for status in [
        "301 Moved Permanently",
        "302 Found",
        "307 Temporary Redirect",
        "308 Permanent Redirect",
    ] {
        let location = target.clone();
        let redirecting = RawServer::start(move |_, stream| {
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
        });
        let client = Client::new(&options_for(&format!(
            "http://127.0.0.1:{}/rest/ua",
            redirecting.port
        )))
        .unwrap();
        let r = client.send(EventKind::Custom, &marked_event("redirect"));
        assert_eq!(r.code(), Code::UnexpectedResponse, "{status}: {r:?}");
        assert_eq!(r.http_status().to_string(), status[..3], "{r:?}");
        assert_eq!(r.attempts(), 1, "{r:?}");
        assert_eq!(redirecting.request_count(), 1);
        assert_no_token(status, &r);
    }
    // Give a (wrongly) followed request time to arrive before looking.
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(
        elsewhere.request_count(),
        0,
        "a redirect was followed to the Location's host"
    );
}

/// Writes a status line and headers, then `total` bytes of filler (or without
/// end when `total` is None), in 64 KiB chunks, until the client leaves.
fn huge_answer(stream: &mut std::net::TcpStream, status: &str, total: Option<usize>) {
    let head = match total {
        Some(n) => {
            format!("HTTP/1.1 {status}\r\nContent-Type: text/html\r\nContent-Length: {n}\r\n\r\n")
        }
        None => {
            format!("HTTP/1.1 {status}\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n")
        }
    };
    if stream.write_all(head.as_bytes()).is_err() {
        return;
    }
    let chunk = vec![b'x'; 64 * 1024];
    let mut sent = 0;
    let give_up = Instant::now() + Duration::from_secs(20);
    while total.is_none_or(|n| sent < n) && Instant::now() < give_up {
        let n = total.map_or(chunk.len(), |t| (t - sent).min(chunk.len()));
        if stream.write_all(&chunk[..n]).is_err() {
            return;
        }
        sent += n;
    }
}

/// A 10 MB answer (and an endless one) is read up to the 64 KiB cap only.
#[test]
fn answer_bodies_are_capped() {
    const CAP: usize = 64 * 1024;
    for (status, total) in [
        ("400 Bad Request", Some(10 << 20)),
        ("200 OK", Some(10 << 20)),
        ("400 Bad Request", None),
        ("503 Service Unavailable", None),
    ] {
        let server = RawServer::start(move |_, stream| huge_answer(stream, status, total));
        let mut o = options_for(&format!("http://127.0.0.1:{}/rest/ua", server.port));
        o.set_timeout_ms(5000).unwrap();
        o.set_deadline_ms(8000).unwrap();
        let client = Client::new(&o).unwrap();
        let started = Instant::now();
        let (r, peak) =
            peak_allocation_of(|| client.send(EventKind::Custom, &marked_event("huge")));
        let took = started.elapsed();
        let what = format!("{status} with {total:?} bytes");
        println!(
            "{what}: body kept {} bytes, peak allocation {peak} bytes, {took:?}",
            r.body().map_or(0, <[u8]>::len)
        );
        assert_eq!(r.http_status().to_string(), status[..3], "{what}: {r:?}");
        let body = r.body().unwrap_or_default();
        assert!(
            body.len() <= CAP,
            "{what}: body of {} bytes returned",
            body.len()
        );
        assert!(
            body.len() >= 1024,
            "{what}: expected the first part of the body, got {} bytes",
            body.len()
        );
        assert!(
            peak < 2 << 20,
            "{what}: the call allocated {peak} bytes at its peak"
        );
        assert!(
            took < Duration::from_secs(10),
            "{what}: the call held for {took:?}"
        );
        assert_no_token(&what, &r);
    }
}
