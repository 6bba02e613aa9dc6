//! What a running queue's threads share: the state behind one lock, the
//! spool behind another, the condition variables, the callbacks' gate and the
//! log.
//!
//! Lock order: the spool's lock, then the state's. The state's lock is never
//! held across a system call that touches the disk or the network.

use super::backoff::Backoff;
use super::log::Log;
use super::settings::{FailedEvent, LogLevel, QueueSettings};
use super::spool::{Spool, SpoolRef};
use crate::client::Client;
use crate::event::EventKind;
use crate::outcome::SendResult;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// An event the queue holds in memory.
pub(super) struct Event {
    /// Order of taking: flush waits for the events taken before it.
    pub seq: u64,
    pub kind: EventKind,
    /// Shared with the record of it in flight, so a close can report an event
    /// whose worker it had to leave behind.
    pub json: Arc<str>,
    /// Unix milliseconds (wall clock, so it survives in the spool).
    pub enqueued_ms: u64,
    pub spooled: Option<SpoolRef>,
    /// How its last try ended, when it failed transiently: the event fails
    /// with it once its max age has passed.
    pub last_try: Option<Box<SendResult>>,
}

impl Event {
    /// Milliseconds since it was taken.
    pub fn age(&self, now_ms: u64) -> Duration {
        Duration::from_millis(now_ms.saturating_sub(self.enqueued_ms))
    }
}

/// An event a worker is sending.
pub(super) struct InFlight {
    pub seq: u64,
    pub kind: EventKind,
    pub json: Arc<str>,
    pub spooled: Option<SpoolRef>,
}

/// Whether the queue takes events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Phase {
    Open,
    /// `close` was called: no new events, delivery goes on until its timeout.
    Closing,
    /// Workers stop; what is left stays in the spool or fails as closed.
    Stopped,
}

/// What the workers and the host's threads share, behind one lock.
pub(super) struct State {
    pub phase: Phase,
    /// Events in memory waiting for a worker, in `seq` order.
    pub ready: VecDeque<Event>,
    /// The events workers are sending.
    pub in_flight: Vec<InFlight>,
    /// Bytes of JSON of the events in memory (waiting and in flight).
    pub held_bytes: u64,
    /// Events held only in the spool, waiting to be read back.
    pub on_disk: u64,
    /// The smallest `seq` among them.
    pub oldest_on_disk: Option<u64>,
    /// Waiting events whose last try failed transiently (for max age).
    pub tried_waiting: usize,
    pub next_seq: u64,
    pub enqueued: u64,
    pub delivered: u64,
    pub failed: u64,
    pub recovered: u64,
    pub backoff: Backoff,
    /// Workers waiting for an event (not those waiting out a pause).
    pub idle: usize,
    /// Wake-ups sent and not yet taken, so a burst of enqueues wakes a
    /// worker once (each wake-up is a system call on the host's thread).
    pub wakes_pending: usize,
    /// Threads in `flush` or `close`, waiting for events to settle.
    pub settle_waiters: usize,
    /// The smallest `seq` any of them waits to see settled (`u64::MAX`:
    /// everything), so a settled event wakes them only when it can matter.
    pub settle_goal: u64,
    /// Events failed for good whose callback has not returned yet: a flush
    /// waits for them too, so its caller has heard of every failure.
    pub reporting: usize,
    pub workers_alive: usize,
    /// A worker is starting another one.
    pub growing: bool,
    /// Answers of the service (not transient failures) so far, and their
    /// number when a worker was last added: one is added per answer at most.
    pub answers: u64,
    pub answers_at_growth: u64,
    /// The log said once that the service's host name does not resolve.
    pub told_unresolved: bool,
    /// Events failed as closed because a close cut off their delivery.
    pub given_up: u64,
    /// The housekeeping thread is running.
    pub housekeeper_alive: bool,
}

impl State {
    pub fn new(settings: &QueueSettings) -> State {
        State {
            phase: Phase::Open,
            ready: VecDeque::new(),
            in_flight: Vec::with_capacity(settings.workers as usize),
            held_bytes: 0,
            on_disk: 0,
            oldest_on_disk: None,
            tried_waiting: 0,
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
            growing: false,
            answers: 0,
            answers_at_growth: 0,
            told_unresolved: false,
            given_up: 0,
            housekeeper_alive: false,
        }
    }

    /// Events in memory: waiting and in flight.
    pub fn in_memory(&self) -> u64 {
        (self.ready.len() + self.in_flight.len()) as u64
    }

    /// Events taken and not settled: in memory and on disk.
    pub fn pending(&self) -> u64 {
        self.in_memory() + self.on_disk
    }

