//! The fault matrix: for every fault the emulator can inject, send a few marked
//! events through `Client::send` and reconcile what the client reported with
//! the emulator's event log.
//!
//! Invariants checked on every row:
//! - no event is reported OK and missing from the log (`lost` is 0);
//! - an event reported failed is in the log only after an ambiguous failure
//!   (the server recorded it, then the answer was lost, cut or too slow);
//! - duplicates appear only on rows whose fault makes a retry after an
//!   ambiguous failure possible (record_then_close, truncate, trickle past the
//!   attempt timeout), and are counted;
//! - each row ends with the outcome its fault implies (recovered, or the
//!   documented code once retries or the deadline run out);
//! - no call outlives its deadline by more than a generous margin (a bound on
//!   correctness, the library never blocks its host, not a speed target).
//!
//! The matrix is printed (visible with `--nocapture`) and written to
//! `target/fault-matrix.txt`.

mod common;

use common::*;
use coveo_ua::{Client, Code, EventKind, Options};
use std::fmt::Write as _;
use std::time::{Duration, Instant, SystemTime};

/// How far past its deadline a call may end before it counts as blocking the
/// host: scheduling on a loaded 2-core machine, never a speed target.
const DEADLINE_MARGIN: Duration = Duration::from_secs(2);

/// Where the rule goes.
#[derive(Clone)]
enum Fault {
    /// Posted before every send (so each event meets it afresh).
    EachSend(String),
    /// Posted once, for every request of the row (`"count": 0`).
    Always(String),
    /// The client points at a loopback port with nothing listening.
    Refused,
}

/// The outcome the fault implies for every event of the row.
#[derive(Clone, Copy, Debug)]
enum Expect {
    /// Retries get every event through.
    AllOk,
    /// Every event fails with this code.
    AllFail(Code),
}

struct Row {
    name: &'static str,
    fault: Fault,
    events: usize,
    expect: Expect,
    /// The fault records the event before the answer goes wrong.
    ambiguous: bool,
    /// Attempt timeout and whole-call deadline for this row.
    timeout_ms: u32,
    deadline_ms: u32,
}

impl Row {
    fn new(name: &'static str, fault: Fault, expect: Expect) -> Row {
        Row {
            name,
            fault,
            events: 4,
            expect,
            ambiguous: false,
            timeout_ms: 300,
            deadline_ms: 1500,
        }
    }
    fn ambiguous(mut self) -> Row {
        self.ambiguous = true;
        self
    }
    fn events(mut self, n: usize) -> Row {
        self.events = n;
        self
    }
    fn times(mut self, timeout_ms: u32, deadline_ms: u32) -> Row {
        self.timeout_ms = timeout_ms;
        self.deadline_ms = deadline_ms;
        self
    }
}

fn each(rule: &str) -> Fault {
    Fault::EachSend(rule.to_string())
}

fn always(rule: &str) -> Fault {
    Fault::Always(rule.to_string())
}

