//! A host that does not ignore SIGPIPE (C, Python and Go programs often do
//! not) must survive the server closing while a request is being written, and
//! get a result. Its own test binary: the signal disposition it sets is
//! process-wide.
//!
//! Limit: Linux reports a write after a reset as ECONNRESET first (no signal)
//! and only a second write gets EPIPE; the transport stops at the first error,
//! so this test exercises the path but cannot force the EPIPE case that
//! MSG_NOSIGNAL guards against (a plain `writev` here passed it too).

mod common;

use common::*;
use coveo_ua::{Client, Code, EventKind};

#[test]
fn a_server_closing_mid_request_gives_a_result_and_the_client_recovers() {
    // Rust programs start with SIGPIPE ignored; put back the default (death),
    // as a C host has it.
    // SAFETY: setting a signal disposition to the default action.
    let previous = unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    assert_ne!(previous, libc::SIG_ERR);
    let emu = Emulator::start(&["--max-body", "1024"]);
    let mut o = emu.options();
    o.set_local_checks(false);
    o.set_max_retries(0).unwrap();
    let client = Client::new(&o).expect("client");
    // The emulator answers 413 as soon as it has read the headers and closes
    // without reading the 16 MB body, so the rest of the write meets a closed
    // connection (EPIPE or a reset), which must come back as a result.
    let filler = "x".repeat(16 * 1024 * 1024);
    let event = format!(r#"{{"eventType":"t","eventValue":"v","language":"en","b":"{filler}"}}"#);
    for i in 0..3 {
        let r = client.send(EventKind::Custom, &event);
        assert!(
            matches!(r.code(), Code::ConnectionFailed) || r.http_status() == 413,
            "send {i}: {:?} {}",
            r.code(),
            r.message()
        );
    }
    // And the client still works afterwards.
    let r = client.send(EventKind::Custom, CUSTOM);
    assert_eq!(r.code(), Code::Ok, "{}", r.message());
}
