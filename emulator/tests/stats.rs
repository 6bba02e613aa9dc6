//! The counters of `GET /_emulator/stats`: requests and faults split by kind,
//! summing to the totals, and all of them reset together.

mod common;

use common::*;
use serde_json::{json, Value};

const KINDS: [&str; 10] = [
    "search", "searches", "click", "custom", "view", "collect", "visit", "health", "status",
    "other",
];

fn sum(counts: &Value) -> u64 {
    KINDS.iter().map(|k| counts[k].as_u64().unwrap()).sum()
}

#[test]
fn requests_and_faults_are_counted_by_kind() {
    let emu = Emulator::start(&[]);
    emu.add_fault(json!({"status": 503, "count": 2, "path": "/rest/ua/v15/analytics/click"}));
    for kind in ["search", "click", "click", "click", "custom", "view"] {
        emu.post(kind, &valid_event(kind));
    }
    emu.post(
        "searches",
        &json!([valid_event("search"), valid_event("search")]),
    );
    emu.post("collect", &valid_event("collect"));
    let auth = format!("Bearer {TOKEN}");
    for path in ["visit", "monitoring/health", "status", "nowhere"] {
        let path = format!("/rest/ua/v15/analytics/{path}");
        emu.request("GET", &path, &[("Authorization", &auth)], b"");
    }
    // Another method on a known path still counts under that path.
    emu.request("GET", "/rest/ua/v15/analytics/custom", &[], b"");
    // A request that cannot be read counts as "other".
    let mut c = emu.connect();
    c.send_raw(b"POST /rest/ua/v15/analytics/custom HTTP/1.1\r\nContent-Length: x\r\n\r\n")
        .unwrap();
    c.read_response()
        .unwrap()
        .expect_error(400, "InvalidRequest");
    emu.events();
    emu.request("GET", "/_emulator/faults", &[], b"");

    let s = emu.stats();
    let by_kind = &s["requests_by_kind"];
    let want = json!({"search": 1, "searches": 1, "click": 3, "custom": 2, "view": 1,
        "collect": 1, "visit": 1, "health": 1, "status": 1, "other": 2});
    assert_eq!(by_kind, &want, "{s}");
    assert_eq!(sum(by_kind), s["requests"].as_u64().unwrap(), "{s}");
    let faults = &s["faults_by_kind"];
    assert_eq!(faults["click"], 2, "{s}");
    assert_eq!(sum(faults), s["faults_applied"].as_u64().unwrap(), "{s}");
    assert_eq!(s["faults_applied"], 2);
    assert_eq!(
        s["accepted"], 7,
        "search, one click, custom, view, two in the batch, collect"
    );

    let zeroed = emu.request("DELETE", "/_emulator/stats", &[], b"").json();
    assert_eq!(zeroed["requests"], 0);
    assert_eq!(sum(&zeroed["requests_by_kind"]), 0, "{zeroed}");
    assert_eq!(sum(&zeroed["faults_by_kind"]), 0, "{zeroed}");
    emu.post("view", &valid_event("view"));
    let s = emu.stats();
    assert_eq!(s["requests_by_kind"]["view"], 1, "{s}");
    assert_eq!(s["requests"], 1, "{s}");
}
