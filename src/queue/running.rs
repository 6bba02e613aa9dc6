//! The queue running in one process: its client, its threads, its state and
//! its spool lane. A [`super::Queue`] starts one in the process that made it
//! and another in each forked child that uses it.

use super::housekeeper;
use super::log::Log;
use super::settings::{LogLevel, QueueSettings};
use super::shared::{now_ms, CallbackGate, Event, Failure, Phase, Shared, State, StopSignal};
use super::spool::{find_orphans, Spool, SpoolLimits};
use super::worker::{self, closed_result};
use super::Counters;
use crate::client::Client;
use crate::code::Code;
use crate::error::Error;
use crate::event::EventKind;
use crate::options::Options;
use crate::outcome::SendError;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// How long a close waits for its threads to notice the stop once requests
/// are cut off; one still held up (by a host callback, say) is left to end
/// on its own, its event reported by the close.
const STOP_GRACE: Duration = Duration::from_millis(250);

pub(super) struct Running {
    shared: Arc<Shared>,
}

impl Running {
    /// Builds the client, opens the spool (adopting what queues that went
    /// away left there) and starts the threads.
    pub fn start(options: &Options) -> Result<Running, Error> {
        let settings = options.queue.clone();
        let client = Client::new(options)?;
        let mut state = State::new(&settings);
        let mut notes = Vec::new();
        let spool = match &settings.spool_dir {
            None => None,
            Some(dir) => {
                let limits = SpoolLimits {
                    capacity: settings.spool_capacity,
                    sync_each: settings.fsync_interval.is_zero(),
                };
                let mut spool = Spool::open(dir, limits)?;
                let mut orphans = find_orphans(dir, &spool.lane_names())?;
                for line in std::mem::take(&mut orphans.damage) {
                    notes.push((LogLevel::Warn, line));
                }
                let lanes = orphans.lanes();
                let used = spool.take_orphans(orphans, 0);
                state.next_seq = used;
                state.on_disk = used;
                state.recovered = used;
                state.oldest_on_disk = spool.oldest_on_disk();
                notes.push((
                    LogLevel::Info,
                    format!(
                        "spool {}: {used} event(s) recovered from {lanes} lane(s)",
                        dir.display()
                    ),
                ));
                Some(spool)
            }
        };
        let log = Log::new(settings.log.clone());
        let shared = Arc::new(Shared {
            log,
            client,
            settings,
            state: Mutex::new(state),
            spool: Mutex::new(spool),
            work: Condvar::new(),
            settle: Condvar::new(),
            housekeeping: Condvar::new(),
            stop: StopSignal::new(),
            halted: AtomicBool::new(false),
            failure_run: AtomicU32::new(0),
            attempts: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            callbacks: CallbackGate::new(),
            threads: Mutex::new(Vec::new()),
            workers_started: AtomicUsize::new(0),
        });
        for (level, line) in notes {
            shared.log(level, &line);
        }
        let running = Running { shared };
        running.start_threads()?;
        Ok(running)
    }

    fn start_threads(&self) -> Result<(), Error> {
        let shared = &self.shared;
        let mut spawned = worker::start_first(shared);
        if spawned.is_ok() {
            shared.lock().housekeeper_alive = true;
            match housekeeper::spawn(shared) {
                Ok(t) => shared
                    .threads
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(t),
                Err(e) => {
                    shared.lock().housekeeper_alive = false;
                    spawned = Err(e);
                }
            }
        }
        spawned.map_err(|e| {
            // Stop what started; the queue is not made.
            self.close(Duration::ZERO);
            Error::invalid_argument(format!("the queue could not start its threads: {e}"))
        })
    }

    fn refuse(&self, code: Code, message: impl Into<String>) -> SendError {
        self.shared.refused.fetch_add(1, Ordering::Relaxed);
        SendError::refusal(code, message)
    }

    /// Counts a call refused before it reached `enqueue`.
    pub fn count_refusal(&self) {
        self.shared.refused.fetch_add(1, Ordering::Relaxed);
    }

