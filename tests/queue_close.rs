//! Closing and freeing a queue, against the real `ua-emulator` and raw
//! loopback sockets: a close cuts off a send stuck in a TCP connect and
//! reports its event, a second close neither waits nor cuts the first one
//! short, what a close returns agrees with the counters, and callbacks that
//! re-enter their queue while it is freed never hang the free.

mod common;

use common::*;
use coveo_ua::{Code, EventKind, FailedEvent, LogLevel, Options, Queue};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A loopback listener that never accepts, with its backlog filled: a new
/// connect to it waits (its SYN is dropped) until its own timeout.
struct FullBacklog {
    addr: SocketAddr,
    _listener: TcpListener,
    _held: Vec<TcpStream>,
}

impl FullBacklog {
    fn new() -> FullBacklog {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let mut held = Vec::new();
        loop {
            match TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
                Ok(s) => held.push(s),
                Err(_) => break,
            }
            assert!(held.len() < 4096, "the backlog never filled");
        }
        FullBacklog {
            addr,
            _listener: listener,
            _held: held,
        }
    }
}

/// The names of this process's threads that belong to a queue.
fn queue_threads() -> Vec<String> {
    std::fs::read_dir("/proc/self/task")
        .map(|tasks| {
            tasks
                .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
                .map(|name| name.trim().to_string())
                .filter(|name| name.starts_with("coveo-ua"))
                .collect()
        })
        .unwrap_or_default()
}

/// Run alone in its process (other tests' queues would have threads too).
#[test]
#[ignore = "run by close_cuts_off_a_send_stuck_in_connect"]
fn stuck_connect_child() {
    let backlog = FullBacklog::new();
    let mut o = Options::new();
    o.set_token(KEY).unwrap();
    o.set_endpoint(Some(&format!("http://{}/rest/ua", backlog.addr)))
        .unwrap();
    o.set_timeout_ms(4_000).unwrap();
    o.set_queue_workers(1).unwrap();
    let heard: Arc<Mutex<Vec<Code>>> = Arc::default();
    let sink = Arc::clone(&heard);
    o.set_failure_callback(Some(Arc::new(move |f: &FailedEvent<'_>| {
        sink.lock().unwrap().push(f.result.code());
    })));
    let queue = Queue::new(&o).unwrap();
    queue.enqueue(EventKind::Custom, CUSTOM).unwrap();
    // The worker is now waiting in connect.
    std::thread::sleep(Duration::from_millis(300));
    let started = Instant::now();
    let closed = queue.close(Duration::from_millis(200));
    let took = started.elapsed();
    assert_eq!(closed.unwrap_err().code(), Code::Timeout);
    assert!(took < Duration::from_secs(1), "close took {took:?}");
    let c = queue.counters();
    assert_eq!((c.failed, c.pending), (1, 0), "{c:?}");
    assert_counter_identity(&c);
    assert_eq!(*heard.lock().unwrap(), [Code::QueueClosed]);
    // The connect was cut off: no thread of the queue is left behind.
    let left = queue_threads();
    assert!(
        left.is_empty(),
        "threads still running after close: {left:?}"
    );
    println!("stuck connect: close returned in {took:?}");
}

#[cfg(target_os = "linux")]
#[test]
fn close_cuts_off_a_send_stuck_in_connect() {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "stuck_connect_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_second_close_returns_at_once_and_leaves_the_first_its_time() {
    let emu = Emulator::start(&["--latency-ms", "600"]);
    let queue = Arc::new(Queue::new(&emu.options()).unwrap());
    queue
        .enqueue(EventKind::Custom, &valued_event("in-flight"))
        .unwrap();
    let first = {
        let queue = Arc::clone(&queue);
        std::thread::spawn(move || queue.close(Duration::from_secs(10)))
    };
    std::thread::sleep(Duration::from_millis(100));
    let started = Instant::now();
    let second = queue.close(Duration::ZERO);
    assert!(
        started.elapsed() < Duration::from_millis(50),
        "{:?}",
        started.elapsed()
    );
    assert!(second.is_ok(), "{second:?}");
    first
        .join()
        .unwrap()
        .expect("the first close delivered everything");
    let c = queue.counters();
    assert_eq!((c.delivered, c.failed, c.pending), (1, 0, 0), "{c:?}");
    assert_eq!(logged_values(&emu).get("in-flight"), Some(&1));
}

