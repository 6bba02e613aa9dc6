//! The queue under load, against the real `ua-emulator`: workers follow the
//! backlog (and add none while the queue is paused), a spool holds what
//! memory cannot with memory flat, and the log stays a few lines however many
//! events fail.

mod common;

use common::*;
use coveo_ua::{Code, EventKind, FailedEvent, LogLevel, Options, Queue};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn queue_options(emu: &Emulator) -> Options {
    let mut o = emu.options();
    o.set_queue_backoff_ms(50, 400).unwrap();
    o
}

/// Samples `f` every 20 ms until it holds or `limit` passes.
fn eventually(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let until = Instant::now() + limit;
    while Instant::now() < until {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    f()
}

#[test]
fn workers_grow_with_a_backlog_and_go_when_idle() {
    let emu = Emulator::start(&["--latency-ms", "50"]);
    let queue = Queue::new(&queue_options(&emu)).unwrap();
    let idle = queue.counters().workers;
    assert!((1..=2).contains(&idle), "a queue starts small: {idle}");
    for i in 0..2_000 {
        queue
            .enqueue(EventKind::Custom, &valued_event(&format!("load-{i}")))
            .unwrap();
    }
    let mut most = 0;
    let grew = eventually(Duration::from_secs(10), || {
        most = most.max(queue.counters().workers);
        most >= 32
    });
    assert!(
        grew,
        "the workers stayed at {most} with 2,000 events waiting"
    );
    let started = Instant::now();
    queue.flush(Duration::from_secs(60)).unwrap();
    let c = queue.counters();
    assert_eq!((c.delivered, c.failed), (2_000, 0), "{c:?}");
    // 2,000 events at 50 ms each: far quicker than two workers could.
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    let shrank = eventually(Duration::from_secs(15), || queue.counters().workers <= 2);
    assert!(shrank, "idle workers stayed: {}", queue.counters().workers);
    let seen = logged_values(&emu);
    assert_eq!(seen.len(), 2_000);
}

#[test]
fn no_worker_is_added_while_the_queue_is_paused() {
    let emu = Emulator::start(&[]);
    emu.control("POST", "faults", r#"{"status":503,"duration_ms":2000}"#);
    let queue = Queue::new(&queue_options(&emu)).unwrap();
    for i in 0..500 {
        queue
            .enqueue(EventKind::Custom, &valued_event(&format!("paused-{i}")))
            .unwrap();
    }
    let until = Instant::now() + Duration::from_millis(1500);
    let mut most = 0;
    while Instant::now() < until {
        most = most.max(queue.counters().workers);
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(most <= 3, "{most} workers during a 503 window");
    queue.flush(Duration::from_secs(30)).unwrap();
    let c = queue.counters();
    assert_eq!((c.delivered, c.failed), (500, 0), "{c:?}");
}

#[test]
fn closing_with_many_events_left_logs_a_few_lines() {
    let mut o = Options::new();
    o.set_token(KEY).unwrap();
    o.set_endpoint(Some(&format!("http://127.0.0.1:{}/rest/ua", dead_port())))
        .unwrap();
    o.set_queue_capacity(20_000, 1 << 30).unwrap();
    let lines: Arc<Mutex<Vec<(LogLevel, String)>>> = Arc::default();
    let sink = Arc::clone(&lines);
    o.set_log_callback(
        Some(Arc::new(move |level, line: &str| {
            sink.lock().unwrap().push((level, line.to_string()));
        })),
        LogLevel::Debug,
    );
    let heard: Arc<Mutex<HashMap<String, u32>>> = Arc::default();
    let tally = Arc::clone(&heard);
    o.set_failure_callback(Some(Arc::new(move |f: &FailedEvent<'_>| {
        assert_eq!(f.result.code(), Code::QueueClosed);
        *tally
            .lock()
            .unwrap()
            .entry(f.event_json.to_string())
            .or_default() += 1;
    })));
    let queue = Queue::new(&o).unwrap();
    for i in 0..10_000 {
        queue
            .enqueue(EventKind::Custom, &valued_event(&format!("left-{i}")))
            .unwrap();
    }
    let _ = queue.close(Duration::ZERO);
    drop(queue);
    let heard = heard.lock().unwrap();
    assert_eq!(heard.len(), 10_000);
    assert!(
        heard.values().all(|n| *n == 1),
        "each failure is heard once"
    );
    let lines = lines.lock().unwrap();
    assert!(lines.len() <= 30, "{} log lines: {lines:#?}", lines.len());
    let said: u64 = lines
        .iter()
        .filter(|(level, line)| *level == LogLevel::Error && line.contains("UA_QUEUE_CLOSED"))
        .map(|(_, line)| {
            line.split_whitespace()
                .next()
                .and_then(|n| n.parse::<u64>().ok())
                .unwrap_or(1)
        })
        .sum();
    assert_eq!(
        said, 10_000,
        "the failure lines count every event: {lines:#?}"
    );
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "coveo-ua-load-{name}-{}-{}",
        std::process::id(),
        fastrand::u64(..)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

#[cfg(target_os = "linux")]
#[test]
fn a_spool_holds_what_memory_cannot_and_memory_stays_flat() {
    const THREADS: u64 = 4;
    const PER_THREAD: u64 = 50_000;
    let emu = Emulator::start(&[]);
    let dir = temp_dir("disk");
    let mut o = queue_options(&emu);
    o.set_spool_dir(dir.to_str()).unwrap();
    o.set_queue_capacity(1_000, 1 << 20).unwrap();
    o.set_spool_capacity(1 << 30).unwrap();
    o.set_queue_max_age_ms(3_600_000).unwrap();
    // The service fails while the events come.
    emu.control("POST", "faults", r#"{"status":503,"duration_ms":300000}"#);
    let queue = Arc::new(Queue::new(&o).unwrap());
    let before = rss_kib();
    let peak = Arc::new(AtomicU64::new(before));
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let (queue, peak) = (Arc::clone(&queue), Arc::clone(&peak));
            std::thread::spawn(move || {
                for i in 0..PER_THREAD {
                    let value = format!("t{t}-{i:06}");
                    queue
                        .enqueue(EventKind::Custom, &valued_event(&value))
                        .unwrap_or_else(|e| panic!("{value}: {}", e.result().message()));
                    if i % 5_000 == 0 {
                        peak.fetch_max(rss_kib(), Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    peak.fetch_max(rss_kib(), Ordering::Relaxed);
    let c = queue.counters();
    assert_eq!((c.enqueued, c.refused), (THREADS * PER_THREAD, 0), "{c:?}");
    let grew_mib = peak.load(Ordering::Relaxed).saturating_sub(before) / 1024;
    // 200,000 events of about 110 bytes are 22 MB on disk; memory holds 1,000.
    assert!(grew_mib <= 24, "resident memory grew by {grew_mib} MiB");
    // The service comes back.
    emu.control("DELETE", "faults", "");
    queue.flush(Duration::from_secs(240)).unwrap();
    let c = queue.counters();
    assert_eq!((c.delivered, c.failed), (THREADS * PER_THREAD, 0), "{c:?}");
    // Matched one by one, and in order per thread: workers sending side by
    // side may swap neighbours, and an attempt that a loaded machine slows
    // down lets a few thousand others pass it, but no event is left behind
    // on disk while later ones are read back (it would then arrive at the
    // end, tens of thousands of places late).
    let mut order: HashMap<u64, Vec<u64>> = HashMap::new();
    let mut seen: HashMap<String, u32> = HashMap::new();
    for event in emu.events() {
        let value = event["body"]["eventValue"]
            .as_str()
            .unwrap_or("")
            .to_string();
        *seen.entry(value.clone()).or_default() += 1;
        if let Some((t, i)) = value.strip_prefix('t').and_then(|v| v.split_once('-')) {
            order
                .entry(t.parse().unwrap())
                .or_default()
                .push(i.parse().unwrap());
        }
    }
    assert_eq!(seen.len() as u64, THREADS * PER_THREAD);
    assert!(seen.values().all(|n| *n == 1), "every event arrives once");
    let mut farthest = 0;
    for (t, arrived) in &order {
        for (rank, i) in arrived.iter().enumerate() {
            let off = (*i as i64 - rank as i64).unsigned_abs();
            farthest = farthest.max(off);
            assert!(off < 5_000, "thread {t}: event {i} arrived at {rank}");
        }
    }
    eprintln!(
        "disk-backed: {} events held through an outage, memory grew {grew_mib} MiB, \
         an event arrived at most {farthest} places from its order",
        THREADS * PER_THREAD
    );
    drop(queue);
    let _ = std::fs::remove_dir_all(&dir);
}
