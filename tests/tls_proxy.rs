//! TLS and proxies, with a CA and leaf certificates made by the test (rcgen),
//! a TLS-terminating forwarder in front of the real emulator (rustls), and a
//! recording HTTP CONNECT proxy.
//!
//! - With `set_ca_file` (C: `ua_options_set_ca_file`) the server is trusted and
//!   the event is delivered; without it (the OS store) the send fails with
//!   `UA_CONNECTION_FAILED` and a message about the certificate; a certificate
//!   for another name fails the same way, and no request ever gets through.
//! - With `set_proxy` the event goes through the proxy (the CONNECT is seen).
//! - The proxy environment variables are ignored: this binary points every one
//!   of them at a "trap" proxy that must never be contacted (with no NO_PROXY,
//!   so loopback sends would reach the trap too if they were honoured).

mod common;

use common::*;
use coveo_ua::{ffi, Client, Code, EventKind, Options};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use std::ffi::{CStr, CString};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Once, OnceLock};
use std::time::Duration;

/// The proxy every proxy variable points at; any connection to it is a failure.
static TRAP: OnceLock<TcpService> = OnceLock::new();
static ENV: Once = Once::new();

/// Points every proxy variable at the trap, once, before any test does anything
/// else (every test calls this first; `Once` holds the others back meanwhile).
fn proxy_env_points_at_the_trap() -> &'static TcpService {
    ENV.call_once(|| {
        let trap = TRAP.get_or_init(|| TcpService::start(|_| {}));
        let url = format!("http://127.0.0.1:{}", trap.port);
        for name in [
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "ALL_PROXY",
            "http_proxy",
            "https_proxy",
            "all_proxy",
        ] {
            std::env::set_var(name, &url);
        }
        // No NO_PROXY: a library that read the environment would send even
        // loopback traffic to the trap.
        std::env::remove_var("NO_PROXY");
        std::env::remove_var("no_proxy");
    });
    TRAP.get().expect("trap proxy")
}

fn assert_trap_untouched() {
    let n = TRAP.get().map_or(0, TcpService::connections);
    assert_eq!(n, 0, "the library used a proxy from the environment");
}

/// A test CA, written as PEM to a file of its own, and leaf certificates it signs.
struct Pki {
    ca: rcgen::Certificate,
    ca_key: KeyPair,
    ca_file: PathBuf,
}

