//! The queue after `fork()`, against the real `ua-emulator`: a child uses the
//! parent's queue as its own (its own workers and counters), the parent's
//! events stay the parent's, a fork while another thread holds the queue's
//! lock never hangs the child, a fork that runs no `pthread_atfork` handler
//! is noticed too, and the spool lane of a child that died is adopted and
//! delivered by its parent. A blocking client made before a fork sends from
//! the child on connections of the child's own.
//!
//! Children are forked from the test process; anything a child finds wrong
//! becomes its exit status. Tests that fork from a process whose only other
//! threads are the queue's run this binary again on an `#[ignore]`d entry.
#![cfg(unix)]

mod common;

use common::*;
use coveo_ua::{Code, Counters, EventKind, Options, Queue};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn queue_options(emu: &Emulator) -> Options {
    let mut o = emu.options();
    o.set_queue_backoff_ms(50, 400).unwrap();
    o
}

/// Runs `child` in a forked process and returns its exit status (the child
/// never returns into the test harness). A child still alive after
/// `deadline` is killed and reported as hung.
fn in_child(deadline: Duration, child: impl FnOnce() -> bool) -> Result<(), String> {
    // SAFETY: the child runs `child`, then leaves with _exit, running no
    // destructor of the parent's state.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let ok = std::panic::catch_unwind(std::panic::AssertUnwindSafe(child)).unwrap_or(false);
        // SAFETY: ends the child at once.
        unsafe { libc::_exit(if ok { 0 } else { 1 }) };
    }
    wait_child(pid, deadline)
}

