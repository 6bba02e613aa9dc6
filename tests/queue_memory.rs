//! The delivery queue's memory while the service is down and the host keeps
//! enqueueing: bounded by its capacity. Its own test binary, so the resident
//! set measured is this test's alone.

mod common;

use common::*;
use coveo_ua::{EventKind, Options, Queue};

/// The resident set of this process, in KiB.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/self/status")
}

#[test]
fn memory_stays_bounded_while_the_service_is_down() {
    let mut o = Options::new();
    o.set_token(KEY).unwrap();
    o.set_endpoint(Some(&format!("http://127.0.0.1:{}/rest/ua", dead_port())))
        .unwrap();
    o.set_queue_capacity(1000, 1 << 20).unwrap();
    let queue = Queue::new(&o).unwrap();
    let body = valued_event(&"x".repeat(200));
    for _ in 0..2000 {
        let _ = queue.enqueue(EventKind::Custom, &body);
    }
    let before = rss_kib();
    for _ in 0..200_000 {
        let _ = queue.enqueue(EventKind::Custom, &body);
    }
    let grown = rss_kib().saturating_sub(before);
    let c = queue.counters();
    assert_eq!(c.enqueued + c.recovered, c.delivered + c.failed + c.pending);
    assert!(c.pending <= 1000, "{c:?}");
    assert!(c.refused >= 200_000, "{c:?}");
    assert!(
        grown < 16 * 1024,
        "RSS grew {grown} KiB over 200,000 refused enqueues"
    );
}
