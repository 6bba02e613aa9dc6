//! Every documented error type, drawn by the request the README's table names.

mod common;

use common::*;
use serde_json::json;

const CUSTOM: &str = "/rest/ua/v15/analytics/custom";

fn good_headers() -> Vec<(&'static str, String)> {
    vec![
        ("Content-Type", "application/json".into()),
        ("Accept", "application/json".into()),
        ("Authorization", format!("Bearer {TOKEN}")),
    ]
}

/// Sends a custom event with the good headers changed by `change`.
fn custom_with_headers(emu: &Emulator, change: &[(&str, &str)], drop: &[&str]) -> Resp {
    let mut headers = good_headers();
    headers.retain(|(k, _)| !drop.contains(k) && !change.iter().any(|(c, _)| c == k));
    let mut refs: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    refs.extend_from_slice(change);
    emu.request("POST", CUSTOM, &refs, custom_event().to_string().as_bytes())
}

#[test]
fn invalid_headers_exception() {
    let emu = Emulator::start(&[]);
    // A header value with a byte outside visible ASCII.
    let mut c = emu.connect();
    let mut raw = format!(
        "POST {CUSTOM} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n\
         Authorization: Bearer {TOKEN}\r\nX-Note: caf\u{e9}\r\nContent-Length: 2\r\n\r\n{{}}"
    )
    .into_bytes();
    c.send_raw(&raw).unwrap();
    let msg = c
        .read_response()
        .unwrap()
        .expect_error(400, "InvalidHeadersException");
    assert!(msg.contains("X-Note"), "{msg}");
    // A control character makes the head unparsable: same type, then close.
    raw = format!("GET {CUSTOM} HTTP/1.1\r\nHost: t\r\nX-Bad: a\x01b\r\n\r\n").into_bytes();
    let mut c = emu.connect();
    c.send_raw(&raw).unwrap();
    c.read_response()
        .unwrap()
        .expect_error(400, "InvalidHeadersException");
    assert!(
        c.read_to_close().unwrap().is_empty(),
        "connection should close"
    );
    // A malformed X-Forwarded-For.
    let r = custom_with_headers(&emu, &[("X-Forwarded-For", "not-an-address")], &[]);
    r.expect_error(400, "InvalidHeadersException");
    let r = custom_with_headers(&emu, &[("X-Forwarded-For", "10.0.0.1, ::1")], &[]);
    assert_eq!(r.status, 200, "{}", r.text());
    // Two Authorization headers.
    let auth = format!("Bearer {TOKEN}");
    let r = custom_with_headers(
        &emu,
        &[("Authorization", &auth), ("Authorization", &auth)],
        &[],
    );
    r.expect_error(400, "InvalidHeadersException");
}

#[test]
fn invalid_json_with_position() {
    let emu = Emulator::start(&[]);
    let auth = format!("Bearer {TOKEN}");
    let h = [
        ("Content-Type", "application/json"),
        ("Authorization", auth.as_str()),
    ];
    let r = emu.request(
        "POST",
        CUSTOM,
        &h,
        b"{\n  \"eventType\": \"a\"\n  \"eventValue\": 1}",
    );
    let msg = r.expect_error(400, "InvalidJson");
    assert!(
        msg.starts_with("Unable to parse the provided JSON: "),
        "{msg}"
    );
    assert!(msg.ends_with(" at line 3, column 3."), "{msg}");
    let r = emu.request("POST", CUSTOM, &h, b"");
    assert!(r
        .expect_error(400, "InvalidJson")
        .contains("at line 1, column 0."));
    let r = emu.request("POST", CUSTOM, &h, b"{\"eventType\": \"\xc3\x28\"}");
    let msg = r.expect_error(400, "InvalidJson");
    assert!(msg.contains("UTF-8"), "{msg}");
    let deep = "[".repeat(100_000);
    emu.request("POST", CUSTOM, &h, deep.as_bytes())
        .expect_error(400, "InvalidJson");
    assert!(emu.events().is_empty());
}

