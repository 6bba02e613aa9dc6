//! The delivery queue against the real `ua-emulator`: reconciliation event by
//! event, outages ridden out with the shared backoff, bounds, close and drop,
//! and the counter identity after every test.

mod common;

use common::*;
use coveo_ua::{Code, EventKind, FailedEvent, LogLevel, Options, Queue};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Options for a queue on `emu`: quick retries and a short shared pause.
fn queue_options(emu: &Emulator) -> Options {
    let mut o = emu.options();
    o.set_queue_backoff_ms(50, 400).unwrap();
    o
}

/// Failures the callback saw: (kind, event, code).
type Seen = Arc<Mutex<Vec<(EventKind, String, Code)>>>;

fn recording_failures(o: &mut Options) -> Seen {
    let seen: Seen = Arc::default();
    let sink = Arc::clone(&seen);
    o.set_failure_callback(Some(Arc::new(move |f: &FailedEvent<'_>| {
        sink.lock()
            .unwrap()
            .push((f.kind, f.event_json.to_string(), f.result.code()));
    })));
    seen
}

#[test]
fn events_from_eight_threads_are_delivered_one_by_one() {
    let emu = Emulator::start(&[]);
    let mut o = queue_options(&emu);
    o.set_queue_workers(4).unwrap();
    let queue = Arc::new(Queue::new(&o).unwrap());
    let per_thread = 250;
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let q = Arc::clone(&queue);
            std::thread::spawn(move || {
                for i in 0..per_thread {
                    q.enqueue(EventKind::Custom, &valued_event(&format!("t{t}-{i}")))
                        .expect("taken");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    queue.flush(Duration::from_secs(60)).expect("flushed");
    let c = queue.counters();
    assert_counter_identity(&c);
    assert_eq!(
        (c.enqueued, c.delivered, c.failed, c.pending),
        (2000, 2000, 0, 0)
    );
    assert_eq!(
        c.attempts, 2000,
        "one request per event on a healthy service"
    );
    let seen = logged_values(&emu);
    for t in 0..8 {
        for i in 0..per_thread {
            let id = format!("t{t}-{i}");
            assert_eq!(seen.get(&id), Some(&1), "{id}");
        }
    }
    assert_eq!(seen.len(), 2000);
    queue.close(Duration::from_secs(5)).unwrap();
    assert_counter_identity(&queue.counters());
}

#[test]
fn checks_run_on_the_callers_thread_and_refusals_are_counted() {
    let emu = Emulator::start(&[]);
    let queue = Queue::new(&queue_options(&emu)).unwrap();
    let e = queue
        .enqueue(EventKind::Custom, r#"{"eventValue":"x","language":"en"}"#)
        .unwrap_err();
    assert_eq!(e.code(), Code::MissingParameter);
    assert_eq!(
        e.result().message(),
        "Parameter 'customEvent.eventType' is missing."
    );
    assert_eq!(
        queue
            .enqueue(EventKind::SearchBatch, "[]")
            .unwrap_err()
            .code(),
        Code::InvalidObject
    );
    queue.enqueue(EventKind::View, VIEW).unwrap();
    queue.flush(Duration::from_secs(10)).unwrap();
    let c = queue.counters();
    assert_eq!((c.refused, c.enqueued, c.delivered), (2, 1, 1));
    assert_counter_identity(&c);
    assert_eq!(emu.stat("requests"), 1, "refused events cost no request");
}

#[test]
fn a_503_window_is_ridden_out_with_few_requests() {
    let emu = Emulator::start(&[]);
    let mut o = queue_options(&emu);
    let failures = recording_failures(&mut o);
    let queue = Queue::new(&o).unwrap();
    emu.fault(r#"{"duration_ms":1500,"status":503,"path":"/rest/ua/v15/analytics/custom"}"#);
    let started = Instant::now();
    for i in 0..300 {
        queue
            .enqueue(EventKind::Custom, &valued_event(&format!("o{i}")))
            .unwrap();
    }
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "enqueue must never wait for the service"
    );
    queue
        .flush(Duration::from_secs(30))
        .expect("delivered after the window");
    let c = queue.counters();
    assert_counter_identity(&c);
    assert_eq!((c.delivered, c.failed), (300, 0));
    assert!(failures.lock().unwrap().is_empty());
    let seen = logged_values(&emu);
    assert!((0..300).all(|i| seen.contains_key(&format!("o{i}"))));
    // 300 requests would be delivery itself; the outage adds a few probes
    // and the retries of the sends in flight when it began.
    let requests = emu.requests_for("custom");
    assert!(
        requests < 300 + 100,
        "{requests} requests for 300 events: the outage was not ridden out together"
    );
    assert_eq!(c.attempts, requests);
}

#[test]
fn a_refused_connection_window_is_ridden_out() {
    let emu = Emulator::start(&[]);
    let queue = Queue::new(&queue_options(&emu)).unwrap();
    queue
        .enqueue(EventKind::Custom, &valued_event("before"))
        .unwrap();
    queue.flush(Duration::from_secs(10)).unwrap();
    emu.control("POST", "outage", r#"{"refuse_ms":1200}"#);
    for i in 0..100 {
        queue
            .enqueue(EventKind::Custom, &valued_event(&format!("r{i}")))
            .unwrap();
    }
    queue
        .flush(Duration::from_secs(30))
        .expect("delivered after the window");
    let c = queue.counters();
    assert_counter_identity(&c);
    assert_eq!((c.delivered, c.failed, c.pending), (101, 0, 0));
    let seen = logged_values(&emu);
    assert!((0..100).all(|i| seen.contains_key(&format!("r{i}"))));
}

#[test]
fn a_429_with_retry_after_pauses_the_whole_queue() {
    let emu = Emulator::start(&[]);
    let mut o = queue_options(&emu);
    o.set_queue_workers(8).unwrap();
    o.set_max_retries(0).unwrap();
    let queue = Queue::new(&o).unwrap();
    emu.fault(r#"{"count":1,"status":429,"retry_after":"1"}"#);
    let started = Instant::now();
    for i in 0..50 {
        queue
            .enqueue(EventKind::Custom, &valued_event(&format!("t{i}")))
            .unwrap();
    }
    queue.flush(Duration::from_secs(20)).unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "the queue did not wait out Retry-After ({:?})",
        started.elapsed()
    );
    let c = queue.counters();
    assert_counter_identity(&c);
    assert_eq!(c.delivered, 50);
    // The 429 and at most the sends already in flight when it came.
    assert!(c.attempts <= 50 + 8, "{} attempts", c.attempts);
}

#[test]
fn an_event_the_service_refuses_fails_once_with_its_code() {
    let emu = Emulator::start(&[]);
    let mut o = queue_options(&emu);
    o.set_local_checks(false);
    let failures = recording_failures(&mut o);
    let queue = Queue::new(&o).unwrap();
    queue
        .enqueue(EventKind::Custom, REFUSED_BY_THE_SERVICE)
        .unwrap();
    queue
        .enqueue(EventKind::Custom, &valued_event("fine"))
        .unwrap();
    queue.flush(Duration::from_secs(10)).unwrap();
    let c = queue.counters();
    assert_counter_identity(&c);
    assert_eq!((c.delivered, c.failed, c.attempts), (1, 1, 2));
    let seen = failures.lock().unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].2, Code::MissingParameter);
    assert!(seen[0].1.contains("no type"));
}

#[test]
fn max_age_fails_events_with_the_code_of_their_last_try() {
    let mut o = Options::new();
    o.set_token(KEY).unwrap();
    o.set_endpoint(Some(&format!("http://127.0.0.1:{}/rest/ua", dead_port())))
        .unwrap();
    o.set_retry_backoff_ms(1, 5).unwrap();
    o.set_queue_backoff_ms(20, 100).unwrap();
    o.set_queue_max_age_ms(600).unwrap();
    let failures = recording_failures(&mut o);
    let queue = Queue::new(&o).unwrap();
    for i in 0..20 {
        queue
            .enqueue(EventKind::Custom, &valued_event(&format!("a{i}")))
            .unwrap();
    }
    queue
        .flush(Duration::from_secs(20))
        .expect("all failed for good");
    let c = queue.counters();
    assert_counter_identity(&c);
    assert_eq!((c.failed, c.delivered), (20, 0));
    let seen = failures.lock().unwrap();
    assert_eq!(seen.len(), 20, "each failure reported once");
    assert!(
        seen.iter().all(|f| f.2 == Code::ConnectionFailed),
        "{seen:?}"
    );
}

#[test]
fn capacity_by_events_and_by_bytes_refuses_at_once() {
    let mut o = Options::new();
    o.set_token(KEY).unwrap();
    o.set_endpoint(Some(&format!("http://127.0.0.1:{}/rest/ua", dead_port())))
        .unwrap();
    o.set_queue_capacity(10, 1 << 20).unwrap();
    let queue = Queue::new(&o).unwrap();
    for i in 0..10 {
        queue
            .enqueue(EventKind::Custom, &valued_event(&format!("c{i}")))
            .unwrap();
    }
    let started = Instant::now();
    for _ in 0..1000 {
        let e = queue
            .enqueue(EventKind::Custom, &valued_event("over"))
            .unwrap_err();
        assert_eq!(e.code(), Code::QueueFull);
    }
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "a full queue must not block"
    );
    let c = queue.counters();
    assert_eq!((c.enqueued, c.refused, c.pending), (10, 1000, 10));
    assert_counter_identity(&c);
    drop(queue);

    let one = valued_event("b0").len() as u64;
    o.set_queue_capacity(1000, 3 * one).unwrap();
    let queue = Queue::new(&o).unwrap();
    for i in 0..3 {
        queue
            .enqueue(EventKind::Custom, &valued_event(&format!("b{i}")))
            .unwrap();
    }
    let e = queue
        .enqueue(EventKind::Custom, &valued_event("b3"))
        .unwrap_err();
    assert_eq!(e.code(), Code::QueueFull);
    assert!(
        e.result().message().contains("capacity"),
        "{}",
        e.result().message()
    );
    assert_counter_identity(&queue.counters());
}

#[test]
fn close_with_a_hanging_service_is_bounded_and_gives_every_event_back() {
    let emu = Emulator::start(&[]);
    let mut o = queue_options(&emu);
    o.set_queue_workers(2).unwrap();
    o.set_timeout_ms(30_000).unwrap();
    o.set_deadline_ms(60_000).unwrap();
    let failures = recording_failures(&mut o);
    let queue = Queue::new(&o).unwrap();
    emu.fault(r#"{"count":0,"action":"stall","delay_ms":60000}"#);
    for i in 0..20 {
        queue
            .enqueue(EventKind::Custom, &valued_event(&format!("h{i}")))
            .unwrap();
    }
    std::thread::sleep(Duration::from_millis(200));
    let started = Instant::now();
    let e = queue.close(Duration::from_millis(200)).unwrap_err();
    let took = started.elapsed();
    assert_eq!(e.code(), Code::Timeout);
    assert!(
        took >= Duration::from_millis(200) && took < Duration::from_millis(1500),
        "close(200 ms) took {took:?}"
    );
    let c = queue.counters();
    assert_counter_identity(&c);
    assert_eq!((c.failed, c.pending, c.delivered), (20, 0, 0));
    let seen = failures.lock().unwrap().clone();
    assert_eq!(seen.len(), 20);
    assert!(seen.iter().all(|f| f.2 == Code::QueueClosed), "{seen:?}");
    // A second close returns at once; the queue refuses new events.
    let started = Instant::now();
    assert!(queue.close(Duration::from_secs(5)).is_ok());
    assert!(started.elapsed() < Duration::from_millis(100));
    assert_eq!(
        queue
            .enqueue(EventKind::Custom, &valued_event("late"))
            .unwrap_err()
            .code(),
        Code::QueueClosed
    );
    assert_eq!(queue.flush(Duration::from_secs(1)), Ok(()));
    assert_counter_identity(&queue.counters());
}

#[test]
fn drop_without_close_is_bounded() {
    let emu = Emulator::start(&[]);
    let mut o = queue_options(&emu);
    o.set_timeout_ms(30_000).unwrap();
    o.set_deadline_ms(60_000).unwrap();
    let failures = recording_failures(&mut o);
    let queue = Queue::new(&o).unwrap();
    emu.fault(r#"{"count":0,"action":"stall","delay_ms":60000}"#);
    for i in 0..5 {
        queue
            .enqueue(EventKind::Custom, &valued_event(&format!("d{i}")))
            .unwrap();
    }
    let started = Instant::now();
    drop(queue);
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(4),
        "drop took {took:?} (grace 2 s)"
    );
    assert_eq!(failures.lock().unwrap().len(), 5);
}

#[test]
fn the_log_callback_hears_pauses_and_failures_but_never_the_token() {
    let emu = Emulator::start(&[]);
    let mut o = queue_options(&emu);
    o.set_local_checks(false);
    let lines: Arc<Mutex<Vec<(LogLevel, String)>>> = Arc::default();
    let sink = Arc::clone(&lines);
    o.set_log_callback(
        Some(Arc::new(move |level, message: &str| {
            sink.lock().unwrap().push((level, message.to_string()));
        })),
        LogLevel::Debug,
    );
    let queue = Queue::new(&o).unwrap();
    emu.fault(r#"{"duration_ms":500,"status":503}"#);
    queue
        .enqueue(EventKind::Custom, &valued_event("logged"))
        .unwrap();
    queue
        .enqueue(EventKind::Custom, r#"{"eventValue":"bad","language":"en"}"#)
        .unwrap();
    queue.flush(Duration::from_secs(20)).unwrap();
    queue.close(Duration::from_secs(5)).unwrap();
    let lines = lines.lock().unwrap();
    let has =
        |level: LogLevel, text: &str| lines.iter().any(|(l, m)| *l == level && m.contains(text));
    assert!(has(LogLevel::Warn, "pauses"), "{lines:?}");
    assert!(has(LogLevel::Error, "UA_MISSING_PARAMETER"), "{lines:?}");
    assert!(has(LogLevel::Info, "queue closed"), "{lines:?}");
    assert!(lines.iter().all(|(_, m)| !m.contains(KEY)));
}

#[test]
fn an_event_is_always_tried_whatever_its_age() {
    // Issue 15, defect 4: a slow but healthy service and a short max age;
    // every event is tried, and delivered.
    let emu = Emulator::start(&["--latency-ms", "200"]);
    let mut o = queue_options(&emu);
    o.set_queue_workers(1).unwrap();
    o.set_queue_max_age_ms(300).unwrap();
    let failures = recording_failures(&mut o);
    let queue = Queue::new(&o).unwrap();
    for i in 0..4 {
        queue
            .enqueue(EventKind::Custom, &valued_event(&format!("slow-{i}")))
            .unwrap();
    }
    queue.flush(Duration::from_secs(20)).unwrap();
    let c = queue.counters();
    assert_eq!(
        (c.delivered, c.failed),
        (4, 0),
        "{c:?}: {:?}",
        failures.lock().unwrap()
    );
    assert_counter_identity(&c);
}

#[test]
fn max_age_ends_a_tried_event_during_a_long_pause() {
    // Issue 15, defect 5: a 429 asking for 10 s; events whose try failed
    // fail once their max age (1 s) passed, not when the pause ends.
    let emu = Emulator::start(&[]);
    emu.control(
        "POST",
        "faults",
        r#"{"status":429,"retry_after":"10","count":1000}"#,
    );
    let mut o = queue_options(&emu);
    o.set_queue_max_age_ms(1_000).unwrap();
    o.set_queue_workers(4).unwrap();
    let failures = recording_failures(&mut o);
    let queue = Queue::new(&o).unwrap();
    for i in 0..20 {
        queue
            .enqueue(EventKind::Custom, &valued_event(&format!("paused-{i}")))
            .unwrap();
    }
    let started = Instant::now();
    while failures.lock().unwrap().is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "no event failed within 4 s of a 1 s max age: {:?}",
            queue.counters()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let c = queue.counters();
    assert_counter_identity(&c);
    let seen = failures.lock().unwrap().clone();
    assert!(
        seen.iter().all(|f| f.2 == Code::TooManyRequests),
        "{seen:?}"
    );
    // Only tried events fail: the others wait for their try.
    assert!(c.attempts >= c.failed, "{c:?}");
    assert!(c.pending > 0, "{c:?}");
    assert!(started.elapsed() < Duration::from_secs(4));
    let _ = queue.close(Duration::ZERO);
}

#[test]
fn a_host_that_does_not_resolve_is_said_once_at_error() {
    // Issue 19: a mistyped organization id makes the org host fail to
    // resolve; the queue keeps probing, and the log says why once.
    let mut o = Options::new();
    o.set_token(KEY).unwrap();
    // The .invalid top-level domain never resolves (RFC 2606).
    o.set_endpoint(Some("https://no-such-org.analytics.invalid/rest/ua"))
        .unwrap();
    o.set_timeout_ms(2_000).unwrap();
    o.set_retry_backoff_ms(1, 5).unwrap();
    o.set_queue_backoff_ms(20, 50).unwrap();
    let lines: Arc<Mutex<Vec<(LogLevel, String)>>> = Arc::default();
    let sink = Arc::clone(&lines);
    o.set_log_callback(
        Some(Arc::new(move |level, m: &str| {
            sink.lock().unwrap().push((level, m.to_string()));
        })),
        LogLevel::Info,
    );
    let queue = Queue::new(&o).unwrap();
    for i in 0..3 {
        queue
            .enqueue(EventKind::Custom, &valued_event(&format!("dns-{i}")))
            .unwrap();
    }
    // Several failed probes.
    let started = Instant::now();
    while queue.counters().attempts < 4 && started.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(queue.counters().attempts >= 4, "{:?}", queue.counters());
    let _ = queue.close(Duration::ZERO);
    let lines = lines.lock().unwrap();
    let told: Vec<&String> = lines
        .iter()
        .filter(|(level, m)| *level == LogLevel::Error && m.contains("does not resolve"))
        .map(|(_, m)| m)
        .collect();
    assert_eq!(told.len(), 1, "{lines:#?}");
    assert!(told[0].contains("organization id"), "{}", told[0]);
    assert!(
        told[0].contains("no-such-org.analytics.invalid"),
        "{}",
        told[0]
    );
}
