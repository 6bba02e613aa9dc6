//! The delivery queue: the host hands an event off in about a microsecond,
//! worker threads deliver it with the client's rules, and the queue says what
//! happened to every event.
//!
//! - Bounded: at most `max_events` events and `max_bytes` bytes of JSON (on
//!   disk too, with a spool); past either, [`Queue::enqueue`] refuses at once
//!   with `Code::QueueFull`. It never waits for the network or a worker.
//! - Durable with a spool: an event is written to the spool before enqueue
//!   returns, so it survives the process being killed; the next queue on the
//!   directory delivers it (counted as recovered).
//! - One shared backoff: a send that ends throttled, failed, unreachable or
//!   timed out pauses the whole queue, which then probes with one request now
//!   and then (see `backoff`), so an outage never becomes a retry storm.
//! - Nothing is lost silently: every event is delivered, or failed for good
//!   (failure callback, `failed` counter, and the spool's dead-letter file),
//!   or still pending; `enqueued + recovered = delivered + failed + pending`
//!   holds at every moment.

mod backoff;
pub(crate) mod settings;
mod spool;
mod worker;

use crate::client::Client;
use crate::code::Code;
use crate::error::Error;
use crate::event::EventKind;
use crate::ffi::consts::{
    UA_COUNTER_ATTEMPTS, UA_COUNTER_DELIVERED, UA_COUNTER_ENQUEUED, UA_COUNTER_FAILED,
    UA_COUNTER_PENDING, UA_COUNTER_RECOVERED, UA_COUNTER_REFUSED,
};
use crate::options::Options;
use crate::outcome::{SendError, SendResult};
use backoff::Backoff;
use settings::{LogLevel, QueueSettings};
use spool::{Spool, SpoolRef};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub use settings::{FailedEvent, FailureCallback, LogCallback};

/// One of the queue's counters (the numbers are the C contract's).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(i32)]
#[non_exhaustive]
pub enum Counter {
    /// Calls of `enqueue` that took the event.
    Enqueued = UA_COUNTER_ENQUEUED,
    /// Events the service accepted.
    Delivered = UA_COUNTER_DELIVERED,
    /// Events failed for good (each reported once to the failure callback).
    Failed = UA_COUNTER_FAILED,
    /// Calls of `enqueue` that did not take the event.
    Refused = UA_COUNTER_REFUSED,
    /// Events taken and not yet delivered or failed, at this moment.
    Pending = UA_COUNTER_PENDING,
    /// HTTP requests the workers made.
    Attempts = UA_COUNTER_ATTEMPTS,
    /// Events found in the spool when the queue was made, left by an earlier process.
    Recovered = UA_COUNTER_RECOVERED,
}

impl Counter {
    /// The counter for a number, or `None`.
    pub fn from_raw(raw: i32) -> Option<Counter> {
        use Counter::*;
        [
            Enqueued, Delivered, Failed, Refused, Pending, Attempts, Recovered,
        ]
        .into_iter()
        .find(|c| *c as i32 == raw)
    }
}

/// The queue's counters, read together (so the identity
/// `enqueued + recovered == delivered + failed + pending` holds in it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Calls of `enqueue` that took the event.
    pub enqueued: u64,
    /// Events the service accepted.
    pub delivered: u64,
    /// Events failed for good.
    pub failed: u64,
    /// Calls of `enqueue` that did not take the event.
    pub refused: u64,
    /// Events taken and not yet delivered or failed.
    pub pending: u64,
    /// HTTP requests the workers made.
    pub attempts: u64,
    /// Events found in the spool when the queue was made.
    pub recovered: u64,
}

impl Counters {
    /// The value of one counter.
    pub fn get(&self, counter: Counter) -> u64 {
        match counter {
            Counter::Enqueued => self.enqueued,
            Counter::Delivered => self.delivered,
            Counter::Failed => self.failed,
            Counter::Refused => self.refused,
            Counter::Pending => self.pending,
            Counter::Attempts => self.attempts,
            Counter::Recovered => self.recovered,
        }
    }
}

