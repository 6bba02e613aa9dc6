//! Success answers of every path, identifiers, and HTTP framing variants.

mod common;

use common::*;
use serde_json::json;

#[test]
fn each_kind_answers_its_identifiers() {
    let emu = Emulator::start(&[]);
    for kind in ["search", "click", "custom", "view"] {
        let r = emu.post(kind, &valid_event(kind));
        assert_eq!(r.status, 200, "{kind}: {}", r.text());
        assert_eq!(r.header("content-type"), Some("application/json"));
        let v = r.json();
        for id in ["visitId", "visitorId", "clientId"] {
            assert!(is_uuid(v[id].as_str().unwrap_or("")), "{kind}.{id}: {v}");
        }
        assert_eq!(v.get("searchEventUid").is_some(), kind == "search", "{v}");
        if kind == "search" {
            assert!(is_uuid(v["searchEventUid"].as_str().unwrap()));
        }
    }
    let kinds: Vec<_> = emu
        .events()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kinds, ["search", "click", "custom", "view"]);
}

#[test]
fn searches_batch_answers_an_array() {
    let emu = Emulator::start(&[]);
    let batch = json!([
        valid_event("search"),
        valid_event("search"),
        valid_event("search")
    ]);
    let r = emu.post("searches", &batch);
    assert_eq!(r.status, 200, "{}", r.text());
    let items = r.json();
    let items = items.as_array().expect("array answer");
    assert_eq!(items.len(), 3);
    let uids: std::collections::HashSet<_> = items
        .iter()
        .map(|i| i["searchEventUid"].as_str().unwrap())
        .collect();
    assert_eq!(uids.len(), 3, "distinct searchEventUids");
    let log = emu.events();
    assert_eq!(log.len(), 3);
    assert!(log
        .iter()
        .all(|e| e["path"] == "/rest/ua/v15/analytics/searches" && e["kind"] == "search"));
    assert_eq!(emu.post("searches", &json!([])).json(), json!([]));
}

#[test]
fn visitor_id_is_stable_per_client_id() {
    let emu = Emulator::start(&[]);
    let cid = "7d3b8a1e-4c2f-4e6a-9b1d-2f5e8c7a0b13";
    let mut ev = custom_event();
    ev["clientId"] = json!(cid);
    let a = emu.post("custom", &ev).json();
    let b = emu
        .post(
            "view",
            &json!({"location": "x", "clientId": cid.to_uppercase()}),
        )
        .json();
    assert_eq!(a["clientId"], cid);
    assert_eq!(a["visitorId"], b["visitorId"]);
    assert_eq!(a["visitId"], b["visitId"]);
    let c = emu.post("custom", &custom_event()).json();
    let d = emu.post("custom", &custom_event()).json();
    assert_ne!(
        c["visitorId"], d["visitorId"],
        "no clientId: a new visitor each time"
    );
    assert_ne!(c["clientId"], d["clientId"]);
    assert_ne!(c["visitorId"], a["visitorId"]);
}

#[test]
fn health_status_and_visit() {
    let emu = Emulator::start(&[]);
    let r = emu.request("GET", "/rest/ua/v15/analytics/monitoring/health", &[], b"");
    assert_eq!((r.status, r.json()), (200, json!({"status": "UP"})));
    let r = emu.request("GET", "/rest/ua/v15/analytics/status", &[], b"");
    assert_eq!((r.status, r.json()), (200, json!({"status": "online"})));
    let auth = format!("Bearer {TOKEN}");
    let r = emu.request(
        "GET",
        "/rest/ua/v15/analytics/visit",
        &[("Authorization", &auth)],
        b"",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert!(is_uuid(v["id"].as_str().unwrap()) && is_uuid(v["visitorId"].as_str().unwrap()));
    emu.request("GET", "/rest/ua/v15/analytics/visit", &[], b"")
        .expect_error(400, "InvalidTokenHeader");
}

#[test]
fn origin_level1_is_filled_from_the_search_token() {
    let emu = Emulator::start(&[]);
    let token = search_token(
        &json!({"organization": ORG, "searchHub": "Portal", "exp": epoch_plus(600)}),
        "k",
    );
    let auth = format!("Bearer {token}");
    let r = emu.post_with("custom", &custom_event(), &[("Authorization", &auth)]);
    assert_eq!(r.status, 200, "{}", r.text());
    let log = emu.events();
    assert_eq!(log[0]["body"]["originLevel1"], "Portal");
    assert_eq!(log[0]["org"], ORG);
}

#[test]
fn keep_alive_chunked_continue_and_pipelining() {
    let emu = Emulator::start(&[]);
    let auth = format!("Bearer {TOKEN}");
    let h = [
        ("Content-Type", "application/json"),
        ("Authorization", auth.as_str()),
    ];
    let body = custom_event().to_string();
    let mut c = emu.connect();
    for _ in 0..5 {
        assert_eq!(
            c.request("POST", "/rest/ua/v15/analytics/custom", &h, body.as_bytes())
                .status,
            200
        );
    }
    // Chunked body with an extension and a trailer.
    let (a, b) = body.split_at(10);
    let chunked = format!(
        "POST /rest/ua/v15/analytics/custom HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n\
         Authorization: {auth}\r\nTransfer-Encoding: chunked\r\n\r\n{:x};ext=1\r\n{a}\r\n{:x}\r\n{b}\r\n0\r\nX-T: 1\r\n\r\n",
        a.len(),
        b.len()
    );
    c.send_raw(chunked.as_bytes()).unwrap();
    assert_eq!(c.read_response().unwrap().status, 200);
    // Expect: 100-continue gets an interim answer before the body is sent.
    let head = format!(
        "POST /rest/ua/v15/analytics/custom HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n\
         Authorization: {auth}\r\nExpect: 100-continue\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    c.send_raw(head.as_bytes()).unwrap();
    let mut interim = [0u8; 25];
    std::io::Read::read_exact(&mut c.stream, &mut interim).unwrap();
    assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
    c.send_raw(body.as_bytes()).unwrap();
    assert_eq!(c.read_response().unwrap().status, 200);
    // Two requests in one write.
    let one = format!(
        "POST /rest/ua/v15/analytics/custom HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n\
         Authorization: {auth}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    c.send_raw(format!("{one}{one}").as_bytes()).unwrap();
    assert_eq!(c.read_response().unwrap().status, 200);
    assert_eq!(c.read_response().unwrap().status, 200);
    assert_eq!(emu.events().len(), 9);
    // Connections: the client's, the one for events() and the one for stats().
    let stats = emu.stats();
    assert_eq!(stats["connections"], 3, "{stats}");
}

#[test]
fn connection_close_and_http_1_0() {
    let emu = Emulator::start(&[]);
    let mut c = emu.connect();
    c.send_raw(
        b"GET /rest/ua/v15/analytics/status HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    )
    .unwrap();
    let r = c.read_response().unwrap();
    assert_eq!((r.status, r.header("connection")), (200, Some("close")));
    assert!(c.read_to_close().unwrap().is_empty());
    let mut c = emu.connect();
    c.send_raw(b"GET /rest/ua/v15/analytics/status HTTP/1.0\r\n\r\n")
        .unwrap();
    assert_eq!(c.read_response().unwrap().status, 200);
    assert!(c.read_to_close().unwrap().is_empty());
}