    /// The smallest `seq` not yet settled, if any.
    pub fn oldest_unsettled(&self) -> Option<u64> {
        let ready = self.ready.front().map(|e| e.seq);
        let flying = self.in_flight.iter().map(|e| e.seq).min();
        [ready, flying, self.oldest_on_disk]
            .into_iter()
            .flatten()
            .min()
    }

    /// Puts an event back among the waiting ones, in `seq` order; true when
    /// the housekeeper should start watching max ages.
    pub fn put_back(&mut self, event: Event) -> bool {
        let tried = event.last_try.is_some();
        if tried {
            self.tried_waiting += 1;
        }
        let at = self.ready.partition_point(|e| e.seq < event.seq);
        self.ready.insert(at, event);
        // The first event with a max age to watch: the housekeeper must know.
        tried && self.tried_waiting == 1
    }

    /// Takes the next waiting event (for a worker).
    pub fn take_next(&mut self) -> Option<Event> {
        let event = self.ready.pop_front()?;
        if event.last_try.is_some() {
            self.tried_waiting -= 1;
        }
        self.in_flight.push(InFlight {
            seq: event.seq,
            kind: event.kind,
            json: Arc::clone(&event.json),
            spooled: event.spooled,
        });
        Some(event)
    }

    /// Forgets the event `seq` in flight; false when a close already gave it
    /// up (its worker was left behind).
    pub fn landed(&mut self, seq: u64) -> bool {
        match self.in_flight.iter().position(|e| e.seq == seq) {
            Some(i) => {
                self.in_flight.swap_remove(i);
                true
            }
            None => false,
        }
    }
}

/// The wake-up of sleeps that must end when the queue stops.
pub(super) struct StopSignal {
    stopped: Mutex<bool>,
    wake: Condvar,
}

impl StopSignal {
    pub fn new() -> StopSignal {
        StopSignal {
            stopped: Mutex::new(false),
            wake: Condvar::new(),
        }
    }

    /// Sleeps for `d`, or less if the queue stops meanwhile.
    pub fn sleep(&self, d: Duration) {
        let Ok(guard) = self.stopped.lock() else {
            return;
        };
        let _ = self.wake.wait_timeout_while(guard, d, |stopped| !*stopped);
    }

    pub fn raise(&self) {
        if let Ok(mut stopped) = self.stopped.lock() {
            *stopped = true;
        }
        self.wake.notify_all();
    }
}

/// Lets the host's callbacks run until the queue is freed, then never again.
/// No lock: a callback may enqueue into its own queue, which may log, which
/// passes the gate again, while another thread is shutting it.
pub(super) struct CallbackGate {
    open: AtomicBool,
    inside: AtomicUsize,
}

impl CallbackGate {
    pub fn new() -> CallbackGate {
        CallbackGate {
            open: AtomicBool::new(true),
            inside: AtomicUsize::new(0),
        }
    }

    /// Runs `f` unless the gate is shut.
    pub fn pass(&self, f: impl FnOnce()) {
        self.inside.fetch_add(1, Ordering::SeqCst);
        if self.open.load(Ordering::SeqCst) {
            f();
        }
        self.inside.fetch_sub(1, Ordering::SeqCst);
    }

