//! One client shared by 16 threads sending 5,000 marked events each while an
//! injector thread keeps adding faults (503 bursts and `record_then_close`).
//!
//! Checked: no deadlock (a watchdog fails the test if the work does not finish
//! within a generous bound), and the counts reconcile exactly with the event
//! log: every event reported OK is recorded; every recorded copy is one we
//! sent; extra copies and failed-but-recorded events are possible only after a
//! `record_then_close`, so together they never exceed the number of those
//! injected.
//!
//! `UA_CONCURRENCY_EVENTS` (events per thread, default 5000) shrinks the run
//! for a slow machine.

mod common;

use common::*;
use coveo_ua::{Client, Code, EventKind, Options};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

const THREADS: usize = 16;
const DEFAULT_EVENTS_PER_THREAD: usize = 5_000;
/// Past this, the run counts as hung. Far above the normal time: it exists
/// to turn a deadlock into a failure, not to measure speed.
const WATCHDOG: Duration = Duration::from_secs(300);
/// The pause between two fault injections.
const INJECT_EVERY: Duration = Duration::from_millis(20);

fn events_per_thread() -> usize {
    std::env::var("UA_CONCURRENCY_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(DEFAULT_EVENTS_PER_THREAD)
}

/// What each sender thread reports back: (marker, reported OK) per event, and
/// the codes of failures.
type Report = (Vec<(String, bool)>, HashMap<Code, usize>);

#[test]
fn sixteen_threads_share_one_client_under_faults() {
    let per_thread = events_per_thread();
    let emu = Arc::new(Emulator::start(&[]));
    let mut o = Options::new();
    o.set_token(KEY).unwrap();
    o.set_endpoint(Some(&emu.url)).unwrap();
    // Roomy: on a loaded machine a slow answer must not pass for an injected fault.
    o.set_timeout_ms(5_000).unwrap();
    o.set_deadline_ms(15_000).unwrap();
    o.set_max_retries(3).unwrap();
    o.set_retry_backoff_ms(1, 20).unwrap();
    let client = Arc::new(Client::new(&o).unwrap());

    // The injector: alternately a burst of three 503s and one record_then_close.
    let stop = Arc::new(AtomicBool::new(false));
    let ambiguous_injected = Arc::new(AtomicUsize::new(0));
    let injector = {
        let (emu, stop, ambiguous) = (emu.clone(), stop.clone(), ambiguous_injected.clone());
        std::thread::spawn(move || {
            let mut round = 0u64;
            while !stop.load(Ordering::Relaxed) {
                if round.is_multiple_of(2) {
                    emu.fault(r#"{"status":503,"count":3}"#);
                } else {
                    emu.fault(r#"{"action":"record_then_close"}"#);
                    ambiguous.fetch_add(1, Ordering::SeqCst);
                }
                round += 1;
                std::thread::sleep(INJECT_EVERY);
            }
        })
    };

    let started = Instant::now();
    let done = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = mpsc::channel::<Report>();
    for t in 0..THREADS {
        let (client, done, tx) = (client.clone(), done.clone(), tx.clone());
        std::thread::spawn(move || {
            let mut reported = Vec::with_capacity(per_thread);
            let mut failures = HashMap::new();
            for i in 0..per_thread {
                let marker = format!("t{t}-e{i}");
                let r = client.send(EventKind::Custom, &marked_event(&marker));
                if !r.is_ok() {
                    *failures.entry(r.code()).or_insert(0) += 1;
                }
                reported.push((marker, r.is_ok()));
                done.fetch_add(1, Ordering::Relaxed);
            }
            let _ = tx.send((reported, failures));
        });
    }
    drop(tx);

    let mut reported = Vec::with_capacity(THREADS * per_thread);
    let mut failures: HashMap<Code, usize> = HashMap::new();
    for _ in 0..THREADS {
        let left = WATCHDOG.saturating_sub(started.elapsed());
        match rx.recv_timeout(left) {
            Ok((r, f)) => {
                reported.extend(r);
                for (code, n) in f {
                    *failures.entry(code).or_insert(0) += n;
                }
            }
            Err(_) => {
                stop.store(true, Ordering::Relaxed);
                panic!(
                    "watchdog: after {WATCHDOG:?} only {} of {} events were done; the client looks deadlocked",
                    done.load(Ordering::Relaxed),
                    THREADS * per_thread
                );
            }
        }
    }
    let elapsed = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    injector.join().expect("injector thread");
    emu.clear_faults();

    let recorded = marker_counts(&emu);
    let tally = reconcile(&reported, &recorded);
    let ambiguous = ambiguous_injected.load(Ordering::SeqCst);
    let sent: HashSet<&str> = reported.iter().map(|(m, _)| m.as_str()).collect();
    let phantoms = recorded
        .keys()
        .filter(|m| !sent.contains(m.as_str()))
        .count();
    let summary = format!(
        "{THREADS} threads x {per_thread} events in {:.1} s ({:.0} events/s): {tally:?}; \
         record_then_close injected: {ambiguous}; failures by code: {failures:?}",
        elapsed.as_secs_f64(),
        tally.sent as f64 / elapsed.as_secs_f64()
    );
    println!("{summary}");
    assert_eq!(tally.sent, THREADS * per_thread, "{summary}");
    assert_eq!(
        tally.lost, 0,
        "events reported OK but not recorded: {summary}"
    );
    assert_eq!(phantoms, 0, "recorded markers nobody sent: {summary}");
    assert!(
        tally.duplicates + tally.failed_but_recorded <= ambiguous,
        "more extra copies than ambiguous faults: {summary}"
    );
    assert_eq!(
        tally.recorded,
        tally.ok + tally.failed_but_recorded + tally.duplicates,
        "{summary}"
    );
    assert!(
        ambiguous > 0,
        "no fault was injected during the run: {summary}"
    );
    // Only the injected faults can fail a send: 503s (after 4 in a row) and
    // the connection lost after a record_then_close.
    for code in failures.keys() {
        assert!(
            matches!(code, Code::ServerError | Code::ConnectionFailed),
            "unexpected failure code {code:?}: {summary}"
        );
    }
}
