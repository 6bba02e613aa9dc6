//! The delivery queue's settings, set on [`Options`] like every other option,
//! and the callbacks through which a queue reports what happened.

use crate::error::Error;
use crate::event::EventKind;
use crate::ffi::consts::{UA_LOG_DEBUG, UA_LOG_ERROR, UA_LOG_INFO, UA_LOG_WARN};
use crate::options::Options;
use crate::outcome::SendResult;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// An event the queue gave up on for good, as the failure callback sees it.
#[derive(Debug)]
pub struct FailedEvent<'a> {
    /// The event's kind.
    pub kind: EventKind,
    /// The event exactly as it was enqueued.
    pub event_json: &'a str,
    /// Why it failed: the code, HTTP status, type and message of its last
    /// send (`Code::QueueClosed` for an event a close without a spool gave up).
    pub result: &'a SendResult,
}

/// How much a log message matters; a log callback gets the messages at its
/// `max_level` and below.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(i32)]
pub enum LogLevel {
    /// Something failed: an event failed for good, the spool cannot be written.
    Error = UA_LOG_ERROR,
    /// Something is wrong but handled: the queue pauses, a damaged spool record.
    Warn = UA_LOG_WARN,
    /// What the queue does: start, recovery from the spool, close.
    Info = UA_LOG_INFO,
    /// Detail: each send that will be tried again, each probe.
    Debug = UA_LOG_DEBUG,
}

impl LogLevel {
    /// The level for a number (1 error ... 4 debug), or `None`.
    pub fn from_raw(raw: i32) -> Option<LogLevel> {
        [
            LogLevel::Error,
            LogLevel::Warn,
            LogLevel::Info,
            LogLevel::Debug,
        ]
        .into_iter()
        .find(|l| *l as i32 == raw)
    }
}

/// Called once for every event that failed for good, on a worker thread (or
/// on the thread that closes the queue, for what a close gives up).
pub type FailureCallback = Arc<dyn Fn(&FailedEvent<'_>) + Send + Sync>;

/// Called with each log message at the chosen level and below, from any of
/// the queue's threads. Messages never contain the token.
pub type LogCallback = Arc<dyn Fn(LogLevel, &str) + Send + Sync>;

/// The queue's part of [`Options`].
#[derive(Clone)]
pub(crate) struct QueueSettings {
    pub max_events: u32,
    pub max_bytes: u64,
    pub workers: u32,
    pub max_age: Duration,
    pub spool_dir: Option<PathBuf>,
    pub spool_capacity: u64,
    pub fsync_interval: Duration,
    pub pause_base: Duration,
    pub pause_max: Duration,
    pub on_failure: Option<FailureCallback>,
    pub log: Option<(LogCallback, LogLevel)>,
}

impl QueueSettings {
    /// Events a queue holds at most, by default.
    pub const DEFAULT_MAX_EVENTS: u32 = 10_000;
    /// Bytes of event JSON a queue holds at most, by default (10 MiB).
    pub const DEFAULT_MAX_BYTES: u64 = 10 * 1024 * 1024;
    /// The most worker threads a queue runs, by default: at a 50 ms round
    /// trip, 64 deliver about 1,280 events per second. A queue starts with
    /// few and adds workers only while events wait.
    pub const DEFAULT_WORKERS: u32 = 64;
    /// The highest most a queue may be given.
    pub const MAX_WORKERS: u32 = 256;
    /// How long an event keeps being tried again, by default (1 hour).
    pub const DEFAULT_MAX_AGE_MS: u64 = 3_600_000;
    /// The longest max age accepted (30 days).
    pub const MAX_MAX_AGE_MS: u64 = 30 * 24 * 3_600_000;
    /// Bytes of event records a queue's spool lane holds at most, by default
    /// (256 MiB: about 900,000 events of 300 bytes).
    pub const DEFAULT_SPOOL_CAPACITY: u64 = 256 * 1024 * 1024;
    /// How often a spool is flushed to the disk itself (fsync), by default.
    pub const DEFAULT_FSYNC_MS: u32 = 1_000;
    /// First and longest pause of the whole queue while the service fails.
    pub const DEFAULT_PAUSE_MS: (u32, u32) = (1_000, 30_000);
    /// The grace `Drop` (and `ua_queue_free`) gives a queue not closed before.
    pub const FREE_GRACE: Duration = Duration::from_millis(2_000);
}

impl Default for QueueSettings {
    fn default() -> Self {
        QueueSettings {
            max_events: Self::DEFAULT_MAX_EVENTS,
            max_bytes: Self::DEFAULT_MAX_BYTES,
            workers: Self::DEFAULT_WORKERS,
            max_age: Duration::from_millis(Self::DEFAULT_MAX_AGE_MS),
            spool_dir: None,
            spool_capacity: Self::DEFAULT_SPOOL_CAPACITY,
            fsync_interval: Duration::from_millis(Self::DEFAULT_FSYNC_MS.into()),
            pause_base: Duration::from_millis(Self::DEFAULT_PAUSE_MS.0.into()),
            pause_max: Duration::from_millis(Self::DEFAULT_PAUSE_MS.1.into()),
            on_failure: None,
            log: None,
        }
    }
}

impl fmt::Debug for QueueSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueueSettings")
            .field("max_events", &self.max_events)
            .field("max_bytes", &self.max_bytes)
            .field("workers", &self.workers)
            .field("max_age", &self.max_age)
            .field("spool_dir", &self.spool_dir)
            .field("spool_capacity", &self.spool_capacity)
            .field("fsync_interval", &self.fsync_interval)
            .field("pause", &(self.pause_base, self.pause_max))
            .field("on_failure", &self.on_failure.is_some())
            .field("log", &self.log.as_ref().map(|(_, level)| *level))
            .finish()
    }
}