#[test]
fn invalid_object_names_the_field() {
    let emu = Emulator::start(&[]);
    let cases = [
        ("custom", json!([1, 2]), "custom event"),
        ("custom", json!("text"), "custom event"),
        ("searches", json!({"a": 1}), "array"),
        ("searches", json!([1]), "Every item"),
    ];
    for (kind, body, needle) in cases {
        let msg = emu.post(kind, &body).expect_error(400, "InvalidObject");
        assert!(msg.contains(needle), "{kind} {body}: {msg}");
    }
    let typed = [
        ("custom", "outcome", json!("3")),
        ("custom", "outcome", json!(6)),
        ("custom", "outcome", json!(-6)),
        ("custom", "outcome", json!(1.5)),
        ("search", "responseTime", json!(0)),
        ("search", "responseTime", json!("12")),
        ("search", "numberOfResults", json!(-1)),
        ("click", "documentPosition", json!(0)),
        ("view", "clientId", json!("not-a-uuid")),
        ("view", "customData", json!(["a"])),
        ("click", "anonymous", json!("yes")),
    ];
    for (kind, field, value) in typed {
        let mut body = valid_event(kind);
        body[field] = value.clone();
        let msg = emu.post(kind, &body).expect_error(400, "InvalidObject");
        assert!(
            msg.contains(&format!("{kind}Event.{field}")),
            "{field}={value}: {msg}"
        );
    }
    // Edges that must pass.
    let mut ok = valid_event("custom");
    ok["outcome"] = json!(-5);
    ok["anonymous"] = json!(false);
    ok["customData"] = json!({"k": "v"});
    ok["clientId"] = json!("0F8FAD5B-D9CB-469F-A165-70867728950E");
    assert_eq!(emu.post("custom", &ok).status, 200);
    assert_eq!(emu.events().len(), 1);
}

#[test]
fn missing_parameter_per_kind() {
    let emu = Emulator::start(&[]);
    let required = [
        (
            "search",
            vec![
                "actionCause",
                "language",
                "queryText",
                "responseTime",
                "searchQueryUid",
            ],
        ),
        (
            "click",
            vec![
                "actionCause",
                "documentPosition",
                "language",
                "searchQueryUid",
                "sourceName",
            ],
        ),
        ("custom", vec!["eventType", "eventValue", "language"]),
        ("view", vec!["location"]),
    ];
    for (kind, fields) in required {
        for field in fields {
            let mut body = valid_event(kind);
            body.as_object_mut().unwrap().remove(field);
            let msg = emu.post(kind, &body).expect_error(400, "MissingParameter");
            assert_eq!(msg, format!("Parameter '{kind}Event.{field}' is missing."));
            body[field] = serde_json::Value::Null;
            emu.post(kind, &body).expect_error(400, "MissingParameter");
        }
    }
    // Lenient cases: a view without language, a search with an empty queryText.
    assert_eq!(emu.post("view", &json!({"location": "x"})).status, 200);
    let mut s = valid_event("search");
    s["queryText"] = json!("");
    assert_eq!(emu.post("search", &s).status, 200);
    // One bad item rejects the whole batch.
    let mut bad = valid_event("search");
    bad.as_object_mut().unwrap().remove("language");
    let batch = json!([valid_event("search"), bad]);
    emu.post("searches", &batch)
        .expect_error(400, "MissingParameter");
    assert_eq!(emu.events().len(), 2);
}

#[test]
fn invalid_token_and_token_header() {
    let emu = Emulator::start(&[]);
    custom_with_headers(&emu, &[], &["Authorization"]).expect_error(400, "InvalidTokenHeader");
    let msg = custom_with_headers(&emu, &[("Authorization", "Baerer xx-test-key")], &[])
        .expect_error(400, "InvalidTokenHeader");
    assert!(msg.contains("Baerer"), "{msg}");
    assert!(!msg.contains(TOKEN), "tokens are never echoed: {msg}");
    custom_with_headers(&emu, &[("Authorization", "Bearer")], &[])
        .expect_error(400, "InvalidTokenHeader");
    custom_with_headers(&emu, &[("Authorization", "xx-test-key")], &[])
        .expect_error(400, "InvalidTokenHeader");
    // The scheme is case-insensitive.
    let r = custom_with_headers(&emu, &[("Authorization", "bearer xx-test-key")], &[]);
    assert_eq!(r.status, 200, "{}", r.text());
    custom_with_headers(&emu, &[("Authorization", "Bearer xx-unknown")], &[])
        .expect_error(400, "InvalidToken");
}