impl Pki {
    fn new() -> Pki {
        static N: AtomicUsize = AtomicUsize::new(0);
        let ca_key = KeyPair::generate().expect("CA key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "coveo-ua reliability test CA");
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca = params.self_signed(&ca_key).expect("self-signed CA");
        let ca_file = std::env::temp_dir().join(format!(
            "coveo-ua-test-ca-{}-{}.pem",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::write(&ca_file, ca.pem()).expect("write the CA file");
        Pki {
            ca,
            ca_key,
            ca_file,
        }
    }

    /// A rustls server configuration with a leaf for `names`, signed by this CA.
    fn server_config(&self, names: &[&str]) -> Arc<rustls::ServerConfig> {
        let key = KeyPair::generate().expect("leaf key");
        let mut params =
            CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
                .expect("leaf params");
        params.distinguished_name.push(DnType::CommonName, names[0]);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let leaf = params
            .signed_by(&key, &self.ca, &self.ca_key)
            .expect("signed leaf");
        let chain = vec![leaf.der().clone()];
        let key_der = rustls::pki_types::PrivateKeyDer::Pkcs8(
            rustls::pki_types::PrivatePkcs8KeyDer::from(key.serialize_der()),
        );
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_no_client_auth()
            .with_single_cert(chain, key_der)
            .expect("server certificate");
        Arc::new(config)
    }

    fn ca_path(&self) -> &str {
        self.ca_file.to_str().expect("UTF-8 temp path")
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.ca_file);
    }
}

/// Adds `Connection: close` to a request head so the upstream answers once and
/// closes, which lets the forwarders copy the answer until end of stream.
fn with_connection_close(request: &[u8]) -> Vec<u8> {
    let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n") else {
        return request.to_vec();
    };
    let mut out = request[..end + 2].to_vec();
    out.extend_from_slice(b"Connection: close\r\n");
    out.extend_from_slice(&request[end + 2..]);
    out
}

/// Sends `request` to 127.0.0.1:`port` and returns the whole answer.
fn exchange(port: u16, request: &[u8]) -> Vec<u8> {
    let mut up = TcpStream::connect(("127.0.0.1", port)).expect("connect upstream");
    let _ = up.set_read_timeout(Some(Duration::from_secs(5)));
    let mut answer = Vec::new();
    if up.write_all(&with_connection_close(request)).is_ok() {
        let _ = up.read_to_end(&mut answer);
    }
    answer
}

/// A TLS server in front of the emulator: it terminates TLS with `config` and
/// forwards each request in clear to the emulator (one request per connection).
struct TlsForwarder {
    service: TcpService,
    /// Requests that got through the handshake and were forwarded.
    forwarded: Arc<AtomicUsize>,
}

impl TlsForwarder {
    fn start(config: Arc<rustls::ServerConfig>, emulator_port: u16) -> TlsForwarder {
        let forwarded = Arc::new(AtomicUsize::new(0));
        let count = forwarded.clone();
        let service = TcpService::start(move |tcp| {
            let Ok(conn) = rustls::ServerConnection::new(config.clone()) else {
                return;
            };
            let mut tls = rustls::StreamOwned::new(conn, tcp);
            // The handshake runs inside the first read; a client that refuses
            // the certificate ends it here, with nothing read.
            let request = read_request(&mut tls);
            if request.is_empty() {
                return;
            }
            count.fetch_add(1, Ordering::SeqCst);
            let answer = exchange(emulator_port, &request);
            let _ = tls.write_all(&answer);
            tls.conn.send_close_notify();
            let _ = tls.flush();
        });
        TlsForwarder { service, forwarded }
    }

    fn url(&self, host: &str) -> String {
        format!("https://{host}:{}/rest/ua", self.service.port)
    }

