//! The event log: its entries, reading after a sequence number, clearing, the
//! `--log` JSON-lines file, and a burst of concurrent keep-alive clients.

mod common;

use common::*;
use serde_json::{json, Value};

#[test]
fn entries_have_the_documented_fields() {
    let emu = Emulator::start(&[]);
    let mut ev = custom_event();
    ev["clientId"] = json!("5b8c2e1a-0d4f-4a7b-8c3e-9f1a2b3c4d5e");
    let answer = emu.post("custom", &ev).json();
    emu.post("search", &valid_event("search"));
    let log = emu.events();
    assert_eq!(log.len(), 2);
    let e = &log[0];
    assert_eq!(e["seq"], 1);
    assert_eq!(e["kind"], "custom");
    assert_eq!(e["path"], "/rest/ua/v15/analytics/custom");
    assert_eq!(e["org"], ORG);
    assert_eq!(e["body"], ev);
    for id in ["visitId", "visitorId", "clientId"] {
        assert_eq!(e[id], answer[id], "{id}");
    }
    assert!(e["received_at_ms"].as_u64().unwrap() > 1_600_000_000_000);
    assert_eq!(log[1]["seq"], 2);
    assert!(is_uuid(log[1]["searchEventUid"].as_str().unwrap()));
}

#[test]
fn read_after_and_clear() {
    let emu = Emulator::start(&[]);
    for _ in 0..3 {
        emu.post("custom", &custom_event());
    }
    let later = emu
        .request("GET", "/_emulator/events?after=2", &[], b"")
        .json();
    assert_eq!(later.as_array().unwrap().len(), 1);
    assert_eq!(later[0]["seq"], 3);
    let r = emu.request("DELETE", "/_emulator/events", &[], b"");
    assert_eq!(r.json(), json!({"cleared": 3}));
    assert!(emu.events().is_empty());
    emu.post("custom", &custom_event());
    assert_eq!(
        emu.events()[0]["seq"],
        4,
        "sequence numbers keep counting after a clear"
    );
    emu.request("GET", "/_emulator/events?after=x", &[], b"")
        .expect_error(400, "InvalidRequest");
    let s = emu.request("DELETE", "/_emulator/stats", &[], b"").json();
    assert_eq!(s["accepted"], 0);
}

#[test]
fn log_file_gets_one_json_line_per_event_and_no_tokens() {
    let dir = std::env::temp_dir().join(format!("ua-emulator-log-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("events.jsonl");
    let _ = std::fs::remove_file(&path);
    let emu = Emulator::start(&["--log", path.to_str().unwrap()]);
    emu.post("custom", &custom_event());
    emu.post(
        "searches",
        &json!([valid_event("search"), valid_event("search")]),
    );
    emu.post("custom", &json!({"nope": 1})); // rejected: not logged
    let listed = emu.events(); // a read flushes the file
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(lines, listed);
    assert_eq!(lines.len(), 3);
    assert!(!text.contains(TOKEN), "tokens are never logged");
    drop(emu);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn concurrent_keep_alive_burst_is_fully_recorded() {
    let emu = Emulator::start(&[]);
    let threads = 32;
    let per_thread = 50;
    let addr = emu.addr.clone();
    let workers: Vec<_> = (0..threads)
        .map(|t| {
            let addr = addr.clone();
            std::thread::spawn(move || {
                let mut c = Client::connect(&addr);
                let auth = format!("Bearer {TOKEN}");
                let h = [
                    ("Content-Type", "application/json"),
                    ("Authorization", auth.as_str()),
                ];
                for i in 0..per_thread {
                    let mut ev = custom_event();
                    ev["eventValue"] = json!(format!("{t}-{i}"));
                    let r = c.request(
                        "POST",
                        "/rest/ua/v15/analytics/custom",
                        &h,
                        ev.to_string().as_bytes(),
                    );
                    assert_eq!(r.status, 200, "{}", r.text());
                }
            })
        })
        .collect();
    for w in workers {
        w.join().expect("worker thread");
    }
    let log = emu.events();
    assert_eq!(log.len(), threads * per_thread);
    let values: std::collections::HashSet<_> = log
        .iter()
        .map(|e| e["body"]["eventValue"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(values.len(), threads * per_thread, "every event once");
    let seqs: Vec<u64> = log.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert!(
        seqs.windows(2).all(|w| w[1] == w[0] + 1),
        "oldest first, no gaps"
    );
    let s = emu.stats();
    assert_eq!(s["accepted"], (threads * per_thread) as u64);
    assert_eq!(s["connections"], (threads + 2) as u64, "{s}");
}
