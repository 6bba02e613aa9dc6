//! The trust paths: without a CA file the client verifies certificates with
//! the operating system's store (rustls-platform-verifier); with one, only the
//! file's certificates are trusted, the system store is not consulted at all.
//! On Linux that store honours `SSL_CERT_FILE`, so pointing it at a test CA
//! makes a local TLS server trusted without touching the machine. A binary of
//! its own, since it sets the process environment; one test, since the
//! variable stays set for all of it.

use coveo_ua::{ffi, Client, Code, EventKind, Options};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use std::ffi::{CStr, CString};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// A CA and a leaf for `localhost` signed by it; returns (CA PEM, server config).
fn test_pki() -> (String, Arc<rustls::ServerConfig>) {
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "coveo-ua platform trust test CA");
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca = ca_params.self_signed(&ca_key).expect("self-signed CA");
    let leaf_key = KeyPair::generate().expect("leaf key");
    let mut leaf_params = CertificateParams::new(vec!["localhost".to_string()]).expect("leaf");
    leaf_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let leaf = leaf_params
        .signed_by(&leaf_key, &ca, &ca_key)
        .expect("signed leaf");
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(rustls::pki_types::PrivatePkcs8KeyDer::from(
        leaf_key.serialize_der(),
    ));
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("protocol versions")
    .with_no_client_auth()
    .with_single_cert(vec![leaf.der().clone()], key)
    .expect("server certificate");
    (ca.pem(), Arc::new(config))
}

/// Serves one HTTPS request with a 200 answer; returns the port.
fn serve_once(config: Arc<rustls::ServerConfig>) -> (u16, std::thread::JoinHandle<bool>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let handle = std::thread::spawn(move || {
        let (tcp, _) = listener.accept().expect("accept");
        tcp.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        let conn = rustls::ServerConnection::new(config).expect("server connection");
        let mut tls = rustls::StreamOwned::new(conn, tcp);
        let mut request = Vec::new();
        let mut buf = [0u8; 4096];
        while !request.windows(4).any(|w| w == b"\r\n\r\n") {
            match tls.read(&mut buf) {
                Ok(0) | Err(_) => return false,
                Ok(n) => request.extend_from_slice(&buf[..n]),
            }
        }
        let body = br#"{"visitId":"a","visitorId":"tls-visitor","clientId":"c"}"#;
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        tls.write_all(head.as_bytes()).is_ok() && tls.write_all(body).is_ok() && tls.flush().is_ok()
    });
    (port, handle)
}

/// Writes a PEM file under the temporary folder, named for this process.
fn write_pem(what: &str, pem: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!(
        "coveo-ua-platform-{what}-ca-{}.pem",
        std::process::id()
    ));
    std::fs::write(&path, pem).expect("write CA");
    path
}

/// Sends one view event through the C entry points to `https://localhost:port`
/// with `ca_file` (NULL: none set); returns the code and the result's message.
fn send_through_c(port: u16, ca_file: Option<&str>) -> (i32, String) {
    let c = |s: &str| CString::new(s).unwrap();
    // SAFETY: live objects from the library, NUL-terminated strings, each freed once.
    unsafe {
        let opts = ffi::ua_options_new();
        assert_eq!(ffi::ua_options_set_token(opts, c("xx-tls-key").as_ptr()), 0);
        let url = c(&format!("https://localhost:{port}/rest/ua"));
        assert_eq!(ffi::ua_options_set_endpoint(opts, url.as_ptr()), 0);
        assert_eq!(ffi::ua_options_set_max_retries(opts, 0), 0);
        let path = ca_file.map(c);
        let path_ptr = path.as_ref().map_or(std::ptr::null(), |p| p.as_ptr());
        assert_eq!(ffi::ua_options_set_ca_file(opts, path_ptr), 0);
        let mut client = std::ptr::null_mut();
        assert_eq!(ffi::ua_client_new(opts, &mut client), 0);
        ffi::ua_options_free(opts);
        let event = c(r#"{"location":"x"}"#);
        let mut result = std::ptr::null_mut();
        let code = ffi::ua_send_event(client, 4, event.as_ptr(), &mut result);
        let message = CStr::from_ptr(ffi::ua_result_message(result))
            .to_string_lossy()
            .into_owned();
        ffi::ua_result_free(result);
        ffi::ua_client_free(client);
        (code, message)
    }
}

#[test]
fn the_system_store_by_default_and_a_ca_file_instead_of_it() {
    let (system_ca_pem, config) = test_pki();
    let system_ca = write_pem("system", &system_ca_pem);
    std::env::set_var("SSL_CERT_FILE", &system_ca);
    std::env::remove_var("SSL_CERT_DIR");
    the_system_store_is_used_by_default(&config);
    a_ca_file_replaces_the_system_store(&config, &system_ca);
    let _ = std::fs::remove_file(&system_ca);
}

/// Without a CA file, a server the system store trusts is accepted.
fn the_system_store_is_used_by_default(config: &Arc<rustls::ServerConfig>) {
    let (port, server) = serve_once(config.clone());
    let mut o = Options::new();
    o.set_token("xx-tls-key").unwrap();
    o.set_endpoint(Some(&format!("https://localhost:{port}/rest/ua")))
        .unwrap();
    o.set_max_retries(0).unwrap();
    let r = Client::new(&o)
        .unwrap()
        .send(EventKind::View, r#"{"location":"x"}"#);
    let served = server.join().expect("server thread");
    assert_eq!(r.code(), Code::Ok, "{}", r.message());
    assert_eq!(r.visitor_id(), Some("tls-visitor"));
    assert!(served, "the TLS server did not complete the exchange");
}

/// What every host's CA file option says: the file's certificates are trusted
/// *instead of* the system store. A server the system store trusts is refused
/// once a CA file naming another CA is set (the same call without a CA file
/// goes through), and accepted with a CA file naming its own CA. Through the
/// C entry points, which every host calls.
fn a_ca_file_replaces_the_system_store(config: &Arc<rustls::ServerConfig>, system_ca: &Path) {
    let (other_ca_pem, _) = test_pki();
    let other_ca = write_pem("other", &other_ca_pem);
    let other_path = other_ca.to_str().expect("UTF-8 temp path");

    let (port, server) = serve_once(config.clone());
    let (code, message) = send_through_c(port, Some(other_path));
    let served = server.join().expect("server thread");
    assert_eq!(code, Code::ConnectionFailed as i32, "{message}");
    assert!(
        message.to_ascii_lowercase().contains("certificate"),
        "{message}"
    );
    assert!(
        !served,
        "the request went through a certificate the CA file does not name"
    );

    for ca_file in [None, system_ca.to_str()] {
        let (port, server) = serve_once(config.clone());
        let (code, message) = send_through_c(port, ca_file);
        assert!(
            server.join().expect("server thread"),
            "{ca_file:?}: not served"
        );
        assert_eq!(code, 0, "{ca_file:?}: {message}");
    }
    let _ = std::fs::remove_file(&other_ca);
}