fn rows() -> Vec<Row> {
    use Expect::*;
    let past = httpdate::fmt_http_date(SystemTime::now() - Duration::from_secs(60));
    let future = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(3600));
    vec![
        Row::new(
            "503 x2, then ok",
            each(r#"{"status":503,"count":2}"#),
            AllOk,
        ),
        Row::new(
            "500 html body x1, then ok",
            each(r#"{"status":500,"body":"html"}"#),
            AllOk,
        ),
        Row::new(
            "503 forever",
            always(r#"{"status":503,"count":0}"#),
            AllFail(Code::ServerError),
        ),
        Row::new(
            "502 html body forever",
            always(r#"{"status":502,"body":"html","count":0}"#),
            AllFail(Code::ServerError),
        ),
        Row::new(
            "400 html body (no retry)",
            always(r#"{"status":400,"body":"html","count":0}"#),
            AllFail(Code::UnexpectedResponse),
        ),
        Row::new(
            "429 Retry-After: 1 (s)",
            each(r#"{"status":429,"retry_after":"1"}"#),
            AllOk,
        )
        .events(3),
        Row::new(
            "429 Retry-After: past date",
            Fault::EachSend(format!(r#"{{"status":429,"retry_after":"{past}"}}"#)),
            AllOk,
        ),
        Row::new(
            "429 Retry-After: date +1h",
            Fault::Always(format!(
                r#"{{"status":429,"retry_after":"{future}","count":0}}"#
            )),
            AllFail(Code::TooManyRequests),
        ),
        Row::new(
            "429 Retry-After: garbage",
            each(r#"{"status":429,"retry_after":"next tuesday-ish"}"#),
            AllOk,
        ),
        Row::new(
            "503 Retry-After: 99999 (s)",
            always(r#"{"status":503,"retry_after":"99999","count":0}"#),
            AllFail(Code::ServerError),
        ),
        Row::new(
            "connection refused",
            Fault::Refused,
            AllFail(Code::ConnectionFailed),
        ),
        Row::new("close (FIN) x1", each(r#"{"action":"close"}"#), AllOk),
        Row::new("reset (RST) x1", each(r#"{"action":"reset"}"#), AllOk),
        Row::new(
            "reset forever",
            always(r#"{"action":"reset","count":0}"#),
            AllFail(Code::ConnectionFailed),
        ),
        Row::new(
            "record_then_close x1",
            each(r#"{"action":"record_then_close"}"#),
            AllOk,
        )
        .ambiguous(),
        Row::new(
            "record_then_close forever",
            always(r#"{"action":"record_then_close","count":0}"#),
            AllFail(Code::ConnectionFailed),
        )
        .ambiguous(),
        Row::new(
            "stall 2 s > timeout x1",
            each(r#"{"action":"stall","delay_ms":2000}"#),
            AllOk,
        ),
        Row::new(
            "stall forever",
            always(r#"{"action":"stall","delay_ms":5000,"count":0}"#),
            AllFail(Code::Timeout),
        )
        .events(2),
        Row::new(
            "trickle 5 ms/byte > timeout x1",
            each(r#"{"action":"trickle","delay_ms":5}"#),
            AllOk,
        )
        .ambiguous()
        .events(3),
        Row::new(
            "trickle 1 ms/byte in time",
            each(r#"{"action":"trickle","delay_ms":1}"#),
            AllOk,
        )
        .events(2)
        .times(5000, 8000),
        Row::new(
            "trickle past the deadline",
            always(r#"{"action":"trickle","delay_ms":10,"count":0}"#),
            AllFail(Code::Timeout),
        )
        .ambiguous()
        .events(2)
        .times(2000, 600),
        Row::new("truncate x1", each(r#"{"action":"truncate"}"#), AllOk).ambiguous(),
        Row::new(
            "garbage (not HTTP) x1",
            each(r#"{"action":"garbage"}"#),
            AllOk,
        ),
        Row::new(
            "200 with garbage body",
            each(r#"{"status":200,"body":"garbage"}"#),
            AllOk,
        ),
        Row::new("delay 100 ms (in time)", each(r#"{"delay_ms":100}"#), AllOk),
    ]
}

/// What running one row gave.
struct Outcome {
    tally: Tally,
    max_call: Duration,
    max_attempts: u32,
    /// Codes reported, in order, for the matrix and for failure messages.
    codes: Vec<Code>,
    problems: Vec<String>,
}

fn run_row(index: usize, row: &Row) -> Outcome {
    let emu = Emulator::start(&[]);
    let mut o = Options::new();
    o.set_token(KEY).unwrap();
    let url = match row.fault {
        Fault::Refused => format!("http://127.0.0.1:{}/rest/ua", dead_port()),
        _ => emu.url.clone(),
    };
    o.set_endpoint(Some(&url)).unwrap();
    o.set_timeout_ms(row.timeout_ms).unwrap();
    o.set_deadline_ms(row.deadline_ms).unwrap();
    o.set_max_retries(3).unwrap();
    o.set_retry_backoff_ms(1, 20).unwrap();
    let client = Client::new(&o).expect("client");
    if let Fault::Always(rule) = &row.fault {
        emu.fault(rule);
    }
    let mut reported = Vec::new();
    let mut codes = Vec::new();
    let mut max_call = Duration::ZERO;
    let mut max_attempts = 0;
    for i in 0..row.events {
        if let Fault::EachSend(rule) = &row.fault {
            emu.fault(rule);
        }
        let marker = format!("row{index}-event{i}");
        let started = Instant::now();
        let r = client.send(EventKind::Custom, &marked_event(&marker));
        max_call = max_call.max(started.elapsed());
        max_attempts = max_attempts.max(r.attempts());
        codes.push(r.code());
        reported.push((marker, r.is_ok()));
    }
    emu.clear_faults();
    let tally = reconcile(&reported, &marker_counts(&emu));
    let mut problems = Vec::new();
    let mut check = |ok: bool, what: String| {
        if !ok {
            problems.push(format!("{}: {what}", row.name));
        }
    };
    check(
        tally.lost == 0,
        format!("{} event(s) reported OK but not recorded", tally.lost),
    );
    if !row.ambiguous {
        check(
            tally.duplicates == 0,
            format!(
                "{} duplicate(s) without an ambiguous fault",
                tally.duplicates
            ),
        );
        check(
            tally.failed_but_recorded == 0,
            format!(
                "{} event(s) reported failed but recorded",
                tally.failed_but_recorded
            ),
        );
    }
    match row.expect {
        Expect::AllOk => check(
            tally.ok == row.events,
            format!("expected all OK, got codes {codes:?}"),
        ),
        Expect::AllFail(code) => check(
            codes.iter().all(|c| *c == code),
            format!("expected all {code:?}, got codes {codes:?}"),
        ),
    }
    let bound = Duration::from_millis(row.deadline_ms.into()) + DEADLINE_MARGIN;
    check(
        max_call <= bound,
        format!(
            "a call took {} ms, past the deadline bound of {} ms",
            max_call.as_millis(),
            bound.as_millis()
        ),
    );
    Outcome {
        tally,
        max_call,
        max_attempts,
        codes,
        problems,
    }
}

fn code_summary(codes: &[Code]) -> String {
    let mut names: Vec<&str> = codes.iter().map(|c| c.name()).collect();
    names.dedup();
    names.join(",")
}

#[test]
fn every_fault_reconciles_with_the_event_log() {
    let mut table = String::new();
    let header = format!(
        "{:<32} {:>4} {:>4} {:>6} {:>8} {:>4} {:>10} {:>4} {:>8} {:>6}  {}",
        "fault",
        "sent",
        "ok",
        "failed",
        "recorded",
        "dup",
        "failed+rec",
        "lost",
        "max ms",
        "tries",
        "codes"
    );
    writeln!(table, "{header}").unwrap();
    writeln!(table, "{}", "-".repeat(header.len() + 10)).unwrap();
    let mut problems = Vec::new();
    let mut totals = Tally::default();
    for (i, row) in rows().iter().enumerate() {
        let out = run_row(i, row);
        let t = &out.tally;
        writeln!(
            table,
            "{:<32} {:>4} {:>4} {:>6} {:>8} {:>4} {:>10} {:>4} {:>8} {:>6}  {}",
            row.name,
            t.sent,
            t.ok,
            t.failed,
            t.recorded,
            t.duplicates,
            t.failed_but_recorded,
            t.lost,
            out.max_call.as_millis(),
            out.max_attempts,
            code_summary(&out.codes)
        )
        .unwrap();
        totals.sent += t.sent;
        totals.ok += t.ok;
        totals.failed += t.failed;
        totals.lost += t.lost;
        totals.duplicates += t.duplicates;
        problems.extend(out.problems);
    }
    writeln!(
        table,
        "total: {} sent, {} ok, {} failed, {} lost, {} duplicates (all from ambiguous faults)",
        totals.sent, totals.ok, totals.failed, totals.lost, totals.duplicates
    )
    .unwrap();
    println!("\n{table}");
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fault-matrix.txt");
    let written = std::fs::create_dir_all(out.parent().expect("target dir"))
        .and_then(|()| std::fs::write(&out, &table));
    if let Err(e) = written {
        problems.push(format!("cannot write {}: {e}", out.display()));
    }
    assert!(
        problems.is_empty(),
        "fault matrix violations:\n{}",
        problems.join("\n")
    );
}
