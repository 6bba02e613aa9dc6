//! What goes on the wire, captured by a raw loopback server: path, query,
//! headers and the body exactly as given.

mod common;

use common::RawServer;
use coveo_ua::{Client, Code, EventKind, Options};
use std::io::Write;

/// A server that answers 200 with a visitor id and keeps every request.
fn capturing_server() -> RawServer {
    RawServer::start(|_request, stream| {
        let body = br#"{"visitId":"a","visitorId":"v-123","clientId":"c"}"#;
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        let _ = stream.write_all(head.as_bytes());
        let _ = stream.write_all(body);
    })
}

#[test]
fn request_has_the_documented_form() {
    let server = capturing_server();
    let port = server.port;
    let mut o = Options::new();
    o.set_token("xx-wire-token").unwrap();
    o.set_endpoint(Some(&format!("http://127.0.0.1:{port}/rest/ua")))
        .unwrap();
    o.set_org(Some("org&id/1")).unwrap();
    o.set_user_agent(Some("my-app/2.1")).unwrap();
    let body = "{ \"location\" : \"https://x/é\" ,\n\"language\":\"en\" }";
    let r = Client::new(&o).unwrap().send(EventKind::View, body);
    let raw = server.requests.lock().unwrap().remove(0);
    assert_eq!(r.code(), Code::Ok, "{}", r.message());
    assert_eq!(r.visitor_id(), Some("v-123"));
    let text = String::from_utf8(raw).unwrap();
    let (head, sent) = text.split_once("\r\n\r\n").unwrap();
    let mut lines = head.lines();
    assert_eq!(
        lines.next().unwrap(),
        "POST /rest/ua/v15/analytics/view?org=org%26id%2F1 HTTP/1.1"
    );
    let headers: Vec<(String, String)> = lines
        .map(|l| {
            let (k, v) = l.split_once(':').unwrap();
            (k.to_ascii_lowercase(), v.trim().to_string())
        })
        .collect();
    let get = |name: &str| {
        let found: Vec<&str> = headers
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect();
        assert_eq!(
            found.len(),
            1,
            "exactly one {name} header expected in {head}"
        );
        found[0].to_string()
    };
    assert_eq!(get("content-type"), "application/json");
    assert_eq!(get("accept"), "application/json");
    assert_eq!(get("authorization"), "Bearer xx-wire-token");
    assert_eq!(
        get("user-agent"),
        format!("coveo-ua/{} my-app/2.1", env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(get("content-length"), body.len().to_string());
    assert!(
        !headers.iter().any(|(k, _)| k == "transfer-encoding"),
        "{head}"
    );
    assert_eq!(sent, body, "the body must be sent unchanged");
}
