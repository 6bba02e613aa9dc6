//! ua-loadgen against a real emulator: the counts and the JSON line it prints.

mod common;

use common::*;
use std::process::{Command, Stdio};

#[test]
fn loadgen_sends_the_requested_events_and_reports_them() {
    let emu = Emulator::start(&[]);
    let out = Command::new(env!("CARGO_BIN_EXE_ua-loadgen"))
        .args([
            "--url",
            &emu.base,
            "--token",
            TOKEN,
            "--connections",
            "3",
            "--requests",
            "301",
        ])
        .stdin(Stdio::null())
        .output()
        .expect("run ua-loadgen");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = String::from_utf8(out.stdout).unwrap();
    let v: serde_json::Value = serde_json::from_str(line.trim()).expect("one JSON line");
    assert_eq!(v["connections"], 3);
    assert_eq!(v["events"], 301);
    assert_eq!(v["errors"], 0);
    for key in [
        "seconds",
        "events_per_s",
        "p50_us",
        "p99_us",
        "cpu_user_s",
        "cpu_sys_s",
        "cpu_us_per_event",
    ] {
        assert!(v[key].is_number(), "{key} in {v}");
    }
    assert!(v["p99_us"].as_f64() >= v["p50_us"].as_f64());
    assert_eq!(emu.events().len(), 301);
    assert_eq!(emu.stats()["connections"], 3 + 2);
}

#[test]
fn loadgen_counts_refused_events_as_errors() {
    let emu = Emulator::start(&[]);
    let out = Command::new(env!("CARGO_BIN_EXE_ua-loadgen"))
        .args(["--url", &emu.base, "--token", "xx-wrong", "--requests", "5"])
        .stdin(Stdio::null())
        .output()
        .expect("run ua-loadgen");
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON line");
    assert_eq!(
        (v["events"].as_u64(), v["errors"].as_u64()),
        (Some(0), Some(5))
    );
}
