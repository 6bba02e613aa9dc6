//! Search batches against the real `ua-emulator`: the array goes to
//! `/searches` in one request, the emulator's answer is an array, and what the
//! service would refuse is refused before sending with the item's index.

mod common;

use common::*;
use coveo_ua::{Client, Code, EventKind};

fn batch(items: &[&str]) -> String {
    format!("[{}]", items.join(","))
}

#[test]
fn a_batch_is_one_request_and_every_item_is_logged() {
    let emu = Emulator::start(&[]);
    let client = emu.client();
    let second = SEARCH.replace(r#""queryText":"q""#, r#""queryText":"second""#);
    let r = client.send(EventKind::SearchBatch, &batch(&[SEARCH, &second, SEARCH]));
    assert_eq!(r.code(), Code::Ok, "{}", r.message());
    assert_eq!((r.http_status(), r.attempts()), (200, 1));
    let body: serde_json::Value = serde_json::from_slice(r.body().unwrap()).unwrap();
    let answers = body.as_array().expect("the answer is the service's array");
    assert_eq!(answers.len(), 3);
    assert_eq!(
        r.visitor_id(),
        answers[0]["visitorId"].as_str(),
        "the visitor id is the first item's"
    );
    assert_eq!(emu.stat("requests"), 1);
    let events = emu.events();
    assert_eq!(events.len(), 3);
    assert!(events
        .iter()
        .all(|e| e["kind"] == "search" && e["path"] == "/rest/ua/v15/analytics/searches"));
    assert_eq!(events[1]["body"]["queryText"], "second");
}

#[test]
fn a_bad_item_is_refused_before_sending_with_its_index() {
    let emu = Emulator::start(&[]);
    let client = emu.client();
    let missing = SEARCH.replace(r#""language":"en","#, "");
    let r = client.send(EventKind::SearchBatch, &batch(&[SEARCH, SEARCH, &missing]));
    assert_eq!(r.code(), Code::MissingParameter);
    assert_eq!((r.http_status(), r.attempts()), (0, 0));
    assert_eq!(r.error_type(), Some("MissingParameter"));
    assert_eq!(
        r.message(),
        "Item 2 of the search batch: Parameter 'searchEvent.language' is missing."
    );
    for empty in ["[]", " [ ]\n"] {
        let r = client.send(EventKind::SearchBatch, empty);
        assert_eq!(r.code(), Code::InvalidObject, "{empty:?}");
        assert_eq!(r.attempts(), 0);
    }
    let r = client.send(EventKind::SearchBatch, SEARCH);
    assert_eq!(r.code(), Code::InvalidObject, "an object is not a batch");
    assert_eq!(emu.stat("requests"), 0, "nothing reached the service");
}

/// With local checks off the service judges the batch: the emulator refuses
/// the whole batch for one bad item, and records nothing of it.
#[test]
fn without_local_checks_the_service_refuses_the_whole_batch() {
    let emu = Emulator::start(&[]);
    let mut o = emu.options();
    o.set_local_checks(false);
    let client = Client::new(&o).unwrap();
    let typed = SEARCH.replace(r#""responseTime":12"#, r#""responseTime":"slow""#);
    let r = client.send(EventKind::SearchBatch, &batch(&[SEARCH, &typed]));
    assert_eq!(r.code(), Code::InvalidObject, "{}", r.message());
    assert_eq!((r.http_status(), r.attempts()), (400, 1));
    assert!(emu.events().is_empty());
    let r = client.send(EventKind::SearchBatch, &batch(&[SEARCH, "3"]));
    assert_eq!((r.code(), r.http_status()), (Code::InvalidObject, 400));
}

/// A search token's hub applies to every item, as the service applies it.
#[test]
fn the_token_hub_is_checked_for_every_item() {
    let emu = Emulator::start(&[]);
    let mut o = emu.options();
    o.set_token(&search_token("main")).unwrap();
    let client = Client::new(&o).unwrap();
    let other = SEARCH.replace('{', r#"{"originLevel1":"other","#);
    let r = client.send(EventKind::SearchBatch, &batch(&[SEARCH, &other]));
    assert_eq!(r.code(), Code::UnauthorizedHub);
    assert!(r.message().starts_with("Item 1 "), "{}", r.message());
    let r = client.send(EventKind::SearchBatch, &batch(&[SEARCH, SEARCH]));
    assert_eq!(r.code(), Code::Ok, "{}", r.message());
    assert!(emu
        .events()
        .iter()
        .all(|e| e["body"]["originLevel1"] == "main"));
}