#[test]
fn what_close_returns_agrees_with_the_counters() {
    // A close whose time ends about when the answer comes: either way, the
    // code it returns must say what the counters and the service say.
    let emu = Emulator::start(&["--latency-ms", "60"]);
    let mut mismatches = Vec::new();
    for round in 0..30 {
        let failed = Arc::new(AtomicUsize::new(0));
        let mut o = emu.options();
        let count = Arc::clone(&failed);
        o.set_failure_callback(Some(Arc::new(move |_: &FailedEvent<'_>| {
            count.fetch_add(1, Ordering::Relaxed);
        })));
        let queue = Queue::new(&o).unwrap();
        let value = format!("round-{round}");
        queue
            .enqueue(EventKind::Custom, &valued_event(&value))
            .unwrap();
        let closed = queue.close(Duration::from_millis(40 + round % 40));
        let c = queue.counters();
        assert_counter_identity(&c);
        let said_ok = closed.is_ok();
        let delivered = c.delivered == 1 && c.failed == 0 && c.pending == 0;
        if said_ok != delivered || failed.load(Ordering::Relaxed) as u64 != c.failed {
            mismatches.push(format!("round {round}: {closed:?} with {c:?}"));
        }
    }
    assert!(mismatches.is_empty(), "{mismatches:#?}");
}

/// The queue a callback reaches, as a C host's callback would through its
/// `user_data`: a plain pointer, valid until the free returns.
struct QueuePointer(std::sync::atomic::AtomicPtr<Queue>);

#[test]
fn callbacks_that_re_enter_their_queue_never_hang_its_free() {
    // The failure callback enqueues into its own full queue (which logs a
    // refusal through the log callback) while the host frees the queue.
    let emu = Emulator::start(&[]);
    for _ in 0..10 {
        let mut o = emu.options();
        o.set_local_checks(false);
        o.set_queue_capacity(1, 1 << 20).unwrap();
        let pointer = Arc::new(QueuePointer(Default::default()));
        let logged = Arc::new(AtomicUsize::new(0));
        let count = Arc::clone(&logged);
        o.set_log_callback(
            Some(Arc::new(move |_: LogLevel, _: &str| {
                count.fetch_add(1, Ordering::Relaxed);
            })),
            LogLevel::Debug,
        );
        let reach = Arc::clone(&pointer);
        o.set_failure_callback(Some(Arc::new(move |_: &FailedEvent<'_>| {
            // SAFETY: the queue is freed only after its callbacks returned.
            if let Some(queue) = unsafe { reach.0.load(Ordering::Acquire).as_ref() } {
                for _ in 0..50 {
                    let _ = queue.enqueue(EventKind::Custom, REFUSED_BY_THE_SERVICE);
                }
            }
        })));
        let queue = Box::new(Queue::new(&o).unwrap());
        for _ in 0..5 {
            let _ = queue.enqueue(EventKind::Custom, REFUSED_BY_THE_SERVICE);
        }
        let raw = Box::into_raw(queue);
        pointer.0.store(raw, Ordering::Release);
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        let freed = raw as usize;
        std::thread::spawn(move || {
            // SAFETY: made by Box::into_raw above, freed once here.
            drop(unsafe { Box::from_raw(freed as *mut Queue) });
            let _ = done_tx.send(());
        });
        done_rx
            .recv_timeout(Duration::from_secs(20))
            .expect("freeing a queue whose callbacks re-enter it hung");
        assert!(logged.load(Ordering::Relaxed) > 0);
    }
}
