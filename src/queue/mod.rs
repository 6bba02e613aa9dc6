//! The delivery queue: the host hands an event off in about a microsecond,
//! worker threads deliver it with the client's rules, and the queue says what
//! happened to every event.
//!
//! - Bounded: at most `max_events` events and `max_bytes` bytes of JSON in
//!   memory; with a spool, events past that wait on disk (up to the spool
//!   capacity) and are read back in order. Past the capacity,
//!   [`Queue::enqueue`] refuses at once with `Code::QueueFull`. It never waits
//!   for the network or a worker.
//! - Durable with a spool: an event is written to the spool before enqueue
//!   returns, so it survives the process being killed; a live queue on the
//!   directory (in any process) adopts what a queue that went away left there
//!   and delivers it (counted as recovered).
//! - Follows `fork()`: a child that uses a queue made before the fork gets a
//!   running queue of its own, started from the same settings.
//! - One shared backoff: a send that ends throttled, failed, unreachable or
//!   timed out pauses the whole queue, which then probes with one request now
//!   and then (see `backoff`), so an outage never becomes a retry storm.
//! - Nothing is lost silently: every event is delivered, or failed for good
//!   (failure callback, `failed` counter, and the spool's dead-letter file),
//!   or still pending; `enqueued + recovered = delivered + failed + pending`
//!   holds at every moment.

mod backoff;
mod housekeeper;
mod log;
mod running;
pub(crate) mod settings;
mod shared;
mod spool;
mod worker;

use crate::code::Code;
use crate::error::Error;
use crate::event::EventKind;
use crate::ffi::consts::{
    UA_COUNTER_ATTEMPTS, UA_COUNTER_DELIVERED, UA_COUNTER_ENQUEUED, UA_COUNTER_FAILED,
    UA_COUNTER_PENDING, UA_COUNTER_RECOVERED, UA_COUNTER_REFUSED, UA_COUNTER_WORKERS,
};
use crate::options::Options;
use crate::outcome::SendError;
use crate::per_process::{MakeError, PerProcess};
use crate::sys::fork;
use running::Running;
use std::time::Duration;

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
    /// Events taken over from the spool: left by a queue that went away.
    Recovered = UA_COUNTER_RECOVERED,
    /// Worker threads running now (not part of the identity).
    Workers = UA_COUNTER_WORKERS,
}

impl Counter {
    /// The counter for a number, or `None`.
    pub fn from_raw(raw: i32) -> Option<Counter> {
        use Counter::*;
        [
            Enqueued, Delivered, Failed, Refused, Pending, Attempts, Recovered, Workers,
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
    /// Events taken over from the spool: left by a queue that went away.
    pub recovered: u64,
    /// Worker threads running now (they follow the load).
    pub workers: u64,
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
            Counter::Workers => self.workers,
        }
    }
}

/// A background delivery queue over a [`Client`](crate::Client): thread-safe
/// (`Send + Sync`), shared by reference or in an `Arc`.
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
///
/// After a `fork`, the queue keeps working in the child: the child's first
/// call on it starts the child's own running queue from the same options
/// (its own threads, its own spool lane, counters from zero); the parent's
/// events stay the parent's. A child that never uses the queue starts nothing.
pub struct Queue {
    /// What every process's running queue is made from.
    options: Options,
    /// The running queue of the process that started one last: this
    /// process's, or a parent's, which is never touched here (its threads are
    /// not in this process, and a lock one of them held at the fork would
    /// stay held).
    running: PerProcess<Running>,
}

/// How long a thread of a forked child waits for another thread of the child
/// to start the child's running queue.
const START_WAIT: Duration = Duration::from_secs(30);

impl Queue {
    /// Makes a queue from `options` (copied) and starts its workers; with a
    /// spool directory, makes this queue's lane there and adopts what queues
    /// that went away left in it.
    ///
    /// Fails with `Code::InvalidArgument` for options a client refuses, and
    /// with `Code::SpoolFailed` when the spool cannot be created or read.
    pub fn new(options: &Options) -> Result<Queue, Error> {
        fork::watch();
        let running = Running::start(options)?;
        Ok(Queue {
            options: options.clone(),
            running: PerProcess::new(running),
        })
    }

    /// This process's running queue, started here first if this process is
    /// a fork that has not used the queue yet.
    fn running(&self) -> Result<&Running, Error> {
        self.running
            .get_or_make(|| Running::start(&self.options), START_WAIT)
            .map_err(|e| match e {
                MakeError::Failed(e) => e,
                MakeError::Waited => Error::new(
                    Code::Internal,
                    "the queue did not start in this forked process within 30 s",
                ),
            })
    }