/// An event the queue holds.
struct Event {
    /// Order of taking: flush waits for the events taken before it.
    seq: u64,
    kind: EventKind,
    json: Box<str>,
    /// Unix milliseconds (wall clock, so it survives in the spool).
    enqueued_ms: u64,
    spooled: Option<SpoolRef>,
}

/// Whether the queue takes events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Open,
    /// `close` was called: no new events, delivery goes on until its timeout.
    Closing,
    /// Workers stop; what is left stays in the spool or fails as closed.
    Stopped,
}

/// What the workers and the host's threads share, behind one lock.
struct State {
    phase: Phase,
    /// Events waiting for a worker, in `seq` order.
    ready: VecDeque<Event>,
    /// The `seq` of each event a worker is sending.
    in_flight: Vec<u64>,
    held_bytes: u64,
    next_seq: u64,
    enqueued: u64,
    delivered: u64,
    failed: u64,
    recovered: u64,
    backoff: Backoff,
    /// Workers waiting for an event (not those waiting out a pause).
    idle: usize,
    /// Wake-ups sent and not yet taken, so a burst of enqueues wakes a
    /// worker once (each wake-up is a system call on the host's thread).
    wakes_pending: usize,
    /// Threads in `flush` or `close`, waiting for events to settle.
    settle_waiters: usize,
    /// The smallest `seq` any of them waits to see settled (`u64::MAX`:
    /// everything), so a settled event wakes them only when it can matter.
    settle_goal: u64,
    /// Events failed for good whose callback has not returned yet: a flush
    /// waits for them too, so its caller has heard of every failure.
    reporting: usize,
    workers_alive: usize,
    spool: Option<Spool>,
}

impl State {
    fn pending(&self) -> u64 {
        (self.ready.len() + self.in_flight.len()) as u64
    }