#[test]
fn search_tokens_verified_with_secret() {
    let emu = Emulator::start(&["--jwt-secret", "s3cret"]);
    let send = |token: &str| {
        let auth = format!("Bearer {token}");
        custom_with_headers(&emu, &[("Authorization", &auth)], &[])
    };
    let good = search_token(
        &json!({"organization": ORG, "exp": epoch_plus(3600)}),
        "s3cret",
    );
    assert_eq!(send(&good).status, 200);
    let expired = search_token(
        &json!({"organization": ORG, "exp": epoch_plus(-60)}),
        "s3cret",
    );
    assert!(send(&expired)
        .expect_error(400, "InvalidToken")
        .contains("expired"));
    let forged = search_token(
        &json!({"organization": ORG, "exp": epoch_plus(3600)}),
        "guess",
    );
    assert!(send(&forged)
        .expect_error(400, "InvalidToken")
        .contains("signature"));
    let foreign = search_token(
        &json!({"organization": "other-org", "exp": epoch_plus(3600)}),
        "s3cret",
    );
    send(&foreign).expect_error(400, "InvalidToken");
    send("a.b.c").expect_error(400, "InvalidToken");
}

#[test]
fn search_tokens_unverified_without_secret() {
    let emu = Emulator::start(&[]);
    let token = search_token(
        &json!({"organization": ORG, "exp": epoch_plus(3600)}),
        "anything",
    );
    let auth = format!("Bearer {token}");
    let r = custom_with_headers(&emu, &[("Authorization", &auth)], &[]);
    assert_eq!(r.status, 200, "{}", r.text());
}

#[test]
fn unauthorized_hub() {
    let emu = Emulator::start(&[]);
    let token = search_token(
        &json!({"organization": ORG, "searchHub": "SupportHub", "exp": epoch_plus(3600)}),
        "x",
    );
    let auth = format!("Bearer {token}");
    let mut body = custom_event();
    body["originLevel1"] = json!("ExternalSearch");
    let msg = emu
        .post_with("custom", &body, &[("Authorization", &auth)])
        .expect_error(400, "UnauthorizedHub");
    assert_eq!(
        msg,
        "You are not authorized to insert events in search hub 'ExternalSearch' \
         since your token restricts you to search hub 'SupportHub'."
    );
    body["originLevel1"] = json!("SupportHub");
    assert_eq!(
        emu.post_with("custom", &body, &[("Authorization", &auth)])
            .status,
        200
    );
}

#[test]
fn organizations() {
    let emu = Emulator::start(&["--readonly-key", "xx-readonly", "--oauth-token", "oauth-1"]);
    let with = |auth: &str, query: &str| {
        let h = format!("Bearer {auth}");
        let path = format!("{CUSTOM}{query}");
        emu.request(
            "POST",
            &path,
            &[("Content-Type", "application/json"), ("Authorization", &h)],
            custom_event().to_string().as_bytes(),
        )
    };
    with("xx-readonly", "").expect_error(400, "UnauthorizedOrg");
    with(TOKEN, "?org=someone-else").expect_error(400, "UnauthorizedOrg");
    assert_eq!(with(TOKEN, "?org=test-org").status, 200);
    with("oauth-1", "").expect_error(400, "NoWorkgroupAssociatedWithToken");
    with("oauth-1", "?org=someone-else").expect_error(400, "UnauthorizedOrg");
    assert_eq!(with("oauth-1", "?org=test-org").status, 200);
}

