//! The command line: help, version, defaults, refused options, and failures
//! to start.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{Emulator, TOKEN};
use serde_json::json;

fn run(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ua-emulator"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run ua-emulator")
}

/// Starts the emulator with `args`, reads its first stdout line, stops it
/// (SIGTERM) and returns that line and everything it wrote on stderr.
fn first_line_and_stderr(args: &[&str]) -> (String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ua-emulator"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ua-emulator");
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx.recv_timeout(Duration::from_secs(10));
    // SAFETY: signalling our own child by its pid.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("piped stderr")
        .read_to_string(&mut stderr)
        .expect("read stderr");
    let status = child.wait().expect("wait");
    let line = line.unwrap_or_else(|_| panic!("no line within 10 s; stderr: {stderr}"));
    assert_eq!(status.code(), Some(0), "stderr: {stderr}");
    (line, stderr)
}

#[test]
fn help_is_complete_by_itself() {
    let out = run(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8_lossy(&out.stdout);
    // Every option, the control API and the fault rule's fields, since an
    // installed binary comes without the README.
    for needle in [
        "--listen",
        "--org",
        "--api-key",
        "--readonly-key",
        "--oauth-token",
        "--jwt-secret",
        "--rate-limit",
        "--log",
        "--max-body",
        "--latency-ms",
        "--version",
        "/_emulator/faults",
        "/_emulator/events",
        "/_emulator/stats",
        "/_emulator/latency",
        "/_emulator/outage",
        "duration_ms",
        "record_then_close",
        "retry_after",
        "every API key is refused",
    ] {
        assert!(help.contains(needle), "--help lacks {needle}:\n{help}");
    }
    assert!(!help.contains("beside the emulator's sources"), "{help}");
}

#[test]
fn version_prints_the_crate_version() {
    let out = run(&["--version"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("ua-emulator {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn no_argument_at_all_starts_on_loopback_and_says_keys_are_refused() {
    let (line, stderr) = first_line_and_stderr(&[]);
    assert!(
        line.starts_with("ua-emulator listening on http://127.0.0.1:"),
        "{line:?}"
    );
    assert!(
        stderr.contains("no --api-key given: every API key is refused"),
        "{stderr}"
    );
    assert!(stderr.contains("'emulator-org'"), "{stderr}");
}

#[test]
fn the_default_org_takes_events_and_a_key_silences_the_note() {
    let emu = Emulator::start_raw(&["--api-key", TOKEN]);
    let r = emu.post(
        "custom",
        &json!({"eventType": "t", "eventValue": "v", "language": "en"}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(emu.events()[0]["org"], "emulator-org");
    let (_, stderr) = first_line_and_stderr(&["--api-key", TOKEN]);
    assert!(stderr.is_empty(), "{stderr}");
}

#[test]
fn listening_on_every_interface_prints_a_loopback_url_that_works() {
    // start_raw checks that the line names 127.0.0.1, then the URL is used.
    let emu = Emulator::start_raw(&["--listen", "0.0.0.0:0", "--api-key", TOKEN]);
    let r = emu.request("GET", "/_emulator/stats", &[], b"");
    assert_eq!(r.status, 200, "{}", r.text());
    let (_, stderr) = first_line_and_stderr(&["--listen", "0.0.0.0:0", "--api-key", TOKEN]);
    assert!(stderr.contains("every interface (0.0.0.0:"), "{stderr}");
}

#[test]
fn bad_options_exit_2_with_a_reason() {
    for (args, needle) in [
        (vec!["--org", ""], "--org: the organization id is empty"),
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
        if !needle.starts_with("cannot open") {
            assert!(err.contains("usage: ua-emulator"), "{args:?}: {err}");
        }
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