    /// The smallest `seq` not yet settled, if any.
    fn oldest_unsettled(&self) -> Option<u64> {
        let ready = self.ready.front().map(|e| e.seq);
        let flying = self.in_flight.iter().copied().min();
        match (ready, flying) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// The wake-up of sleeps that must end when the queue stops.
struct StopSignal {
    stopped: Mutex<bool>,
    wake: Condvar,
}

impl StopSignal {
    /// Sleeps for `d`, or less if the queue stops meanwhile.
    fn sleep(&self, d: Duration) {
        let Ok(guard) = self.stopped.lock() else {
            return;
        };
        let _ = self.wake.wait_timeout_while(guard, d, |stopped| !*stopped);
    }

    fn raise(&self) {
        if let Ok(mut stopped) = self.stopped.lock() {
            *stopped = true;
        }
        self.wake.notify_all();
    }
}

/// Everything a queue's threads share.
struct Shared {
    client: Client,
    settings: QueueSettings,
    state: Mutex<State>,
    /// Workers wait here: an event came, a pause ended, the queue stops.
    work: Condvar,
    /// Flush and close wait here for events to settle and workers to end.
    settle: Condvar,
    stop: StopSignal,
    /// Paused or stopped: sends must not retry (read without the lock).
    halted: AtomicBool,
    /// Transient attempt failures since the last delivery (see `worker`).
    failure_run: std::sync::atomic::AtomicU32,
    attempts: AtomicU64,
    refused: AtomicU64,
    /// False once the queue is freed: no callback may run after that.
    callbacks_on: RwLock<bool>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic on a worker cannot leave the state half-changed (every change
        // is a few assignments), so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn log_enabled(&self, level: LogLevel) -> bool {
        self.settings
            .log
            .as_ref()
            .is_some_and(|(_, max)| level <= *max)
    }

    /// Sends one message to the log callback (never with the queue's lock held).
    fn log(&self, level: LogLevel, message: &str) {
        if let Some((callback, max)) = &self.settings.log {
            if level <= *max {
                let on = self.callbacks_on.read().unwrap_or_else(|p| p.into_inner());
                if *on {
                    callback(level, message);
                }
            }
        }
    }

    /// Reports an event failed for good to the callback (lock not held), then
    /// lets waiting flushes know it was heard.
    fn report_failure(&self, kind: EventKind, json: &str, result: &SendResult) {
        self.call_failure_callbacks(kind, json, result);
        let mut st = self.lock();
        st.reporting -= 1;
        self.wake_settle_waiters(&st);
    }

    fn call_failure_callbacks(&self, kind: EventKind, json: &str, result: &SendResult) {
        if self.log_enabled(LogLevel::Error) {
            self.log(
                LogLevel::Error,
                &format!(
                    "{kind} event failed for good: {}: {}",
                    result.code(),
                    result.message()
                ),
            );
        }
        if let Some(callback) = &self.settings.on_failure {
            let on = self.callbacks_on.read().unwrap_or_else(|p| p.into_inner());
            if *on {
                callback(&FailedEvent {
                    kind,
                    event_json: json,
                    result,
                });
            }
        }
    }

    /// Settles an event as failed for good, with the lock held: counters,
    /// the spool's ack and dead letter. The caller reports it once unlocked.
    fn fail_locked(&self, st: &mut State, event: &Event, result: &SendResult) -> Option<String> {
        st.failed += 1;
        st.held_bytes -= event.json.len() as u64;
        st.reporting += 1;
        let spool = st.spool.as_mut()?;
        let mut trouble = None;
        if let Err(e) = spool.dead_letter(event.kind, &event.json, result, now_ms()) {
            trouble = Some(e.message().to_string());
        }
        if let Some(at) = event.spooled {
            if let Err(e) = spool.settled(at) {
                trouble = Some(e.message().to_string());
            }
        }
        trouble
    }

    /// Wakes flush and close when what they wait for may have come: every
    /// event before the smallest goal settled and heard of.
    fn wake_settle_waiters(&self, st: &State) {
        let goal_met = st.reporting == 0
            && st
                .oldest_unsettled()
                .is_none_or(|seq| st.settle_goal != u64::MAX && seq >= st.settle_goal);
        if st.settle_waiters > 0 && goal_met {
            self.settle.notify_all();
        }
    }

    /// Waits on the settle condition until `deadline` at most, as one waiter
    /// for `goal` (see `State::settle_goal`).
    fn wait_to_settle<'a>(
        &'a self,
        mut st: MutexGuard<'a, State>,
        goal: u64,
        deadline: Instant,
    ) -> MutexGuard<'a, State> {
        let left = deadline.saturating_duration_since(Instant::now());
        st.settle_waiters += 1;
        st.settle_goal = st.settle_goal.min(goal);
        st = self
            .settle
            .wait_timeout(st, left)
            .map(|(g, _)| g)
            .unwrap_or_else(|p| p.into_inner().0);
        st.settle_waiters -= 1;
        if st.settle_waiters == 0 {
            st.settle_goal = u64::MAX;
        }
        st
    }
}

/// Unix milliseconds now.
fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// A background delivery queue over a [`Client`]: thread-safe (`Send + Sync`),
/// shared by reference or in an `Arc`.
///
/// ```no_run
/// use coveo_ua::{EventKind, Options, Queue};
/// use std::time::Duration;
///
/// let mut options = Options::new();
/// options.set_token("xx-my-api-key").unwrap();
/// let queue = Queue::new(&options).unwrap();
/// queue
///     .enqueue(EventKind::Custom, r#"{"eventType":"t","eventValue":"v","language":"en"}"#)
///     .unwrap();
/// queue.close(Duration::from_secs(5)).ok();
/// println!("{:?}", queue.counters());
/// ```
///
/// Dropping a queue closes it with a grace of 2 seconds if it was not closed.
/// A queue made before a `fork` does nothing in the child: every call there
/// fails at once with `Code::QueueClosed`.
pub struct Queue {
    shared: Arc<Shared>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    generation: u64,
}