fn wait_child(pid: i32, deadline: Duration) -> Result<(), String> {
    let until = Instant::now() + deadline;
    loop {
        let mut status = 0;
        // SAFETY: polls the child this test forked.
        let done = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if done == pid {
            return if libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0 {
                Ok(())
            } else {
                Err(format!("the child failed (status {status})"))
            };
        }
        if Instant::now() > until {
            // SAFETY: kills and reaps the child this test forked.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
                libc::waitpid(pid, &mut status, 0);
            }
            return Err(format!("the child hung for {deadline:?}"));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn own_counters_are(c: &Counters, enqueued: u64, delivered: u64) -> bool {
    c.enqueued == enqueued
        && c.delivered == delivered
        && c.recovered == 0
        && c.failed == 0
        && c.pending == 0
}

#[test]
fn a_child_uses_the_parents_queue_as_its_own() {
    let emu = Emulator::start(&["--latency-ms", "300"]);
    let queue = Queue::new(&queue_options(&emu)).unwrap();
    for i in 0..5 {
        queue
            .enqueue(EventKind::Custom, &valued_event(&format!("parent-{i}")))
            .unwrap();
    }
    // The parent's events are in flight (300 ms) when the child starts.
    let child = in_child(Duration::from_secs(30), || {
        let before = queue.counters();
        let mut ok = before.enqueued == 0 && before.delivered == 0 && before.workers > 0;
        for i in 0..3 {
            ok &= queue
                .enqueue(EventKind::Custom, &valued_event(&format!("child-{i}")))
                .is_ok();
        }
        ok &= queue.flush(Duration::from_secs(20)).is_ok();
        ok &= own_counters_are(&queue.counters(), 3, 3);
        ok &= queue.close(Duration::from_secs(5)).is_ok();
        ok
    });
    child.expect("the child's queue");
    queue.flush(Duration::from_secs(20)).unwrap();
    let c = queue.counters();
    assert!(own_counters_are(&c, 5, 5), "{c:?}");
    let seen = logged_values(&emu);
    for i in 0..5 {
        assert_eq!(seen.get(&format!("parent-{i}")), Some(&1), "{seen:?}");
    }
    for i in 0..3 {
        assert_eq!(seen.get(&format!("child-{i}")), Some(&1), "{seen:?}");
    }
    assert_eq!(seen.len(), 8, "{seen:?}");
}

#[test]
fn a_fork_while_another_thread_enqueues_never_hangs_the_child() {
    let emu = Emulator::start(&[]);
    let queue = Arc::new(Queue::new(&queue_options(&emu)).unwrap());
    let stop = Arc::new(AtomicBool::new(false));
    let hammer = {
        let (queue, stop) = (Arc::clone(&queue), Arc::clone(&stop));
        std::thread::spawn(move || {
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let _ = queue.enqueue(EventKind::Custom, &valued_event(&format!("h{n}")));
                n += 1;
            }
        })
    };
    let mut failures = Vec::new();
    for round in 0..20 {
        let queue = Arc::clone(&queue);
        let child = in_child(Duration::from_secs(20), move || {
            let value = format!("forked-{round}");
            let said = |what: String| {
                // Straight to fd 2: the harness's capture stays in the parent.
                use std::io::Write;
                let _ = writeln!(std::io::stderr(), "round {round}, child: {what}");
                false
            };
            if let Err(e) = queue.enqueue(EventKind::Custom, &valued_event(&value)) {
                return said(format!("enqueue: {}", e.result().message()));
            }
            if let Err(e) = queue.flush(Duration::from_secs(10)) {
                return said(format!("flush: {e}; {:?}", queue.counters()));
            }
            let c = queue.counters();
            own_counters_are(&c, 1, 1) || said(format!("counters {c:?}"))
        });
        if let Err(e) = child {
            failures.push(format!("round {round}: {e}"));
        }
    }
    stop.store(true, Ordering::Relaxed);
    hammer.join().unwrap();
    assert!(failures.is_empty(), "{failures:?}");
    queue.flush(Duration::from_secs(30)).unwrap();
    let seen = logged_values(&emu);
    for round in 0..20 {
        assert_eq!(seen.get(&format!("forked-{round}")), Some(&1));
    }
}

#[test]
fn a_fork_while_other_threads_start_and_end_never_stops_the_childs_threads() {
    // std's threads take a lock of std's as they start and end; a fork while
    // a parent thread holds it leaves it held in the child. The queue's
    // threads must start in the child anyway (before, the child's workers
    // waited on it for good).
    const ROUNDS: u32 = 100;
    let emu = Emulator::start(&[]);
    let queue = Arc::new(Queue::new(&queue_options(&emu)).unwrap());
    let stop = Arc::new(AtomicBool::new(false));
    let churn: Vec<_> = (0..4)
        .map(|_| {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    std::thread::spawn(|| {}).join().unwrap();
                }
            })
        })
        .collect();
    let mut failures = Vec::new();
    for round in 0..ROUNDS {
        let queue = Arc::clone(&queue);
        let child = in_child(Duration::from_secs(20), move || {
            queue
                .enqueue(EventKind::Custom, &valued_event(&format!("churn-{round}")))
                .is_ok()
                && queue.flush(Duration::from_secs(10)).is_ok()
        });
        if let Err(e) = child {
            failures.push(format!("round {round}: {e}"));
        }
    }
    stop.store(true, Ordering::Relaxed);
    for t in churn {
        t.join().unwrap();
    }
    assert!(failures.is_empty(), "{failures:?}");
    let seen = logged_values(&emu);
    for round in 0..ROUNDS {
        assert_eq!(seen.get(&format!("churn-{round}")), Some(&1));
    }
}

/// Runs this test binary again on the ignored test `name`, with `env`.
#[cfg(target_os = "linux")]
fn rerun(name: &str, env: &[(&str, &str)]) -> std::process::Command {
    let mut cmd = std::process::Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--ignored",
        "--exact",
        name,
        "--nocapture",
        "--test-threads=1",
    ]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// A child made by a raw `clone` system call runs no `pthread_atfork`
/// handler: the queue must still see that it is a child. Run alone in its
/// process (the raw child must not find another thread of the test harness
/// holding the allocator's lock).
#[cfg(target_os = "linux")]
#[test]
#[ignore = "run by a_child_made_without_atfork_handlers_gets_its_own_queue"]
fn raw_clone_child() {
    let url = std::env::var("UA_FORK_URL").expect("UA_FORK_URL");
    let mut o = Options::new();
    o.set_token(KEY).unwrap();
    o.set_endpoint(Some(&url)).unwrap();
    let queue = Queue::new(&o).unwrap();
    queue
        .enqueue(EventKind::Custom, &valued_event("before-clone"))
        .unwrap();
    queue.flush(Duration::from_secs(10)).unwrap();
    // SAFETY: a fork by system call; the child uses the queue, then _exit.
    let pid = unsafe { libc::syscall(libc::SYS_clone, libc::SIGCHLD, 0, 0, 0, 0) } as i32;
    assert!(pid >= 0, "clone failed");
    if pid == 0 {
        let ok = queue
            .enqueue(EventKind::Custom, &valued_event("raw-child"))
            .is_ok()
            && queue.flush(Duration::from_secs(10)).is_ok()
            && own_counters_are(&queue.counters(), 1, 1);
        // SAFETY: ends the child at once.
        unsafe { libc::_exit(if ok { 0 } else { 1 }) };
    }
    wait_child(pid, Duration::from_secs(20)).expect("the raw child");
    assert!(own_counters_are(&queue.counters(), 1, 1));
}

