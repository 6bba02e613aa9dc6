//! Collect events against the real `ua-emulator`: one object to `/collect`, the
//! visitor id from the answer, only what is surely wrong refused before
//! sending, and the delivery queue taking them like any other kind.

mod common;

use common::*;
use coveo_ua::{Client, Code, EventKind, Queue};
use std::time::Duration;

const COLLECT: &str = r#"{"t":"event","ec":"case","ea":"open","cid":"5d1c0a7e-3b2f-4c8d-9e6a-1f2b3c4d5e6f","svc_action":"ticket_create","svc_action_data":{"ticket":{"subject":"printer"}}}"#;

#[test]
fn a_collect_event_goes_to_collect_and_reports_its_visitor() {
    let emu = Emulator::start(&[]);
    let r = emu.client().send(EventKind::Collect, COLLECT);
    assert_eq!(r.code(), Code::Ok, "{}", r.message());
    assert_eq!((r.http_status(), r.attempts()), (200, 1));
    let events = emu.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["kind"], "collect");
    assert_eq!(events[0]["path"], "/rest/ua/v15/analytics/collect");
    assert_eq!(events[0]["body"]["svc_action"], "ticket_create");
    assert_eq!(r.visitor_id(), events[0]["visitorId"].as_str());
    assert_eq!(emu.requests_for("collect"), 1);
}

#[test]
fn only_what_is_surely_wrong_is_refused_before_sending() {
    let emu = Emulator::start(&[]);
    let client = emu.client();
    // Fields the checks of other kinds would refuse are the service's to judge.
    for body in [
        "{}",
        r#"{"outcome":"high","clientId":"nope","customData":[1]}"#,
    ] {
        let r = client.send(EventKind::Collect, body);
        assert_eq!(r.code(), Code::Ok, "{body}: {}", r.message());
    }
    for (body, code) in [
        ("[{}]", Code::InvalidObject),
        ("\"t=event\"", Code::InvalidObject),
        ("t=event&ec=case", Code::InvalidJson),
    ] {
        let r = client.send(EventKind::Collect, body);
        assert_eq!(r.code(), code, "{body}");
        assert_eq!((r.http_status(), r.attempts()), (0, 0), "{body}");
    }
    assert_eq!(emu.requests_for("collect"), 2, "refusals cost no request");
}

#[test]
fn without_local_checks_the_service_refuses_a_non_object() {
    let emu = Emulator::start(&[]);
    let mut o = emu.options();
    o.set_local_checks(false);
    let client = Client::new(&o).unwrap();
    let r = client.send(EventKind::Collect, "[1]");
    assert_eq!((r.code(), r.http_status()), (Code::InvalidObject, 400));
    assert_eq!(r.error_type(), Some("InvalidObject"));
    assert!(emu.events().is_empty());
}

#[test]
fn the_queue_delivers_collect_events_and_retries_them() {
    let emu = Emulator::start(&[]);
    emu.fault(r#"{"status":503,"count":1,"path":"/rest/ua/v15/analytics/collect"}"#);
    let queue = Queue::new(&emu.options()).unwrap();
    for n in 0..3 {
        queue
            .enqueue(EventKind::Collect, &format!(r#"{{"t":"event","ev":{n}}}"#))
            .expect("taken");
    }
    let refused = queue.enqueue(EventKind::Collect, "[]").unwrap_err();
    assert_eq!(refused.code(), Code::InvalidObject);
    queue.flush(Duration::from_secs(20)).expect("flushed");
    let c = queue.counters();
    assert_counter_identity(&c);
    assert_eq!((c.enqueued, c.delivered, c.failed, c.refused), (3, 3, 0, 1));
    let mut values: Vec<i64> = emu
        .events()
        .iter()
        .map(|e| {
            assert_eq!(e["kind"], "collect");
            e["body"]["ev"].as_i64().unwrap()
        })
        .collect();
    values.sort_unstable();
    assert_eq!(values, [0, 1, 2]);
    assert_eq!(emu.requests_for("collect"), 4, "three events, one retried");
}