impl Queue {
    /// Makes a queue from `options` (copied) and starts its workers; with a
    /// spool directory, locks it and takes back what an earlier process left.
    ///
    /// Fails with `Code::InvalidArgument` for options a client refuses, and
    /// with `Code::SpoolFailed` when the spool cannot be created, locked or read.
    pub fn new(options: &Options) -> Result<Queue, Error> {
        let settings = options.queue.clone();
        let client = Client::new(options)?;
        let generation = crate::sys::fork::generation();
        let mut state = State {
            phase: Phase::Open,
            ready: VecDeque::new(),
            in_flight: Vec::with_capacity(settings.workers as usize),
            held_bytes: 0,
            next_seq: 0,
            enqueued: 0,
            delivered: 0,
            failed: 0,
            recovered: 0,
            backoff: Backoff::new(settings.pause_base, settings.pause_max),
            idle: 0,
            wakes_pending: 0,
            settle_waiters: 0,
            settle_goal: u64::MAX,
            reporting: 0,
            workers_alive: 0,
            spool: None,
        };
        let mut startup_notes = Vec::new();
        if let Some(dir) = &settings.spool_dir {
            let sync_each = settings.fsync_interval.is_zero();
            let (spool, found) = Spool::open(dir, settings.max_bytes, sync_each)?;
            for event in found.events {
                state.held_bytes += event.json.len() as u64;
                state.recovered += 1;
                state.ready.push_back(Event {
                    seq: state.next_seq,
                    kind: event.kind,
                    json: event.json,
                    enqueued_ms: event.enqueued_ms,
                    spooled: Some(event.at),
                });
                state.next_seq += 1;
            }
            for line in found.damage {
                startup_notes.push((LogLevel::Warn, line));
            }
            startup_notes.push((
                LogLevel::Info,
                format!(
                    "spool {}: {} event(s) recovered from {} segment(s)",
                    dir.display(),
                    state.recovered,
                    found.segments
                ),
            ));
            state.spool = Some(spool);
        }
        let shared = Arc::new(Shared {
            client,
            settings,
            state: Mutex::new(state),
            work: Condvar::new(),
            settle: Condvar::new(),
            stop: StopSignal {
                stopped: Mutex::new(false),
                wake: Condvar::new(),
            },
            halted: AtomicBool::new(false),
            failure_run: std::sync::atomic::AtomicU32::new(0),
            attempts: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            callbacks_on: RwLock::new(true),
        });
        for (level, line) in startup_notes {
            shared.log(level, &line);
        }
        let threads = worker::start(&shared)?;
        Ok(Queue {
            shared,
            threads: Mutex::new(threads),
            generation,
        })
    }

    fn refuse(&self, code: Code, message: impl Into<String>) -> SendError {
        self.shared.refused.fetch_add(1, Ordering::Relaxed);
        SendError::refusal(code, message)
    }

