//! `/v15/analytics/collect`: any JSON object is accepted and logged as a
//! `collect` event, and every error of the catalog that does not depend on an
//! event's fields is drawn there as on the other paths. Field rules (required,
//! typed, search hub) are not: the service publishes none for collect events.

mod common;

use common::*;
use serde_json::{json, Value};

const COLLECT: &str = "/rest/ua/v15/analytics/collect";

/// POSTs `body` bytes to `/collect` with the good headers, `extra` replacing
/// or adding headers, `drop` removing some.
fn collect_raw(emu: &Emulator, body: &[u8], extra: &[(&str, &str)], drop: &[&str]) -> Resp {
    let auth = format!("Bearer {TOKEN}");
    let mut headers: Vec<(&str, &str)> = vec![
        ("Content-Type", "application/json"),
        ("Accept", "application/json"),
        ("Authorization", &auth),
    ];
    headers.retain(|(h, _)| {
        !drop.iter().any(|d| d.eq_ignore_ascii_case(h))
            && !extra.iter().any(|(e, _)| e.eq_ignore_ascii_case(h))
    });
    headers.extend_from_slice(extra);
    emu.request("POST", COLLECT, &headers, body)
}

fn collect_with(emu: &Emulator, extra: &[(&str, &str)], drop: &[&str]) -> Resp {
    let body = valid_event("collect").to_string();
    collect_raw(emu, body.as_bytes(), extra, drop)
}

#[test]
fn any_object_is_accepted_and_logged_as_collect() {
    let emu = Emulator::start(&[]);
    let event = valid_event("collect");
    let r = emu.post("collect", &event);
    assert_eq!(r.status, 200, "{}", r.text());
    let answer = r.json();
    for id in ["visitId", "visitorId"] {
        assert!(is_uuid(answer[id].as_str().unwrap_or("")), "{id}: {answer}");
    }
    assert_eq!(answer["clientId"], event["cid"], "the cid is the client id");
    assert!(answer.get("searchEventUid").is_none(), "{answer}");
    // Fields that would be refused on /custom mean nothing here; an empty
    // object is an event too.
    let odd = json!({"outcome": "high", "clientId": "nope", "customData": [1], "anonymous": 1});
    assert_eq!(emu.post("collect", &odd).status, 200);
    assert_eq!(emu.post("collect", &json!({})).status, 200);

    let log = emu.events();
    assert_eq!(log.len(), 3, "{log:?}");
    assert!(log
        .iter()
        .all(|e| e["kind"] == "collect" && e["path"] == COLLECT));
    assert_eq!(log[0]["body"], event, "logged as sent");
    assert_eq!(log[0]["visitorId"], answer["visitorId"]);
    assert_eq!(log[1]["body"]["outcome"], "high");
}

#[test]
fn the_visitor_follows_the_cid() {
    let emu = Emulator::start(&[]);
    let cid = "5d1c0a7e-3b2f-4c8d-9e6a-1f2b3c4d5e6f";
    let first = emu
        .post("collect", &json!({"t": "pageview", "cid": cid}))
        .json();
    let again = emu
        .post("collect", &json!({"t": "event", "cid": cid.to_uppercase()}))
        .json();
    assert_eq!(first["visitorId"], again["visitorId"]);
    let mut custom = custom_event();
    custom["clientId"] = json!(cid);
    let same = emu.post("custom", &custom).json();
    assert_eq!(
        same["visitorId"], first["visitorId"],
        "one visitor per client id"
    );
    // A cid that is no UUID is not a client id: fresh identifiers each time.
    let a = emu.post("collect", &json!({"cid": "visitor-1"})).json();
    let b = emu.post("collect", &json!({"cid": "visitor-1"})).json();
    assert_ne!(a["visitorId"], b["visitorId"]);
    assert_ne!(a["clientId"], "visitor-1");
}

#[test]
fn body_errors_are_drawn_at_collect() {
    let emu = Emulator::start(&[]);
    let msg = collect_raw(&emu, b"{\"t\": \"event\"\n \"ec\": 1}", &[], &[])
        .expect_error(400, "InvalidJson");
    assert!(msg.ends_with(" at line 2, column 2."), "{msg}");
    // The browser beacon's form encoding is not JSON.
    collect_raw(&emu, b"t=event&ec=case", &[], &[]).expect_error(400, "InvalidJson");
    collect_raw(&emu, b"", &[], &[]).expect_error(400, "InvalidJson");
    collect_raw(&emu, b"{\"t\": \"\xc3\x28\"}", &[], &[]).expect_error(400, "InvalidJson");
    collect_raw(&emu, "[".repeat(1000).as_bytes(), &[], &[]).expect_error(400, "InvalidJson");
    for body in [
        json!([{"t": "event"}]),
        json!("t=event"),
        json!(7),
        Value::Null,
    ] {
        let msg = emu
            .post("collect", &body)
            .expect_error(400, "InvalidObject");
        assert!(msg.contains("collect event"), "{body}: {msg}");
    }
    assert!(emu.events().is_empty());
}