    /// Counts a call refused before it reached `enqueue` (a bad argument at
    /// the C boundary), so `refused` counts every call that took nothing.
    pub(crate) fn count_refusal(&self) {
        if let Ok(running) = self.running() {
            running.count_refusal();
        }
    }

    /// Takes an event for delivery and returns at once: it never waits for
    /// the network or for a worker.
    ///
    /// With local checks on, the event is checked here first, and a refusal
    /// carries the code and message a send would have had. `Ok` means the
    /// event is held: copied into memory, or with a spool written there so
    /// that it survives the process being killed right after. Otherwise the
    /// error says why it was not taken (`QueueFull`, `QueueClosed`,
    /// `SpoolFailed`, `InvalidArgument`, or the check's code).
    pub fn enqueue(&self, kind: EventKind, event_json: &str) -> Result<(), SendError> {
        match self.running() {
            Ok(running) => running.enqueue(kind, event_json),
            Err(e) => Err(SendError::refusal(e.code(), e.message())),
        }
    }

    /// Waits until every event taken before this call (those recovered from
    /// the spool included) is delivered or failed: `Ok`, or
    /// `Code::Timeout` when `timeout` passes first. On a closed queue with
    /// events left, `Code::QueueClosed` at once (nothing will move them).
    pub fn flush(&self, timeout: Duration) -> Result<(), Error> {
        self.running()?.flush(timeout)
    }

    /// Stops taking events, keeps delivering for at most `timeout`, then stops
    /// the workers (cutting off requests in flight): `Ok` when nothing was left
    /// pending, `Code::Timeout` otherwise. What is left stays in the spool for
    /// another queue on its directory; without a spool each left event fails
    /// with `Code::QueueClosed` (callback and counter). A second close returns
    /// at once (with `Ok`: it has nothing more to report).
    pub fn close(&self, timeout: Duration) -> Result<(), Error> {
        let running = self.running()?;
        match running.close(timeout) {
            0 => Ok(()),
            n => Err(Error::new(
                Code::Timeout,
                format!(
                    "the queue closed with {n} event(s) not delivered ({})",
                    if running.spooled() {
                        "kept in the spool for another queue"
                    } else {
                        "failed with UA_QUEUE_CLOSED"
                    }
                ),
            )),
        }
    }

    /// Every counter, read at one moment (all zero if the queue could not
    /// start in this forked process).
    pub fn counters(&self) -> Counters {
        self.running().map(Running::counters).unwrap_or_default()
    }

    /// One counter.
    pub fn counter(&self, counter: Counter) -> u64 {
        self.counters().get(counter)
    }
}

impl std::fmt::Debug for Queue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Queue")
            .field("options", &self.options)
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

    /// `decode_segment`, reading the bytes `chunk` at a time.
    #[allow(clippy::type_complexity)]
    pub fn decode_segment_chunked(
        bytes: &[u8],
        chunk: usize,
    ) -> (Vec<(u64, i32, u64, Vec<u8>)>, Vec<(u64, u64)>) {
        let (events, damage) = super::spool::record::decode_segment_chunked(bytes, chunk);
        (
            events
                .into_iter()
                .map(|e| (e.offset, e.kind, e.enqueued_ms, e.json.to_vec()))
                .collect(),
            damage.into_iter().map(|d| (d.offset, d.len)).collect(),
        )
    }

    /// Opens a spool on `dir` as a new queue would, adopts every lane there
    /// and reads all their events back: `(events counted at adoption, events
    /// read back, damage lines)`, or the error's message.
    pub fn open_spool(dir: &Path) -> Result<(u64, u64, usize), String> {
        use super::spool::{find_orphans, Spool, SpoolLimits};
        let limits = SpoolLimits {
            capacity: 1 << 20,
            sync_each: false,
        };
        let message = |e: crate::error::Error| e.message().to_string();
        let mut spool = Spool::open(dir, limits).map_err(message)?;
        let orphans = find_orphans(dir, &spool.lane_names()).map_err(message)?;
        let mut damage = orphans.damage.len();
        let counted = orphans.events();
        spool.take_orphans(orphans, 0);
        let mut read = 0;
        loop {
            let back = spool.read_back(1000, 1 << 20).map_err(message)?;
            damage += back.damage.len();
            if back.lost > 0 {
                return Err(format!(
                    "{} counted event(s) could not be read back",
                    back.lost
                ));
            }
            if back.events.is_empty() {
                break;
            }
            read += back.events.len() as u64;
            for event in back.events {
                spool.settled(event.at).map_err(message)?;
            }
        }
        spool.close();
        Ok((counted, read, damage))
    }
}