    /// Counts a call refused before it reached `enqueue` (a bad argument at
    /// the C boundary), so `refused` counts every call that took nothing.
    pub(crate) fn count_refusal(&self) {
        if !self.forked() {
            self.shared.refused.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn forked(&self) -> bool {
        crate::sys::fork::forked_since(self.generation)
    }

    /// Takes an event for delivery and returns at once: it never waits for
    /// the network or for a worker.
    ///
    /// With local checks on, the event is checked here first, and a refusal
    /// carries the code and message a send would have had. `Ok` means the
    /// event is held: copied into memory, and with a spool written there so
    /// that it survives the process being killed right after. Otherwise the
    /// error says why it was not taken (`QueueFull`, `QueueClosed`,
    /// `SpoolFailed`, or the check's code).
    pub fn enqueue(&self, kind: EventKind, event_json: &str) -> Result<(), SendError> {
        if self.forked() {
            return Err(SendError::refusal(Code::QueueClosed, FORKED));
        }
        if let Err(refusal) = self.shared.client.check(kind, event_json) {
            self.shared.refused.fetch_add(1, Ordering::Relaxed);
            return Err(refusal);
        }
        let settings = &self.shared.settings;
        let len = event_json.len() as u64;
        let mut st = self.shared.lock();
        if st.phase != Phase::Open {
            drop(st);
            return Err(self.refuse(Code::QueueClosed, "the queue is closed"));
        }
        let disk = st.spool.as_ref().map_or(0, |s| s.disk_bytes());
        let on_disk = spool::record::event_len(event_json.len());
        if st.pending() >= u64::from(settings.max_events)
            || st.held_bytes + len > settings.max_bytes
            || (st.spool.is_some() && disk + on_disk > settings.max_bytes)
        {
            let message = format!(
                "the queue is full ({} events, {} bytes held; capacity {} events, {} bytes)",
                st.pending(),
                st.held_bytes.max(disk),
                settings.max_events,
                settings.max_bytes
            );
            drop(st);
            if self.shared.log_enabled(LogLevel::Warn) {
                self.shared
                    .log(LogLevel::Warn, &format!("event refused: {message}"));
            }
            return Err(self.refuse(Code::QueueFull, message));
        }
        let enqueued_ms = now_ms();
        let spooled = match st.spool.as_mut() {
            None => None,
            Some(spool) => match spool.append(kind, event_json, enqueued_ms) {
                Ok(at) => Some(at),
                Err(e) => {
                    drop(st);
                    self.shared.log(LogLevel::Error, e.message());
                    return Err(self.refuse(e.code(), e.message()));
                }
            },
        };
        let seq = st.next_seq;
        st.next_seq += 1;
        st.ready.push_back(Event {
            seq,
            kind,
            json: event_json.into(),
            enqueued_ms,
            spooled,
        });
        st.held_bytes += len;
        st.enqueued += 1;
        if st.idle > st.wakes_pending {
            st.wakes_pending += 1;
            self.shared.work.notify_one();
        }
        Ok(())
    }

    /// Waits until every event taken before this call (those recovered from
    /// the spool included) is delivered or failed: `Ok`, or
    /// `Code::Timeout` when `timeout` passes first. On a closed queue with
    /// events left, `Code::QueueClosed` at once (nothing will move them).
    pub fn flush(&self, timeout: Duration) -> Result<(), Error> {
        if self.forked() {
            return Err(Error::new(Code::QueueClosed, FORKED));
        }
        let deadline = Instant::now() + timeout;
        let mut st = self.shared.lock();
        let target = st.next_seq;
        loop {
            if st.oldest_unsettled().is_none_or(|seq| seq >= target) && st.reporting == 0 {
                return Ok(());
            }
            if st.phase == Phase::Stopped {
                return Err(Error::new(
                    Code::QueueClosed,
                    format!("the queue is closed with {} event(s) pending", st.pending()),
                ));
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(Error::new(
                    Code::Timeout,
                    format!(
                        "flush timed out after {} ms with {} event(s) pending",
                        timeout.as_millis(),
                        st.pending()
                    ),
                ));
            }
            st = self.shared.wait_to_settle(st, target, deadline);
        }
    }

    /// Stops taking events, keeps delivering for at most `timeout`, then stops
    /// the workers (cutting off requests in flight): `Ok` when nothing was left
    /// pending, `Code::Timeout` otherwise. What is left stays in the spool for
    /// the next queue on its directory; without a spool each left event fails
    /// with `Code::QueueClosed` (callback and counter). A second close returns
    /// at once (with `Ok`: it has nothing more to report).
    pub fn close(&self, timeout: Duration) -> Result<(), Error> {
        if self.forked() {
            return Err(Error::new(Code::QueueClosed, FORKED));
        }
        let left = worker::close(&self.shared, &self.threads, timeout);
        match left {
            0 => Ok(()),
            n => Err(Error::new(
                Code::Timeout,
                format!(
                    "the queue closed with {n} event(s) not delivered ({})",
                    if self.shared.settings.spool_dir.is_some() {
                        "kept in the spool for the next queue"
                    } else {
                        "failed with UA_QUEUE_CLOSED"
                    }
                ),
            )),
        }
    }

    /// Every counter, read at one moment.
    pub fn counters(&self) -> Counters {
        if self.forked() {
            return Counters::default();
        }
        let st = self.shared.lock();
        Counters {
            enqueued: st.enqueued,
            delivered: st.delivered,
            failed: st.failed,
            refused: self.shared.refused.load(Ordering::Relaxed),
            pending: st.pending(),
            attempts: self.shared.attempts.load(Ordering::Relaxed),
            recovered: st.recovered,
        }
    }

    /// One counter.
    pub fn counter(&self, counter: Counter) -> u64 {
        self.counters().get(counter)
    }
}

/// Why a queue made before a fork does nothing in the child.
const FORKED: &str = "this process is a fork of the one that made the queue; make a new queue here";

impl Drop for Queue {
    fn drop(&mut self) {
        if self.forked() {
            // The parent's threads are not here and a lock one of them held
            // stays held: touching the state could hang. The memory is left.
            let shared = Arc::clone(&self.shared);
            std::mem::forget(shared);
            std::mem::forget(std::mem::take(
                self.threads.get_mut().unwrap_or_else(|p| p.into_inner()),
            ));
            return;
        }
        worker::close(&self.shared, &self.threads, QueueSettings::FREE_GRACE);
        // No callback may run once the host may have freed what it uses.
        *self
            .shared
            .callbacks_on
            .write()
            .unwrap_or_else(|p| p.into_inner()) = false;
    }
}

impl std::fmt::Debug for Queue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Queue")
            .field("client", &self.shared.client)
            .field("settings", &self.shared.settings)
            .finish_non_exhaustive()
    }
}