#[cfg(target_os = "linux")]
#[test]
fn a_child_made_without_atfork_handlers_gets_its_own_queue() {
    let emu = Emulator::start(&[]);
    let status = rerun("raw_clone_child", &[("UA_FORK_URL", &emu.url)])
        .status()
        .unwrap();
    assert!(status.success(), "{status}");
    let seen = logged_values(&emu);
    assert_eq!(seen.get("before-clone"), Some(&1));
    assert_eq!(seen.get("raw-child"), Some(&1));
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "coveo-ua-fork-{name}-{}-{}",
        std::process::id(),
        fastrand::u64(..)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn spool_options(emu: &Emulator, dir: &Path) -> Options {
    let mut o = queue_options(emu);
    o.set_spool_dir(dir.to_str()).unwrap();
    o
}

#[test]
fn the_lane_of_a_child_that_died_is_adopted_by_its_parent() {
    let emu = Emulator::start(&[]);
    let dir = temp_dir("adopt");
    let queue = Queue::new(&spool_options(&emu, &dir)).unwrap();
    // The service fails for three seconds: the child's events stay pending.
    emu.control("POST", "faults", r#"{"status":503,"duration_ms":3000}"#);
    let child = in_child(Duration::from_secs(20), || {
        let mut ok = true;
        for i in 0..20 {
            ok &= queue
                .enqueue(EventKind::Custom, &valued_event(&format!("orphan-{i}")))
                .is_ok();
        }
        // Dies at once, as a worker killed by its server would: no close.
        ok
    });
    child.expect("the child enqueued");
    let started = Instant::now();
    let until = started + Duration::from_secs(30);
    let mut seen = logged_values(&emu);
    while (0..20).any(|i| !seen.contains_key(&format!("orphan-{i}"))) {
        assert!(
            Instant::now() < until,
            "the orphaned lane was not delivered in 30 s: {seen:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
        seen = logged_values(&emu);
    }
    let took = started.elapsed();
    let c = queue.counters();
    assert_eq!(c.recovered, 20, "{c:?}");
    assert_counter_identity(&c);
    eprintln!("fork test: a dead child's 20 events delivered by its parent {took:?} after it died");
    queue.close(Duration::from_secs(5)).unwrap();
    drop(queue);
    let left: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with("lane-"))
        .collect();
    assert!(left.is_empty(), "settled lanes are removed: {left:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_closed_lane_is_taken_at_once_while_a_child_that_never_used_it_lives() {
    // Issue 15, defect 3: a child holding an inherited descriptor of the
    // lane's lock must not keep the lane from the next queue.
    let emu = Emulator::start(&[]);
    let dir = temp_dir("inherit");
    let mut o = spool_options(&emu, &dir);
    o.set_endpoint(Some(&format!("http://127.0.0.1:{}/rest/ua", dead_port())))
        .unwrap();
    let queue = Queue::new(&o).unwrap();
    for i in 0..3 {
        queue
            .enqueue(EventKind::Custom, &valued_event(&format!("kept-{i}")))
            .unwrap();
    }
    // SAFETY: the child only sleeps, then leaves with _exit.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0);
    if pid == 0 {
        std::thread::sleep(Duration::from_secs(20));
        // SAFETY: ends the child.
        unsafe { libc::_exit(0) };
    }
    let closed = queue.close(Duration::from_millis(100));
    assert!(closed.is_err(), "events were left");
    drop(queue);
    let next = Queue::new(&spool_options(&emu, &dir)).unwrap();
    let c = next.counters();
    next.flush(Duration::from_secs(10)).unwrap();
    // SAFETY: ends the sleeping child.
    unsafe {
        libc::kill(pid, libc::SIGKILL);
        libc::waitpid(pid, std::ptr::null_mut(), 0);
    }
    assert_eq!(c.recovered, 3, "{c:?}");
    let seen = logged_values(&emu);
    for i in 0..3 {
        assert_eq!(seen.get(&format!("kept-{i}")), Some(&1), "{seen:?}");
    }
    next.close(Duration::from_secs(5)).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn children_starting_their_queues_at_once_on_one_spool_all_start() {
    // Forked children share their parent's random state: the names of the
    // lanes they make at the same moment must still differ.
    let emu = Emulator::start(&[]);
    let dir = temp_dir("together");
    let queue = Queue::new(&spool_options(&emu, &dir)).unwrap();
    let mut children = Vec::new();
    for round in 0..8 {
        // SAFETY: the child uses the queue, then leaves with _exit.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0);
        if pid == 0 {
            let ok = queue
                .enqueue(
                    EventKind::Custom,
                    &valued_event(&format!("together-{round}")),
                )
                .is_ok()
                && queue.flush(Duration::from_secs(10)).is_ok();
            // SAFETY: ends the child at once.
            unsafe { libc::_exit(if ok { 0 } else { 1 }) };
        }
        children.push(pid);
    }
    let failed: Vec<String> = children
        .into_iter()
        .filter_map(|pid| wait_child(pid, Duration::from_secs(30)).err())
        .collect();
    assert!(failed.is_empty(), "{failed:?}");
    // The children left without a close: a new queue adopts their lanes at
    // once. Each flushed before it left, so nothing in them is sent again.
    let next = Queue::new(&spool_options(&emu, &dir)).unwrap();
    next.flush(Duration::from_secs(10)).unwrap();
    assert_eq!(next.counters().delivered, 0, "{:?}", next.counters());
    drop(next);
    let seen = logged_values(&emu);
    for round in 0..8 {
        assert_eq!(seen.get(&format!("together-{round}")), Some(&1));
    }
    drop(queue);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Sends a custom event carrying `client_id`; true when the service accepted
/// it and its answer names that client id (so it answered this request).
fn answered_for_itself(client: &coveo_ua::Client, client_id: &str) -> bool {
    let event = format!(
        r#"{{"eventType":"fork","eventValue":"v","language":"en","clientId":"{client_id}"}}"#
    );
    let result = client.send(EventKind::Custom, &event);
    let body = result
        .body()
        .map(String::from_utf8_lossy)
        .unwrap_or_default();
    result.code() == Code::Ok && body.contains(&format!(r#""clientId":"{client_id}""#))
}

#[test]
fn a_client_made_before_a_fork_never_shares_a_connection_with_the_child() {
    // A pooled keep-alive connection inherited by a child is one socket for
    // two processes: each read answers meant for the other (every child's
    // answer named another request's client id before the fix).
    let emu = Emulator::start(&["--latency-ms", "2"]);
    let client = emu.client();
    // The parent's pool now holds a connection the children inherit.
    assert!(answered_for_itself(
        &client,
        "00000000-0000-4000-8000-0000000000aa"
    ));
    let children: Vec<_> = (0..4u32)
        .map(|w| {
            // SAFETY: the child sends, then leaves with _exit.
            let pid = unsafe { libc::fork() };
            assert!(pid >= 0, "fork failed");
            if pid == 0 {
                let ok = (0..30u32).all(|i| {
                    answered_for_itself(&client, &format!("00000000-0000-4000-8000-{w:04}{i:08}"))
                });
                // SAFETY: ends the child at once.
                unsafe { libc::_exit(if ok { 0 } else { 1 }) };
            }
            pid
        })
        .collect();
    // The parent keeps sending on its own connection meanwhile.
    for i in 0..30u32 {
        let id = format!("00000000-0000-4000-8000-ffff{i:08}");
        assert!(answered_for_itself(&client, &id), "the parent's answer {i}");
    }
    for (w, pid) in children.into_iter().enumerate() {
        wait_child(pid, Duration::from_secs(60))
            .unwrap_or_else(|e| panic!("child {w}: an answer was not its own: {e}"));
    }
    // Every request reached the service once.
    assert_eq!(emu.requests_for("custom"), 1 + 4 * 30 + 30);
}
