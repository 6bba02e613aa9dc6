//! The library against the real `ua-emulator`: successes, every documented
//! error type, and the checks made before sending.

mod common;

use common::*;
use coveo_ua::{Client, Code, EventKind};

#[test]
fn every_kind_is_accepted_and_logged() {
    let emu = Emulator::start(&[]);
    let client = emu.client();
    for (kind, body) in [
        (EventKind::Search, SEARCH),
        (EventKind::Click, CLICK),
        (EventKind::Custom, CUSTOM),
        (EventKind::View, VIEW),
    ] {
        let r = client.send(kind, body);
        assert_eq!(r.code(), Code::Ok, "{kind:?}: {}", r.message());
        assert_eq!(r.http_status(), 200);
        assert_eq!(r.attempts(), 1);
        assert_eq!(r.error_type(), None);
        assert!(
            r.visitor_id().is_some_and(|v| !v.is_empty()),
            "{kind:?} has no visitor id"
        );
        assert!(r.body().is_some());
        assert!(!r.message().is_empty());
    }
    let events = emu.events();
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e["kind"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(kinds, ["search", "click", "custom", "view"]);
    assert_eq!(events[2]["body"]["eventValue"], "integration");
}

#[test]
fn the_body_is_sent_unchanged() {
    let emu = Emulator::start(&[]);
    let body = "{ \"eventType\" : \"t\",\n \"eventValue\":\"é \\u00e9\", \"language\":\"en\", \"customData\": {\"n\": 1.50} }";
    let r = emu.client().send(EventKind::Custom, body);
    assert_eq!(r.code(), Code::Ok, "{}", r.message());
    let events = emu.events();
    assert_eq!(events[0]["body"]["eventValue"], "é é");
}

#[test]
fn org_is_sent_as_a_query_parameter() {
    let emu = Emulator::start(&[]);
    // An OAuth token has no organization: without org the service refuses it.
    let mut o = emu.options();
    o.set_token(OAUTH_TOKEN).unwrap();
    let r = Client::new(&o).unwrap().send(EventKind::Custom, CUSTOM);
    assert_eq!(
        r.code(),
        Code::NoWorkgroupAssociatedWithToken,
        "{}",
        r.message()
    );
    assert_eq!(r.http_status(), 400);
    assert_eq!(r.error_type(), Some("NoWorkgroupAssociatedWithToken"));
    assert_eq!(r.attempts(), 1);
    o.set_org(Some(ORG)).unwrap();
    let r = Client::new(&o).unwrap().send(EventKind::Custom, CUSTOM);
    assert_eq!(r.code(), Code::Ok, "{}", r.message());
    assert_eq!(emu.events()[0]["org"], ORG);
}

#[test]
fn unknown_token_is_invalid_token() {
    let emu = Emulator::start(&[]);
    let mut o = emu.options();
    o.set_token("xx-not-a-known-key").unwrap();
    let r = Client::new(&o).unwrap().send(EventKind::Custom, CUSTOM);
    assert_eq!(r.code(), Code::InvalidToken, "{}", r.message());
    assert_eq!(r.error_type(), Some("InvalidToken"));
    assert_eq!(r.attempts(), 1, "a 4xx is never retried");
    assert!(!r.message().contains("xx-not-a-known-key"));
}

#[test]
fn unauthorized_org() {
    let emu = Emulator::start(&[]);
    let mut o = emu.options();
    o.set_token(READONLY_KEY).unwrap();
    let r = Client::new(&o).unwrap().send(EventKind::Custom, CUSTOM);
    assert_eq!(r.code(), Code::UnauthorizedOrg, "{}", r.message());
    let mut o = emu.options();
    o.set_org(Some("someone-else")).unwrap();
    let r = Client::new(&o).unwrap().send(EventKind::Custom, CUSTOM);
    assert_eq!(r.code(), Code::UnauthorizedOrg, "{}", r.message());
    assert_eq!(r.http_status(), 400);
}

#[test]
fn wrong_path_is_invalid_uri() {
    let emu = Emulator::start(&[]);
    let mut o = emu.options();
    o.set_endpoint(Some(&emu.url.replace("/rest/ua", "/nope/rest/ua")))
        .unwrap();
    let r = Client::new(&o).unwrap().send(EventKind::Custom, CUSTOM);
    assert_eq!(r.code(), Code::InvalidUri, "{}", r.message());
    assert_eq!(r.http_status(), 404);
}

#[test]
fn the_service_judges_bodies_when_local_checks_are_off() {
    let emu = Emulator::start(&[]);
    let mut o = emu.options();
    o.set_local_checks(false);
    let client = Client::new(&o).unwrap();
    let cases = [
        ("{\"eventType\": \"t\",", Code::InvalidJson, "InvalidJson"),
        (
            r#"{"eventType":"t","eventValue":"v","language":"en","outcome":"high"}"#,
            Code::InvalidObject,
            "InvalidObject",
        ),
        (
            r#"{"eventValue":"v","language":"en"}"#,
            Code::MissingParameter,
            "MissingParameter",
        ),
    ];
    for (body, code, service_type) in cases {
        let r = client.send(EventKind::Custom, body);
        assert_eq!(r.code(), code, "{body}: {}", r.message());
        assert_eq!(r.http_status(), 400);
        assert_eq!(r.attempts(), 1);
        assert_eq!(r.error_type(), Some(service_type));
    }
    assert_eq!(emu.stat("requests"), 3);
}

#[test]
fn local_checks_cost_no_round_trip() {
    let emu = Emulator::start(&[]);
    let client = emu.client();
    let cases = [
        (
            "{\"eventType\": \"t\",\n  oops}",
            Code::InvalidJson,
            "line 2, column",
        ),
        ("[1, 2]", Code::InvalidObject, "JSON object"),
        (
            r#"{"eventType":"t","eventValue":"v","language":"en","outcome":"high"}"#,
            Code::InvalidObject,
            "'customEvent.outcome'",
        ),
        (
            r#"{"eventType":"t","eventValue":"v","language":"en","clientId":"not-a-uuid"}"#,
            Code::InvalidObject,
            "'customEvent.clientId'",
        ),
        (
            r#"{"eventType":null,"eventValue":"v","language":"en"}"#,
            Code::MissingParameter,
            "Parameter 'customEvent.eventType' is missing.",
        ),
    ];
    for (body, code, needle) in cases {
        let r = client.send(EventKind::Custom, body);
        assert_eq!(r.code(), code, "{body}: {}", r.message());
        assert_eq!(r.attempts(), 0);
        assert_eq!(r.http_status(), 0);
        assert_eq!(r.error_type(), code.service_type());
        assert!(
            r.message().contains(needle),
            "{:?} lacks {needle:?}",
            r.message()
        );
    }
    let r = client.send(EventKind::Search, r#"{"actionCause":"a","language":"en","queryText":"q","responseTime":0,"searchQueryUid":"u"}"#);
    assert_eq!(r.code(), Code::InvalidObject);
    let r = client.send(
        EventKind::Click,
        r#"{"actionCause":"a","language":"en","searchQueryUid":"u","sourceName":"s"}"#,
    );
    assert_eq!(
        r.message(),
        "Parameter 'clickEvent.documentPosition' is missing."
    );
    let r = client.send(EventKind::View, r#"{"language":"en"}"#);
    assert_eq!(r.code(), Code::MissingParameter);
    assert_eq!(
        emu.stat("requests"),
        0,
        "a refused event must not reach the service"
    );
}

#[test]
fn search_token_hub_mismatch() {
    let emu = Emulator::start(&[]);
    let token = search_token("SupportHub");
    let mut o = emu.options();
    o.set_token(&token).unwrap();
    let body =
        r#"{"eventType":"t","eventValue":"v","language":"en","originLevel1":"ExternalSearch"}"#;
    let r = Client::new(&o).unwrap().send(EventKind::Custom, body);
    assert_eq!(r.code(), Code::UnauthorizedHub, "{}", r.message());
    assert_eq!(r.attempts(), 0);
    assert_eq!(r.error_type(), Some("UnauthorizedHub"));
    assert_eq!(
        r.message(),
        "You are not authorized to insert events in search hub 'ExternalSearch' since your token restricts you to search hub 'SupportHub'."
    );
    assert!(!r.message().contains(&token));
    // The service agrees.
    o.set_local_checks(false);
    let r = Client::new(&o).unwrap().send(EventKind::Custom, body);
    assert_eq!(r.code(), Code::UnauthorizedHub, "{}", r.message());
    assert_eq!(r.http_status(), 400);
    assert_eq!(r.attempts(), 1);
    // The right hub (or none) is accepted.
    o.set_local_checks(true);
    let client = Client::new(&o).unwrap();
    let good = r#"{"eventType":"t","eventValue":"v","language":"en","originLevel1":"SupportHub"}"#;
    assert_eq!(client.send(EventKind::Custom, good).code(), Code::Ok);
    let none = r#"{"eventType":"t","eventValue":"v","language":"en"}"#;
    assert_eq!(client.send(EventKind::Custom, none).code(), Code::Ok);
}

#[test]
fn documented_answers_map_to_their_codes() {
    let emu = Emulator::start(&[]);
    let mut o = emu.options();
    o.set_max_retries(0).unwrap();
    let client = Client::new(&o).unwrap();
    let cases: &[(&str, Code, Option<&str>)] = &[
        (
            r#"{"status":400,"type":"InvalidHeadersException","message":"m"}"#,
            Code::InvalidHeaders,
            Some("InvalidHeadersException"),
        ),
        (
            r#"{"status":400,"type":"InvalidTokenHeader","message":"m"}"#,
            Code::InvalidTokenHeader,
            Some("InvalidTokenHeader"),
        ),
        (
            r#"{"status":400,"type":"InvalidJson","message":"m"}"#,
            Code::InvalidJson,
            Some("InvalidJson"),
        ),
        (
            r#"{"status":400,"type":"InvalidObject","message":"m"}"#,
            Code::InvalidObject,
            Some("InvalidObject"),
        ),
        (
            r#"{"status":400,"type":"MissingParameter","message":"m"}"#,
            Code::MissingParameter,
            Some("MissingParameter"),
        ),
        (
            r#"{"status":400,"type":"UnauthorizedHub","message":"m"}"#,
            Code::UnauthorizedHub,
            Some("UnauthorizedHub"),
        ),
        (
            r#"{"status":404,"type":"InvalidUri","message":"m"}"#,
            Code::InvalidUri,
            Some("InvalidUri"),
        ),
        (
            r#"{"status":406,"type":"InvalidRequest","message":"m"}"#,
            Code::NotAcceptable,
            Some("InvalidRequest"),
        ),
        (
            r#"{"status":415,"type":"InvalidRequest","message":"m"}"#,
            Code::UnsupportedMediaType,
            Some("InvalidRequest"),
        ),
        (
            r#"{"status":400,"type":"InvalidRequest","message":"m"}"#,
            Code::UnexpectedResponse,
            Some("InvalidRequest"),
        ),
        (
            r#"{"status":429,"type":"TooManyRequestsException","message":"m"}"#,
            Code::TooManyRequests,
            Some("TooManyRequestsException"),
        ),
        (
            r#"{"status":500,"type":"InvalidJson","message":"m"}"#,
            Code::ServerError,
            Some("InvalidJson"),
        ),
        (r#"{"status":404,"body":"none"}"#, Code::InvalidUri, None),
        (r#"{"status":406,"body":"html"}"#, Code::NotAcceptable, None),
        (
            r#"{"status":415,"body":"text"}"#,
            Code::UnsupportedMediaType,
            None,
        ),
        (
            r#"{"status":401,"body":"html"}"#,
            Code::UnexpectedResponse,
            None,
        ),
        (
            r#"{"status":403,"body":"garbage"}"#,
            Code::UnexpectedResponse,
            None,
        ),
        (
            r#"{"status":418,"type":"Teapot","message":"short and stout"}"#,
            Code::UnexpectedResponse,
            Some("Teapot"),
        ),
        (r#"{"status":502,"body":"html"}"#, Code::ServerError, None),
        (
            r#"{"status":302,"body":"none"}"#,
            Code::UnexpectedResponse,
            None,
        ),
    ];
    for (rule, code, service_type) in cases {
        emu.fault(rule);
        let r = client.send(EventKind::Custom, CUSTOM);
        assert_eq!(r.code(), *code, "{rule}: {}", r.message());
        assert_eq!(r.error_type(), *service_type, "{rule}");
        assert_eq!(r.attempts(), 1, "{rule}");
        let status: u16 = serde_json::from_str::<serde_json::Value>(rule).unwrap()["status"]
            .as_u64()
            .unwrap() as u16;
        assert_eq!(r.http_status(), status, "{rule}");
        assert!(!r.message().is_empty());
        if service_type.is_some() && *code != Code::UnexpectedResponse || rule.contains("Teapot") {
            assert!(
                r.message() == "m" || r.message() == "short and stout",
                "{rule}: {}",
                r.message()
            );
        }
    }
}

#[test]
fn an_echoed_token_is_redacted() {
    let emu = Emulator::start(&[]);
    emu.fault(&format!(
        r#"{{"status":400,"type":"InvalidToken","message":"token {KEY} is unknown"}}"#
    ));
    let r = emu.client().send(EventKind::Custom, CUSTOM);
    assert_eq!(r.code(), Code::InvalidToken);
    assert!(!r.message().contains(KEY), "{}", r.message());
    assert!(r.message().contains("<redacted>"), "{}", r.message());
    let body = String::from_utf8_lossy(r.body().expect("body"));
    assert!(!body.contains(KEY), "{body}");
}

#[test]
fn a_ten_megabyte_event_is_sent() {
    let emu = Emulator::start(&["--max-body", "20000000"]);
    let filler = "x".repeat(10 * 1024 * 1024);
    let body = format!(
        r#"{{"eventType":"t","eventValue":"v","language":"en","customData":{{"blob":"{filler}"}}}}"#
    );
    let mut o = emu.options();
    o.set_timeout_ms(30_000).unwrap();
    o.set_deadline_ms(60_000).unwrap();
    let r = Client::new(&o).unwrap().send(EventKind::Custom, &body);
    assert_eq!(r.code(), Code::Ok, "{}", r.message());
}

#[test]
fn a_client_is_shared_by_threads() {
    let emu = Emulator::start(&[]);
    let client = emu.client();
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| {
                for _ in 0..20 {
                    let r = client.send(EventKind::Custom, CUSTOM);
                    assert_eq!(r.code(), Code::Ok, "{}", r.message());
                }
            });
        }
    });
    assert_eq!(emu.events().len(), 160);
}
