//! The command line: help, refused options, and failures to start.

use std::process::{Command, Stdio};

fn run(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ua-emulator"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run ua-emulator")
}

#[test]
fn help_prints_usage() {
    let out = run(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    let usage = String::from_utf8_lossy(&out.stdout);
    assert!(usage.contains("--api-key"));
    assert!(usage.contains("--latency-ms"));
}

#[test]
fn bad_options_exit_2_with_a_reason() {
    for (args, needle) in [
        (vec!["--api-key", "k"], "--org is required"),
        (
            vec!["--org", "o", "--colour", "red"],
            "unknown option '--colour'",
        ),
        (vec!["--org", "o", "--listen", "nowhere"], "--listen"),
        (vec!["--org", "o", "--rate-limit", "-1"], "--rate-limit"),
        (vec!["--org", "o", "--latency-ms", "soon"], "--latency-ms"),
        (vec!["--org", "o", "--latency-ms=600001"], "--latency-ms"),
        (
            vec!["--org", "o", "--log", "/nonexistent-dir/x/events.jsonl"],
            "cannot open --log",
        ),
    ] {
        let out = run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{args:?}: {err}");
    }
}

#[test]
fn a_port_in_use_exits_1() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = run(&["--org", "o", "--api-key", "k", "--listen", &addr]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot listen"));
}
