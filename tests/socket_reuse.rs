//! The library's own TCP transport (src/wire/tcp.rs) against real servers: pooled
//! connections are reused, a connection the server closed is not, socket
//! timeouts kept from an earlier request neither stretch nor cut a later
//! request's time, and bodies of every size arrive whole (headers and body are
//! held back and sent together).

mod common;

use common::*;
use coveo_ua::{Client, Code, EventKind};
use std::io::Write;
use std::sync::mpsc;
use std::time::Duration;

fn client_with(emu: &Emulator, timeout_ms: u32, retries: u32) -> Client {
    let mut o = emu.options();
    o.set_timeout_ms(timeout_ms).unwrap();
    o.set_deadline_ms(20_000).unwrap();
    o.set_max_retries(retries).unwrap();
    Client::new(&o).expect("client")
}

#[test]
fn one_thread_reuses_one_connection() {
    let emu = Emulator::start(&[]);
    let client = emu.client();
    // The control API's own connections count too: measure around the sends.
    let before = emu.stat("connections");
    for i in 0..20 {
        let r = client.send(EventKind::Custom, CUSTOM);
        assert_eq!(r.code(), Code::Ok, "send {i}: {}", r.message());
        assert_eq!(r.attempts(), 1, "send {i}");
    }
    let after = emu.stat("connections");
    // One connection for the 20 sends, plus at most one for the stats request.
    assert!(
        after - before <= 2,
        "20 sends from one thread opened {} connections",
        after - before
    );
    assert_eq!(emu.stat("accepted"), 20);
}

#[test]
fn a_short_deadline_is_kept_on_a_connection_set_up_for_a_longer_timeout() {
    let emu = Emulator::start(&[]);
    let client = client_with(&emu, 4_000, 0);
    // The pooled connection now carries a socket timeout of several seconds.
    let r = client.send(EventKind::Custom, CUSTOM);
    assert_eq!(r.code(), Code::Ok, "{}", r.message());
    // An answer 2.5 s late would arrive within that socket timeout; the call's
    // own deadline of 0.4 s must cut it off anyway.
    emu.fault(r#"{"action":"delay","delay_ms":2500}"#);
    let r = client.send_with_deadline(EventKind::Custom, CUSTOM, Duration::from_millis(400));
    assert_eq!(r.code(), Code::Timeout, "{}", r.message());
    assert!(r.message().contains("deadline"), "{}", r.message());
    assert_eq!(r.http_status(), 0);
}

#[test]
fn a_lowered_socket_timeout_does_not_cut_a_later_longer_request() {
    let emu = Emulator::start(&[]);
    let client = client_with(&emu, 4_000, 0);
    // A short-deadline call that succeeds leaves its connection, with a socket
    // timeout below 0.3 s, in the pool.
    let r = client.send_with_deadline(EventKind::Custom, CUSTOM, Duration::from_millis(300));
    assert_eq!(r.code(), Code::Ok, "{}", r.message());
    // The next call has 4 s; an answer 1 s late must be waited for, on the
    // same connection, in one attempt.
    emu.fault(r#"{"action":"delay","delay_ms":1000}"#);
    let r = client.send(EventKind::Custom, CUSTOM);
    assert_eq!(r.code(), Code::Ok, "{}", r.message());
    assert_eq!(r.attempts(), 1);
    assert_eq!(emu.stat("accepted"), 2);
}

#[test]
fn bodies_of_every_size_arrive_whole() {
    let emu = Emulator::start(&[]);
    let client = emu.client();
    // Below, around and far above the transport's 16 KiB hold-back size, and
    // large enough (900 KB) that the kernel may take it in several writes.
    let sizes = [10, 16 * 1024 - 300, 16 * 1024, 64 * 1024, 900 * 1024];
    for size in sizes {
        let filler = "z".repeat(size);
        let event = format!(
            r#"{{"eventType":"t","eventValue":"v","language":"en","customData":{{"blob":"{filler}"}}}}"#
        );
        let r = client.send(EventKind::Custom, &event);
        assert_eq!(r.code(), Code::Ok, "{size}: {}", r.message());
        assert_eq!(r.attempts(), 1, "{size}");
    }
    let events = emu.events();
    assert_eq!(events.len(), sizes.len());
    for (event, size) in events.iter().zip(sizes) {
        let text = event.to_string();
        let blob = text.find(&"z".repeat(size));
        assert!(blob.is_some(), "the {size}-byte blob did not arrive whole");
        assert!(
            !text.contains(&"z".repeat(size + 1)),
            "the {size}-byte blob grew"
        );
    }
}

#[test]
fn a_connection_the_server_closed_after_answering_is_not_reused() {
    // A server that answers each connection once, without `Connection: close`,
    // then closes it: the pooled connection is dead when the next send comes.
    let (closed_tx, closed_rx) = mpsc::channel();
    let closed_tx = std::sync::Mutex::new(closed_tx);
    let server = RawServer::start(move |request, stream| {
        assert!(request.ends_with(b"}"), "the request did not arrive whole");
        let _ = stream.write_all(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
        );
        let _ = stream.shutdown(std::net::Shutdown::Both);
        let _ = closed_tx.lock().unwrap().send(());
    });
    let port = server.port;
    let mut o = coveo_ua::Options::new();
    o.set_token(KEY).unwrap();
    o.set_endpoint(Some(&format!("http://127.0.0.1:{port}/rest/ua")))
        .unwrap();
    o.set_max_retries(0).unwrap();
    let client = Client::new(&o).expect("client");
    for i in 0..2 {
        let r = client.send(EventKind::Custom, CUSTOM);
        assert_eq!(r.code(), Code::Ok, "send {i}: {}", r.message());
        assert_eq!(r.attempts(), 1, "send {i}");
        closed_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("the server closed the connection");
    }
    assert_eq!(server.request_count(), 2);
}