#[test]
fn header_and_token_errors_are_drawn_at_collect() {
    let emu = Emulator::start(&["--readonly-key", "xx-readonly", "--oauth-token", "oauth-1"]);
    collect_with(&emu, &[("X-Forwarded-For", "not-an-address")], &[])
        .expect_error(400, "InvalidHeadersException");
    collect_with(&emu, &[("Accept", "text/html")], &[]).expect_error(406, "InvalidRequest");
    collect_with(&emu, &[("Content-Type", "text/plain")], &[]).expect_error(415, "InvalidRequest");
    // The beacon's form encoding is refused as a type too.
    collect_with(
        &emu,
        &[("Content-Type", "application/x-www-form-urlencoded")],
        &[],
    )
    .expect_error(415, "InvalidRequest");
    collect_with(&emu, &[], &["Authorization"]).expect_error(400, "InvalidTokenHeader");
    collect_with(&emu, &[("Authorization", "Baerer x")], &[])
        .expect_error(400, "InvalidTokenHeader");
    collect_with(&emu, &[("Authorization", "Bearer xx-unknown")], &[])
        .expect_error(400, "InvalidToken");
    collect_with(&emu, &[("Authorization", "Bearer xx-readonly")], &[])
        .expect_error(400, "UnauthorizedOrg");
    collect_with(&emu, &[("Authorization", "Bearer oauth-1")], &[])
        .expect_error(400, "NoWorkgroupAssociatedWithToken");
    let body = valid_event("collect").to_string();
    let auth = format!("Bearer {TOKEN}");
    let h = [
        ("Content-Type", "application/json"),
        ("Authorization", auth.as_str()),
    ];
    let r = emu.request(
        "POST",
        &format!("{COLLECT}?org=other-org"),
        &h,
        body.as_bytes(),
    );
    r.expect_error(400, "UnauthorizedOrg");
    let r = emu.request("GET", COLLECT, &h, b"");
    r.expect_error(405, "MethodNotAllowed");
    assert_eq!(r.header("allow"), Some("POST"));
    let r = emu.request("POST", &format!("{COLLECT}/x"), &h, body.as_bytes());
    r.expect_error(404, "InvalidUri");
    assert!(emu.events().is_empty());
    // The OAuth token with its organization named is accepted.
    let oauth = [
        ("Content-Type", "application/json"),
        ("Authorization", "Bearer oauth-1"),
    ];
    let r = emu.request(
        "POST",
        &format!("{COLLECT}?org={ORG}"),
        &oauth,
        body.as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
}

#[test]
fn a_search_token_hub_does_not_judge_collect_events() {
    let emu = Emulator::start(&[]);
    let token = search_token(
        &json!({"organization": ORG, "searchHub": "SupportHub", "exp": epoch_plus(3600)}),
        "x",
    );
    let auth = format!("Bearer {token}");
    let body = json!({"t": "event", "originLevel1": "ExternalSearch"});
    let r = emu.post_with("collect", &body, &[("Authorization", &auth)]);
    assert_eq!(r.status, 200, "{}", r.text());
    let log = emu.events();
    assert_eq!(log[0]["body"], body, "nothing filled in from the token");
    let r = emu.post_with(
        "collect",
        &json!({"t": "event"}),
        &[("Authorization", &auth)],
    );
    assert_eq!(r.status, 200);
    assert!(emu.events()[1]["body"].get("originLevel1").is_none());
}

#[test]
fn rate_limits_and_faults_apply_to_collect() {
    let emu = Emulator::start(&["--rate-limit", "2"]);
    // Within one wall-clock second the third request is over the limit; a
    // second boundary between them may reset the count, so try a few times.
    let over = (0..20).find_map(|_| {
        let answers: Vec<Resp> = (0..3).map(|_| emu.post("collect", &json!({}))).collect();
        answers.into_iter().find(|r| r.status == 429)
    });
    let r = over.expect("a third request within one second draws 429");
    r.expect_error(429, "TooManyRequestsException");
    assert_eq!(r.header("retry-after"), Some("1"));

    let emu = Emulator::start(&[]);
    emu.add_fault(json!({"status": 503, "count": 1, "path": COLLECT}));
    let custom = emu.post("custom", &custom_event());
    assert_eq!(custom.status, 200, "the rule is for /collect only");
    assert_eq!(emu.post("collect", &json!({})).status, 503);
    assert_eq!(emu.post("collect", &json!({})).status, 200);
    let stats = emu.stats();
    assert_eq!(stats["requests_by_kind"]["collect"], 2, "{stats}");
    assert_eq!(stats["faults_by_kind"]["collect"], 1, "{stats}");
}