    /// Shuts the gate and waits for the callbacks inside to return. (A
    /// callback that never returns holds this up: it is the host's code.)
    pub fn shut(&self) {
        self.open.store(false, Ordering::SeqCst);
        while self.inside.load(Ordering::SeqCst) != 0 {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

/// Everything a running queue's threads share.
pub(super) struct Shared {
    pub client: Client,
    pub settings: QueueSettings,
    pub state: Mutex<State>,
    /// The spool, `None` without one (or once a close let it go).
    pub spool: Mutex<Option<Spool>>,
    /// Workers wait here: an event came, a pause ended, the queue stops.
    pub work: Condvar,
    /// Flush and close wait here for events to settle and workers to end.
    pub settle: Condvar,
    /// The housekeeping thread waits here: room to read back, the stop.
    pub housekeeping: Condvar,
    pub stop: StopSignal,
    /// Paused or stopped: sends must not retry (read without the lock).
    pub halted: AtomicBool,
    /// Transient attempt failures since the last delivery (see `worker`).
    pub failure_run: AtomicU32,
    pub attempts: AtomicU64,
    pub refused: AtomicU64,
    pub callbacks: CallbackGate,
    /// The log callback, behind its budget.
    pub log: Log,
    /// The threads of the queue, for a close to join.
    pub threads: Mutex<Vec<crate::sys::thread::Thread>>,
    /// Workers started so far (their names' numbers).
    pub workers_started: AtomicUsize,
}

impl Shared {
    pub fn lock(&self) -> MutexGuard<'_, State> {
        // A panic on a worker cannot leave the state half-changed (every change
        // is a few assignments), so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn lock_spool(&self) -> MutexGuard<'_, Option<Spool>> {
        self.spool.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn log_enabled(&self, level: LogLevel) -> bool {
        self.log.enabled(level)
    }

    /// Sends one message to the log callback, within the log's budget (never
    /// with a queue lock held).
    pub fn log(&self, level: LogLevel, message: &str) {
        self.log.line(level, message, |f| self.callbacks.pass(f));
    }

    /// Says the sums of failures counted over the last second (all of them
    /// when `all`); returns when the next sum is due.
    pub fn log_failure_sums(&self, all: bool) -> Option<Instant> {
        self.log.close_runs(all, |f| self.callbacks.pass(f))
    }

    /// Reports events failed for good to the callback (no lock held), writes
    /// them to the spool's dead letters, then lets waiting flushes know they
    /// were heard.
    pub fn report_failures(&self, failures: Vec<(Failure, SendResult)>) {
        if failures.is_empty() {
            return;
        }
        self.log_failures(&failures);
        if let Some(callback) = &self.settings.on_failure {
            for (event, result) in &failures {
                self.callbacks.pass(|| {
                    callback(&FailedEvent {
                        kind: event.kind,
                        event_json: &event.json,
                        result,
                    })
                });
            }
        }
        self.spool_failures(&failures);
        let mut st = self.lock();
        st.reporting -= failures.len();
        self.wake_settle_waiters(&st);
    }

    /// The failures to the log, counted per code (see `log`).
    fn log_failures(&self, failures: &[(Failure, SendResult)]) {
        if !self.log_enabled(LogLevel::Error) {
            return;
        }
        let mut by_code: Vec<(crate::code::Code, u64, &SendResult, EventKind)> = Vec::new();
        for (event, result) in failures {
            match by_code.iter_mut().find(|(c, ..)| *c == result.code()) {
                Some(entry) => entry.1 += 1,
                None => by_code.push((result.code(), 1, result, event.kind)),
            }
        }
        for (code, count, first, kind) in by_code {
            let message = format!("{kind} event: {}", first.message());
            self.log
                .failed(code, count, message, |f| self.callbacks.pass(f));
        }
    }

    /// The spool's part of settling failed events: dead letters and acks.
    fn spool_failures(&self, failures: &[(Failure, SendResult)]) {
        let mut trouble = None;
        {
            let mut guard = self.lock_spool();
            let Some(spool) = guard.as_mut() else {
                return;
            };
            let now = now_ms();
            for (event, result) in failures {
                if let Err(e) = spool.dead_letter(event.kind, &event.json, result, now) {
                    trouble = Some(e.message().to_string());
                }
                if let Some(at) = event.spooled {
                    if let Err(e) = spool.settled(at) {
                        trouble = Some(e.message().to_string());
                    }
                }
            }
            if spool.has_trash() {
                self.housekeeping.notify_one();
            }
        }
        if let Some(line) = trouble {
            self.log(LogLevel::Warn, &line);
        }
    }

    /// Records in the spool that a delivered event is settled.
    pub fn spool_settled(&self, at: SpoolRef) {
        let outcome = match self.lock_spool().as_mut() {
            Some(spool) => {
                let outcome = spool.settled(at);
                if spool.has_trash() {
                    self.housekeeping.notify_one();
                }
                outcome
            }
            None => Ok(()),
        };
        if let Err(e) = outcome {
            self.log(LogLevel::Warn, e.message());
        }
    }

    /// Wakes flush and close when what they wait for may have come: every
    /// event before the smallest goal settled and heard of.
    pub fn wake_settle_waiters(&self, st: &State) {
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
    pub fn wait_to_settle<'a>(
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

    /// Counts events as failed for good, with the lock held; the caller
    /// reports them once it let go (`report_failures`).
    pub fn fail_locked(&self, st: &mut State, event: &Failure) {
        st.failed += 1;
        st.held_bytes -= event.json.len() as u64;
        st.reporting += 1;
    }
}

/// An event failed for good, as it is reported.
pub(super) struct Failure {
    pub kind: EventKind,
    pub json: Arc<str>,
    pub spooled: Option<SpoolRef>,
}

impl From<&Event> for Failure {
    fn from(e: &Event) -> Failure {
        Failure {
            kind: e.kind,
            json: Arc::clone(&e.json),
            spooled: e.spooled,
        }
    }
}

impl From<&InFlight> for Failure {
    fn from(e: &InFlight) -> Failure {
        Failure {
            kind: e.kind,
            json: Arc::clone(&e.json),
            spooled: e.spooled,
        }
    }
}

/// Unix milliseconds now.
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