/// The spool's reading, for the fuzz target that feeds it damaged files
/// (reached through `coveo_ua::__internals`; not part of the API).
#[doc(hidden)]
pub mod fuzzing {
    use std::path::Path;

    /// The records of a segment file: `(offset, kind, enqueued_ms, json)` of
    /// each event read, and `(offset, len)` of each damaged stretch.
    #[allow(clippy::type_complexity)]
    pub fn decode_segment(bytes: &[u8]) -> (Vec<(u64, i32, u64, Vec<u8>)>, Vec<(u64, u64)>) {
        let (events, damage) = super::spool::record::decode_segment(bytes);
        (
            events
                .into_iter()
                .map(|e| (e.offset, e.kind, e.enqueued_ms, e.json.to_vec()))
                .collect(),
            damage.into_iter().map(|d| (d.offset, d.len)).collect(),
        )
    }

    /// The bytes of one event record.
    pub fn encode_event(kind: i32, enqueued_ms: u64, json: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        super::spool::record::encode_event(&mut out, kind, enqueued_ms, json);
        out
    }

    /// The offsets an ack file acknowledges, and how many entries are damaged.
    pub fn decode_acks(bytes: &[u8]) -> (Vec<u64>, usize) {
        super::spool::record::decode_acks(bytes)
    }

    /// Opens the spool in `dir` as a new queue would: `(events recovered,
    /// damage lines)`, or the error's message.
    pub fn open_spool(dir: &Path) -> Result<(usize, usize), String> {
        super::spool::Spool::open(dir, 1 << 20, false)
            .map(|(_, found)| (found.events.len(), found.damage.len()))
            .map_err(|e| e.message().to_string())
    }
}