    /// See `Queue::enqueue`.
    pub fn enqueue(&self, kind: EventKind, event_json: &str) -> Result<(), SendError> {
        if let Err(refusal) = self.shared.client.check(kind, event_json) {
            self.shared.refused.fetch_add(1, Ordering::Relaxed);
            return Err(refusal);
        }
        if self.shared.settings.spool_dir.is_some() {
            self.enqueue_spooled(kind, event_json)
        } else {
            self.enqueue_in_memory(kind, event_json)
        }
    }

    fn enqueue_in_memory(&self, kind: EventKind, event_json: &str) -> Result<(), SendError> {
        let settings = &self.shared.settings;
        let len = event_json.len() as u64;
        let mut st = self.shared.lock();
        if st.phase != Phase::Open {
            drop(st);
            return Err(self.refuse(Code::QueueClosed, "the queue is closed"));
        }
        if st.in_memory() >= u64::from(settings.max_events)
            || st.held_bytes + len > settings.max_bytes
        {
            let message = format!(
                "the queue is full ({} events, {} bytes held; capacity {} events, {} bytes)",
                st.in_memory(),
                st.held_bytes,
                settings.max_events,
                settings.max_bytes
            );
            drop(st);
            return Err(self.full(message));
        }
        let seq = st.next_seq;
        st.next_seq += 1;
        self.push(&mut st, seq, kind, event_json, now_ms(), None);
        Ok(())
    }

    /// With a spool: written to this queue's lane first (with the spool's
    /// lock, not the state's, held across the write), and kept in memory too
    /// while memory has room and nothing older waits on disk.
    fn enqueue_spooled(&self, kind: EventKind, event_json: &str) -> Result<(), SendError> {
        let settings = &self.shared.settings;
        let len = event_json.len() as u64;
        let mut guard = self.shared.lock_spool();
        let Some(spool) = guard.as_mut() else {
            drop(guard);
            return Err(self.refuse(Code::QueueClosed, "the queue is closed"));
        };
        match spool.check_room(event_json.len()) {
            Ok(()) => {}
            Err((Code::QueueFull, message)) => {
                drop(guard);
                return Err(self.full(message));
            }
            Err((code, message)) => {
                drop(guard);
                return Err(self.refuse(code, message));
            }
        }
        let (seq, in_memory) = {
            let mut st = self.shared.lock();
            if st.phase != Phase::Open {
                drop(st);
                drop(guard);
                return Err(self.refuse(Code::QueueClosed, "the queue is closed"));
            }
            let seq = st.next_seq;
            st.next_seq += 1;
            let in_memory = st.on_disk == 0
                && st.in_memory() < u64::from(settings.max_events)
                && st.held_bytes + len <= settings.max_bytes;
            if in_memory {
                // Reserved now, taken back if the write fails.
                st.held_bytes += len;
            }
            (seq, in_memory)
        };
        let enqueued_ms = now_ms();
        let written = spool.append(kind, event_json, enqueued_ms, seq, in_memory);
        let mut st = self.shared.lock();
        if in_memory {
            st.held_bytes -= len;
        }
        let at = match written {
            Ok(at) => at,
            Err(e) => {
                drop(st);
                drop(guard);
                self.shared.log(LogLevel::Error, e.message());
                return Err(self.refuse(e.code(), e.message()));
            }
        };
        if spool.has_trash() {
            // A settled segment was rotated away: the housekeeper deletes it.
            self.shared.housekeeping.notify_one();
        }
        if in_memory {
            self.push(&mut st, seq, kind, event_json, enqueued_ms, Some(at));
        } else {
            st.enqueued += 1;
            st.on_disk += 1;
            st.oldest_on_disk.get_or_insert(seq);
            if st.ready.is_empty() {
                self.shared.housekeeping.notify_one();
            }
        }
        Ok(())
    }

    fn push(
        &self,
        st: &mut State,
        seq: u64,
        kind: EventKind,
        event_json: &str,
        enqueued_ms: u64,
        spooled: Option<super::spool::SpoolRef>,
    ) {
        st.ready.push_back(Event {
            seq,
            kind,
            json: Arc::from(event_json),
            enqueued_ms,
            spooled,
            last_try: None,
        });
        st.held_bytes += event_json.len() as u64;
        st.enqueued += 1;
        if st.idle > st.wakes_pending {
            st.wakes_pending += 1;
            self.shared.work.notify_one();
        }
    }