/// The queue's setters. Like every setter, each checks its value and leaves
/// the options unchanged on a bad one.
impl Options {
    /// The most a queue holds in memory: `max_events` events and `max_bytes`
    /// bytes of event JSON. Without a spool, past either an enqueue gets
    /// `Code::QueueFull`; with one, events past it wait on disk (see
    /// [`Options::set_spool_capacity`]) and are read back as room frees up.
    /// Both at least 1. Defaults 10,000 and 10 MiB.
    pub fn set_queue_capacity(&mut self, max_events: u32, max_bytes: u64) -> Result<(), Error> {
        if max_events == 0 || max_bytes == 0 {
            return Err(Error::invalid_argument(format!(
                "queue capacity {max_events} events / {max_bytes} bytes: both must be at least 1"
            )));
        }
        self.queue.max_events = max_events;
        self.queue.max_bytes = max_bytes;
        Ok(())
    }

    /// The most worker threads that deliver a queue's events, 1 to 256
    /// (default 64); each has one request in flight at a time. A queue starts
    /// with two (or one), adds workers while events wait and the service
    /// answers, adds none while it is paused, and lets workers idle for
    /// 10 s go.
    pub fn set_queue_workers(&mut self, workers: u32) -> Result<(), Error> {
        if !(1..=QueueSettings::MAX_WORKERS).contains(&workers) {
            return Err(Error::invalid_argument(format!(
                "queue workers {workers} is out of range (1 to {})",
                QueueSettings::MAX_WORKERS
            )));
        }
        self.queue.workers = workers;
        Ok(())
    }

    /// How long after it was enqueued an event keeps being tried again while
    /// the service throttles, fails or cannot be reached; past it the event
    /// fails for good with the code of its last try. 1 ms to 30 days
    /// (default 1 hour).
    pub fn set_queue_max_age_ms(&mut self, ms: u64) -> Result<(), Error> {
        if !(1..=QueueSettings::MAX_MAX_AGE_MS).contains(&ms) {
            return Err(Error::invalid_argument(format!(
                "queue max age {ms} ms is out of range (1 to {} ms)",
                QueueSettings::MAX_MAX_AGE_MS
            )));
        }
        self.queue.max_age = Duration::from_millis(ms);
        Ok(())
    }

    /// Makes a queue durable: events are written to this directory (created if
    /// missing) before an enqueue returns and survive the process being
    /// killed. Any number of queues, in any number of processes, may share
    /// the directory: each writes its own lane, and a live queue adopts and
    /// delivers the lanes of queues that went away. `None` or `""`: no spool
    /// (the default). Checked when the queue is made.
    pub fn set_spool_dir(&mut self, path: Option<&str>) -> Result<(), Error> {
        self.queue.spool_dir = match path {
            None | Some("") => None,
            Some(p) => Some(PathBuf::from(p)),
        };
        Ok(())
    }

    /// The most a queue's spool lane holds: `max_bytes` bytes of event
    /// records (each event's JSON and 21 bytes). Past it an enqueue gets
    /// `Code::QueueFull`. At least 1; default 256 MiB. Settled events give
    /// their room back at once.
    pub fn set_spool_capacity(&mut self, max_bytes: u64) -> Result<(), Error> {
        if max_bytes == 0 {
            return Err(Error::invalid_argument(
                "spool capacity 0 bytes: it must be at least 1",
            ));
        }
        self.queue.spool_capacity = max_bytes;
        Ok(())
    }

    /// How often the spool is flushed to the disk itself (fsync), which is what
    /// a power loss needs; a process that is killed loses nothing either way.
    /// 0 flushes on every enqueue (slow); at most 60000; default 1000.
    pub fn set_spool_fsync_interval_ms(&mut self, ms: u32) -> Result<(), Error> {
        if ms > 60_000 {
            return Err(Error::invalid_argument(format!(
                "spool fsync interval {ms} ms is out of range (0 to 60000 ms)"
            )));
        }
        self.queue.fsync_interval = Duration::from_millis(ms.into());
        Ok(())
    }

    /// The pause of the whole queue while the service throttles or fails:
    /// the first pause is about `base_ms`, each failed probe doubles it, up to
    /// `max_ms`; a `Retry-After` longer than that is honoured. `base_ms`
    /// 1 to `max_ms`, `max_ms` at most 3600000. Defaults 1000 and 30000.
    pub fn set_queue_backoff_ms(&mut self, base_ms: u32, max_ms: u32) -> Result<(), Error> {
        if base_ms == 0 || base_ms > max_ms || max_ms > 3_600_000 {
            return Err(Error::invalid_argument(format!(
                "queue backoff {base_ms}..{max_ms} ms: need 1 <= base <= max <= 3600000"
            )));
        }
        self.queue.pause_base = Duration::from_millis(base_ms.into());
        self.queue.pause_max = Duration::from_millis(max_ms.into());
        Ok(())
    }

    /// Called once for each event that fails for good (see [`FailedEvent`]);
    /// `None` removes it.
    pub fn set_failure_callback(&mut self, callback: Option<FailureCallback>) {
        self.queue.on_failure = callback;
    }

    /// Receives the queue's log messages at `max_level` and below; `None`
    /// removes it.
    pub fn set_log_callback(&mut self, callback: Option<LogCallback>, max_level: LogLevel) {
        self.queue.log = callback.map(|c| (c, max_level));
    }
}