#[test]
fn invalid_uri_and_wrong_method() {
    let emu = Emulator::start(&[]);
    for path in [
        "/rest/ua/v15/analytics/nope",
        "/rest/ua/v14/analytics/custom",
        "/",
        "/rest/ua",
    ] {
        emu.request("GET", path, &[], b"")
            .expect_error(404, "InvalidUri");
    }
    let r = emu.request("GET", CUSTOM, &[], b"");
    r.expect_error(405, "MethodNotAllowed");
    assert_eq!(r.header("allow"), Some("POST"));
    emu.request(
        "POST",
        "/rest/ua/v15/analytics/monitoring/health",
        &[],
        b"{}",
    )
    .expect_error(405, "MethodNotAllowed");
    emu.request("GET", "/_emulator/nope", &[], b"")
        .expect_error(404, "InvalidUri");
}

#[test]
fn not_acceptable_and_unsupported_media_type() {
    let emu = Emulator::start(&[]);
    custom_with_headers(&emu, &[("Accept", "text/html")], &[]).expect_error(406, "InvalidRequest");
    for accept in [
        "*/*",
        "application/*",
        "application/json; charset=utf-8",
        "text/html, application/json",
    ] {
        assert_eq!(
            custom_with_headers(&emu, &[("Accept", accept)], &[]).status,
            200,
            "{accept}"
        );
    }
    assert_eq!(custom_with_headers(&emu, &[], &["Accept"]).status, 200);
    custom_with_headers(&emu, &[("Content-Type", "text/plain")], &[])
        .expect_error(415, "InvalidRequest");
    custom_with_headers(&emu, &[], &["Content-Type"]).expect_error(415, "InvalidRequest");
    let r = custom_with_headers(
        &emu,
        &[("Content-Type", "Application/JSON; charset=UTF-8")],
        &[],
    );
    assert_eq!(r.status, 200);
}

#[test]
fn too_many_requests_with_retry_after() {
    let emu = Emulator::start(&["--rate-limit", "3", "--api-key", "xx-other"]);
    let mut c = emu.connect();
    let auth = format!("Bearer {TOKEN}");
    let h = [
        ("Content-Type", "application/json"),
        ("Authorization", auth.as_str()),
    ];
    let body = custom_event().to_string();
    // Within one second window at most 3 pass; sending 20 back to back must
    // hit the limit unless they spread over more than six windows.
    let mut limited = None;
    for _ in 0..20 {
        let r = c.request("POST", CUSTOM, &h, body.as_bytes());
        if r.status == 429 {
            limited = Some(r);
            break;
        }
        assert_eq!(r.status, 200);
    }
    let r = limited.expect("the rate limit never answered 429");
    r.expect_error(429, "TooManyRequestsException");
    let wait: u64 = r
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!(wait >= 1);
    // The limit is per token: another key is not held back.
    let other = [
        ("Content-Type", "application/json"),
        ("Authorization", "Bearer xx-other"),
    ];
    assert_eq!(
        c.request("POST", CUSTOM, &other, body.as_bytes()).status,
        200
    );
}

#[test]
fn order_of_checks() {
    let emu = Emulator::start(&[]);
    // Wrong Accept, wrong Content-Type, no token and bad JSON: Accept wins.
    let r = emu.request(
        "POST",
        CUSTOM,
        &[("Accept", "text/html"), ("Content-Type", "text/plain")],
        b"{",
    );
    r.expect_error(406, "InvalidRequest");
    // Wrong Content-Type, no token, bad JSON: Content-Type.
    emu.request("POST", CUSTOM, &[("Content-Type", "text/plain")], b"{")
        .expect_error(415, "InvalidRequest");
    // No token and bad JSON: token.
    emu.request(
        "POST",
        CUSTOM,
        &[("Content-Type", "application/json")],
        b"{",
    )
    .expect_error(400, "InvalidTokenHeader");
    // Unknown path beats everything.
    emu.request(
        "POST",
        "/rest/ua/v15/analytics/nope",
        &[("Accept", "text/html")],
        b"{",
    )
    .expect_error(404, "InvalidUri");
    // Missing field before a bad type.
    let body = json!({"eventValue": "v", "language": "en", "outcome": "bad"});
    emu.post("custom", &body)
        .expect_error(400, "MissingParameter");
}
