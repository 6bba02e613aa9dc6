//! Arbitrary bytes as the server's whole answer: a loopback server thread in
//! this process writes the fuzz input back to every request and closes, and
//! `Client::send` must come back (bounded by its deadline) with a result that
//! fits the contract: a 2xx status is UA_OK, 429 and 5xx their codes, no HTTP
//! status means a connection failure or timeout, and the body kept is capped.
#![no_main]

use coveo_ua::{Client, Code, EventKind, Options};
use libfuzzer_sys::fuzz_target;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex, OnceLock};

/// The answer the server thread sends next.
static ANSWER: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
static CLIENT: OnceLock<Client> = OnceLock::new();

fn setup() -> (&'static Arc<Mutex<Vec<u8>>>, &'static Client) {
    let answer = ANSWER.get_or_init(|| {
        let answer = Arc::new(Mutex::new(Vec::new()));
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().unwrap().port();
        let shared = answer.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut s) = stream else { continue };
                let _ = s.set_read_timeout(Some(std::time::Duration::from_millis(200)));
                // Read the request head and its small body, then answer.
                let mut buf = [0u8; 4096];
                let mut got = Vec::new();
                while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => got.extend_from_slice(&buf[..n]),
                    }
                }
                let bytes = shared.lock().unwrap().clone();
                let _ = s.write_all(&bytes);
                let _ = s.shutdown(std::net::Shutdown::Both);
            }
        });
        CLIENT.get_or_init(|| {
            let mut o = Options::new();
            o.set_token("xx-fuzz-token").unwrap();
            o.set_endpoint(Some(&format!("http://127.0.0.1:{port}/rest/ua")))
                .unwrap();
            o.set_max_retries(0).unwrap();
            o.set_timeout_ms(300).unwrap();
            o.set_deadline_ms(300).unwrap();
            o.set_local_checks(false);
            Client::new(&o).unwrap()
        });
        answer
    });
    (answer, CLIENT.get().unwrap())
}

fuzz_target!(|data: &[u8]| {
    let (answer, client) = setup();
    *answer.lock().unwrap() = data.to_vec();
    let r = client.send(EventKind::Custom, "{}");
    assert!(!r.message().is_empty());
    assert!(r.body().map_or(0, <[u8]>::len) <= 64 * 1024);
    assert_eq!(r.attempts(), 1);
    match r.http_status() {
        0 => assert!(
            matches!(r.code(), Code::ConnectionFailed | Code::Timeout),
            "no status but {:?}",
            r.code()
        ),
        200..=299 => assert_eq!(r.code(), Code::Ok),
        429 => assert_eq!(r.code(), Code::TooManyRequests),
        500..=599 => assert_eq!(r.code(), Code::ServerError),
        s => assert!(!r.is_ok(), "status {s} reported OK"),
    }
});