    fn forwarded(&self) -> usize {
        self.forwarded.load(Ordering::SeqCst)
    }
}

/// Copies bytes from `from` to `to` until end of stream or an error, keeping
/// a copy in `seen` when given, then closes `to` for writing.
fn pump(mut from: TcpStream, mut to: TcpStream, seen: Option<&Mutex<Vec<u8>>>) {
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if let Some(seen) = seen {
            seen.lock().unwrap().extend_from_slice(&buf[..n]);
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(std::net::Shutdown::Write);
}

/// An HTTP proxy on loopback that records the first line of every request: a
/// CONNECT is tunnelled, an absolute-form request is forwarded in origin form.
/// Only loopback targets are served.
struct RecordingProxy {
    service: TcpService,
    lines: Arc<Mutex<Vec<String>>>,
    /// Every byte the client sent through a tunnel.
    tunnelled: Arc<Mutex<Vec<u8>>>,
}

impl RecordingProxy {
    fn start() -> RecordingProxy {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let tunnelled = Arc::new(Mutex::new(Vec::new()));
        let (seen, through) = (lines.clone(), tunnelled.clone());
        let service = TcpService::start(move |mut client| {
            let request = read_request(&mut client);
            let text = String::from_utf8_lossy(&request).into_owned();
            let first = text.lines().next().unwrap_or_default().to_string();
            seen.lock().unwrap().push(first.clone());
            let mut parts = first.split(' ');
            let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            if method == "CONNECT" {
                let Some(port) = loopback_port(target) else {
                    let _ =
                        client.write_all(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
                    return;
                };
                let Ok(up) = TcpStream::connect(("127.0.0.1", port)) else {
                    let _ =
                        client.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
                    return;
                };
                let _ = up.set_read_timeout(Some(Duration::from_secs(5)));
                let _ = client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
                let (c2, u2) = (client.try_clone().unwrap(), up.try_clone().unwrap());
                let back = std::thread::spawn(move || pump(u2, c2, None));
                pump(client, up, Some(&through));
                let _ = back.join();
            } else if let Some(rest) = target.strip_prefix("http://") {
                let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
                let Some(port) = loopback_port(authority) else {
                    return;
                };
                let origin_form = request.clone();
                let line_end = origin_form.iter().position(|b| *b == b'\n').unwrap_or(0);
                let mut rewritten = format!("{method} {path} HTTP/1.1\r\n").into_bytes();
                rewritten.extend_from_slice(&origin_form[line_end + 1..]);
                let _ = client.write_all(&exchange(port, &rewritten));
            }
        });
        RecordingProxy {
            service,
            lines,
            tunnelled,
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.service.port)
    }

    fn first_lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }
}

/// The port of a `127.0.0.1:P` or `localhost:P` authority.
fn loopback_port(authority: &str) -> Option<u16> {
    let (host, port) = authority.rsplit_once(':')?;
    matches!(host, "127.0.0.1" | "localhost")
        .then(|| port.parse().ok())
        .flatten()
}

fn options(url: &str, ca_file: Option<&str>) -> Options {
    let mut o = Options::new();
    o.set_token(KEY).unwrap();
    o.set_endpoint(Some(url)).unwrap();
    o.set_ca_file(ca_file).unwrap();
    o.set_timeout_ms(5000).unwrap();
    o.set_deadline_ms(10_000).unwrap();
    o.set_max_retries(1).unwrap();
    o.set_retry_backoff_ms(1, 10).unwrap();
    o
}

#[test]
fn the_ca_file_makes_the_test_server_trusted() {
    proxy_env_points_at_the_trap();
    let emu = Emulator::start(&[]);
    let pki = Pki::new();
    let tls = TlsForwarder::start(pki.server_config(&["localhost"]), emu.port);
    let client = Client::new(&options(&tls.url("localhost"), Some(pki.ca_path()))).unwrap();
    let r = client.send(EventKind::Custom, &marked_event("tls-rust"));
    assert_eq!(r.code(), Code::Ok, "{r:?}");
    // The same through the C entry points.
    // SAFETY: live objects from the library, NUL-terminated strings, each freed once.
    unsafe {
        let opts = ffi::ua_options_new();
        let c = |s: &str| CString::new(s).unwrap();
        assert_eq!(ffi::ua_options_set_token(opts, c(KEY).as_ptr()), 0);
        let url = c(&tls.url("localhost"));
        assert_eq!(ffi::ua_options_set_endpoint(opts, url.as_ptr()), 0);
        assert_eq!(
            ffi::ua_options_set_ca_file(opts, c(pki.ca_path()).as_ptr()),
            0
        );
        let mut client = std::ptr::null_mut();
        assert_eq!(ffi::ua_client_new(opts, &mut client), 0);
        ffi::ua_options_free(opts);
        let event = c(&marked_event("tls-c"));
        let mut result = std::ptr::null_mut();
        let code = ffi::ua_send_event(client, 3, event.as_ptr(), &mut result);
        let message = CStr::from_ptr(ffi::ua_result_message(result))
            .to_string_lossy()
            .into_owned();
        assert_eq!(code, 0, "{message}");
        ffi::ua_result_free(result);
        ffi::ua_client_free(client);
    }
    let counts = marker_counts(&emu);
    assert_eq!(counts.get("tls-rust"), Some(&1), "{counts:?}");
    assert_eq!(counts.get("tls-c"), Some(&1), "{counts:?}");
    assert_eq!(tls.forwarded(), 2);
    assert_trap_untouched();
}

/// Sends through `client` and checks it failed on the certificate without any
/// request reaching the server.
fn assert_refused_certificate(what: &str, client: &Client, tls: &TlsForwarder) {
    let r = client.send(EventKind::Custom, &marked_event(what));
    assert_eq!(r.code(), Code::ConnectionFailed, "{what}: {r:?}");
    assert_eq!(r.http_status(), 0, "{what}: {r:?}");
    println!("{what}: {}", r.message());
    let message = r.message().to_ascii_lowercase();
    assert!(
        message.contains("certificate"),
        "{what}: the message does not mention the certificate: {}",
        r.message()
    );
    assert_eq!(tls.forwarded(), 0, "{what}: a request got through");
}

#[test]
fn without_the_ca_file_the_certificate_is_refused() {
    proxy_env_points_at_the_trap();
    let emu = Emulator::start(&[]);
    let pki = Pki::new();
    let tls = TlsForwarder::start(pki.server_config(&["localhost"]), emu.port);
    let client = Client::new(&options(&tls.url("localhost"), None)).unwrap();
    assert_refused_certificate("os-store", &client, &tls);
    assert!(emu.events().is_empty());
    assert_trap_untouched();
}

#[test]
fn a_certificate_for_another_name_is_refused() {
    proxy_env_points_at_the_trap();
    let emu = Emulator::start(&[]);
    let pki = Pki::new();
    let other = TlsForwarder::start(pki.server_config(&["other.example"]), emu.port);
    let client = Client::new(&options(&other.url("localhost"), Some(pki.ca_path()))).unwrap();
    assert_refused_certificate("other-name", &client, &other);
    // A leaf for "localhost" does not cover the address 127.0.0.1 either.
    let named = TlsForwarder::start(pki.server_config(&["localhost"]), emu.port);
    let client = Client::new(&options(&named.url("127.0.0.1"), Some(pki.ca_path()))).unwrap();
    assert_refused_certificate("ip-literal", &client, &named);
    assert!(emu.events().is_empty());
    assert_trap_untouched();
}

#[test]
fn the_explicit_proxy_tunnels_tls() {
    proxy_env_points_at_the_trap();
    let emu = Emulator::start(&[]);
    let pki = Pki::new();
    let tls = TlsForwarder::start(pki.server_config(&["localhost"]), emu.port);
    let proxy = RecordingProxy::start();
    let mut o = options(&tls.url("localhost"), Some(pki.ca_path()));
    o.set_proxy(Some(&proxy.url())).unwrap();
    let r = Client::new(&o)
        .unwrap()
        .send(EventKind::Custom, &marked_event("via-proxy"));
    assert_eq!(r.code(), Code::Ok, "{r:?}");
    let expected = format!("CONNECT localhost:{} HTTP/1.1", tls.service.port);
    // One tunnel per attempt, each to the service's name: a retried attempt
    // opens a tunnel of its own (a CI run under Wine once saw two).
    let tunnels = vec![expected; r.attempts() as usize];
    assert_eq!(proxy.first_lines(), tunnels, "{r:?}");
    // The proxy carried the request, encrypted: it never saw the token.
    let carried = proxy.tunnelled.lock().unwrap().clone();
    assert!(
        carried.len() > 100,
        "only {} bytes went through the tunnel",
        carried.len()
    );
    let token_seen = carried.windows(KEY.len()).any(|w| w == KEY.as_bytes());
    assert!(!token_seen, "the token crossed the proxy in clear text");
    assert_eq!(marker_counts(&emu).get("via-proxy"), Some(&1));
    assert_trap_untouched();
}

/// With a plain-HTTP loopback endpoint the proxy is still the way in; the
/// check is that the event gets there through it, whichever form it uses.
#[test]
fn the_explicit_proxy_carries_plain_http_to_loopback() {
    proxy_env_points_at_the_trap();
    let emu = Emulator::start(&[]);
    let proxy = RecordingProxy::start();
    let mut o = options(&emu.url, None);
    o.set_proxy(Some(&proxy.url())).unwrap();
    let r = Client::new(&o)
        .unwrap()
        .send(EventKind::Custom, &marked_event("http-via-proxy"));
    assert_eq!(r.code(), Code::Ok, "{r:?}");
    let lines = proxy.first_lines();
    println!("proxy saw for a plain-HTTP endpoint: {lines:?}");
    assert_eq!(lines.len(), 1, "{lines:?}");
    let tunnelled = lines[0] == format!("CONNECT 127.0.0.1:{} HTTP/1.1", emu.port);
    let absolute = lines[0].starts_with(&format!("POST {}/v15/analytics/custom", emu.url));
    assert!(
        tunnelled || absolute,
        "unexpected proxy request: {}",
        lines[0]
    );
    if tunnelled {
        // Clear text (allowed for loopback only): the tunnel shows the token,
        // which proves the check of the TLS test above would see it too.
        let carried = proxy.tunnelled.lock().unwrap().clone();
        assert!(carried.windows(KEY.len()).any(|w| w == KEY.as_bytes()));
    }
    assert_eq!(marker_counts(&emu).get("http-via-proxy"), Some(&1));
    assert_trap_untouched();
}

/// An explicit proxy that is down fails the send: the library never falls back
/// to a direct connection.
#[test]
fn a_dead_explicit_proxy_is_not_bypassed() {
    proxy_env_points_at_the_trap();
    let emu = Emulator::start(&[]);
    let mut o = options(&emu.url, None);
    o.set_proxy(Some(&format!("http://127.0.0.1:{}", dead_port())))
        .unwrap();
    let r = Client::new(&o)
        .unwrap()
        .send(EventKind::Custom, &marked_event("dead-proxy"));
    assert_eq!(r.code(), Code::ConnectionFailed, "{r:?}");
    assert!(emu.events().is_empty());
    assert_trap_untouched();
}

/// Direct sends, plain and TLS, with every proxy variable set: the trap proxy
/// sees nothing and the events arrive.
#[test]
fn proxy_environment_variables_are_ignored() {
    let trap = proxy_env_points_at_the_trap();
    assert!(std::env::var("HTTPS_PROXY").is_ok_and(|v| v.ends_with(&trap.port.to_string())));
    let emu = Emulator::start(&[]);
    let r = Client::new(&options(&emu.url, None))
        .unwrap()
        .send(EventKind::Custom, &marked_event("env-plain"));
    assert_eq!(r.code(), Code::Ok, "{r:?}");
    let pki = Pki::new();
    let tls = TlsForwarder::start(pki.server_config(&["localhost"]), emu.port);
    let r = Client::new(&options(&tls.url("localhost"), Some(pki.ca_path())))
        .unwrap()
        .send(EventKind::Custom, &marked_event("env-tls"));
    assert_eq!(r.code(), Code::Ok, "{r:?}");
    let counts = marker_counts(&emu);
    assert_eq!(counts.get("env-plain"), Some(&1));
    assert_eq!(counts.get("env-tls"), Some(&1));
    assert_trap_untouched();
}

/// A proxy that refuses the tunnel (407, 403, garbage): the send fails as a
/// connection failure, and the proxy's answer is never taken for the service's.
#[test]
fn a_proxy_refusing_the_tunnel_is_a_connection_failure() {
    proxy_env_points_at_the_trap();
    let emu = Emulator::start(&[]);
    let pki = Pki::new();
    let tls = TlsForwarder::start(pki.server_config(&["localhost"]), emu.port);
    for answer in [
        "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n",
        "\u{16}\u{3}\u{1} not an HTTP answer\r\n\r\n",
    ] {
        let proxy = RawServer::start(move |_, stream| {
            let _ = stream.write_all(answer.as_bytes());
        });
        let mut o = options(&tls.url("localhost"), Some(pki.ca_path()));
        o.set_proxy(Some(&format!("http://127.0.0.1:{}", proxy.port)))
            .unwrap();
        let r = Client::new(&o)
            .unwrap()
            .send(EventKind::Custom, &marked_event("refused-tunnel"));
        println!("proxy answering {answer:?}: {:?} {}", r.code(), r.message());
        assert_eq!(r.code(), Code::ConnectionFailed, "{answer:?}: {r:?}");
        assert_eq!(r.http_status(), 0, "{answer:?}: {r:?}");
        assert!(proxy.request_count() >= 1, "the proxy was not used");
    }
    assert_eq!(tls.forwarded(), 0);
    assert!(emu.events().is_empty());
    assert_trap_untouched();
}
