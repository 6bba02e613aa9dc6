//! The default trust path: without a CA file the client verifies certificates
//! with the operating system's store (rustls-platform-verifier). On Linux that
//! store honours `SSL_CERT_FILE`, so pointing it at a test CA makes a local TLS
//! server trusted without touching the machine. A binary of its own, since it
//! sets the process environment.

use coveo_ua::{Client, Code, EventKind, Options};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use std::io::{Read, Write};
use std::net::TcpListener;
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

#[test]
fn the_system_store_is_used_by_default() {
    let (ca_pem, config) = test_pki();
    let ca_file =
        std::env::temp_dir().join(format!("coveo-ua-platform-ca-{}.pem", std::process::id()));
    std::fs::write(&ca_file, ca_pem).expect("write CA");
    std::env::set_var("SSL_CERT_FILE", &ca_file);
    std::env::remove_var("SSL_CERT_DIR");

    let (port, server) = serve_once(config);
    let mut o = Options::new();
    o.set_token("xx-tls-key").unwrap();
    o.set_endpoint(Some(&format!("https://localhost:{port}/rest/ua")))
        .unwrap();
    o.set_max_retries(0).unwrap();
    let r = Client::new(&o)
        .unwrap()
        .send(EventKind::View, r#"{"location":"x"}"#);
    let served = server.join().expect("server thread");
    let _ = std::fs::remove_file(&ca_file);
    assert_eq!(r.code(), Code::Ok, "{}", r.message());
    assert_eq!(r.visitor_id(), Some("tls-visitor"));
    assert!(served, "the TLS server did not complete the exchange");
}