    fn full(&self, message: String) -> SendError {
        if self.shared.log_enabled(LogLevel::Warn) {
            self.shared
                .log(LogLevel::Warn, &format!("event refused: {message}"));
        }
        self.refuse(Code::QueueFull, message)
    }

    /// See `Queue::flush`.
    pub fn flush(&self, timeout: Duration) -> Result<(), Error> {
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
            if Instant::now() >= deadline {
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

    /// Closes (see `Queue::close`); returns how many events were left. Only
    /// the first close does anything: another, at once or later, returns 0.
    pub fn close(&self, timeout: Duration) -> u64 {
        let shared = &self.shared;
        let deadline = Instant::now() + timeout;
        let mut st = shared.lock();
        if st.phase != Phase::Open {
            return 0;
        }
        st.phase = Phase::Closing;
        // Deliver what is held until the timeout.
        while st.pending() > 0 && Instant::now() < deadline {
            st = shared.wait_to_settle(st, u64::MAX, deadline);
        }
        st.phase = Phase::Stopped;
        shared.halted.store(true, Ordering::Relaxed);
        shared.work.notify_all();
        shared.housekeeping.notify_all();
        // Flushes waiting on other threads return now (the queue is closed).
        shared.settle.notify_all();
        drop(st);
        shared.stop.raise();
        shared.client.shut_down();
        // Give the threads a moment to notice; one held up is left behind.
        let grace = Instant::now() + STOP_GRACE;
        let mut st = shared.lock();
        while (st.workers_alive > 0 || st.housekeeper_alive) && Instant::now() < grace {
            st = shared.wait_to_settle(st, u64::MAX, grace);
        }
        let threads_done = st.workers_alive == 0 && !st.housekeeper_alive;
        let mut given_up = Vec::new();
        let spooled = shared.settings.spool_dir.is_some();
        if !spooled {
            // Without a spool, nothing will deliver what is left: it fails
            // as closed, the events of workers left behind included (their
            // late answers are then ignored).
            let closed = closed_result();
            let mut events: Vec<Failure> = st.ready.drain(..).map(|e| Failure::from(&e)).collect();
            events.extend(st.in_flight.drain(..).map(|e| Failure::from(&e)));
            st.tried_waiting = 0;
            for failure in events {
                shared.fail_locked(&mut st, &failure);
                given_up.push((failure, closed.clone()));
            }
            st.given_up += given_up.len() as u64;
        }
        // Without a spool, what the workers gave up as they stopped counts too.
        let left = if spooled { st.pending() } else { st.given_up };
        drop(st);
        // The spool's files are flushed and its lanes let go: removed when
        // empty, otherwise unlocked for another queue to adopt at once.
        housekeeper::sync(shared);
        housekeeper::empty_trash(shared);
        let spool = shared.lock_spool().take();
        let spool_dir = spool.as_ref().map(|s| s.dir().display().to_string());
        if let Some(spool) = spool {
            spool.close();
        }
        shared.report_failures(given_up);
        shared.log_failure_sums(true);
        if shared.log_enabled(LogLevel::Info) {
            let kept = match &spool_dir {
                Some(dir) if left > 0 => format!(", kept in spool {dir}"),
                _ => String::new(),
            };
            shared.log(
                LogLevel::Info,
                &format!("queue closed: {left} event(s) not delivered{kept}"),
            );
        }
        let mut threads = shared.threads.lock().unwrap_or_else(|p| p.into_inner());
        if threads_done {
            for t in threads.drain(..) {
                t.join();
            }
        } else {
            // Detached: each holds its own reference to what it uses.
            threads.clear();
        }
        left
    }

    /// Every counter, read at one moment.
    pub fn counters(&self) -> Counters {
        let st = self.shared.lock();
        Counters {
            enqueued: st.enqueued,
            delivered: st.delivered,
            failed: st.failed,
            refused: self.shared.refused.load(Ordering::Relaxed),
            pending: st.pending(),
            attempts: self.shared.attempts.load(Ordering::Relaxed),
            recovered: st.recovered,
            workers: st.workers_alive as u64,
        }
    }

    pub fn spooled(&self) -> bool {
        self.shared.settings.spool_dir.is_some()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.close(QueueSettings::FREE_GRACE);
        // No callback may run once the host may have freed what it uses.
        self.shared.callbacks.shut();
    }
}
