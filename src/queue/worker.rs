//! The worker threads: each takes the next event, sends it with the client's
//! rules (within the shared backoff), and settles it; and the close that
//! stops them.

use super::backoff::Permit;
use super::settings::LogLevel;
use super::{now_ms, Event, Phase, Shared, State};
use crate::code::Code;
use crate::error::Error;
use crate::outcome::SendResult;
use crate::wire::retry::Clock;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long a worker waiting for another's probe sleeps before looking again
/// (a probe reports back well before; this only bounds a lost wake-up).
const PROBE_WAIT: Duration = Duration::from_secs(1);

/// Transient attempt failures, across the queue and since its last success,
/// after which no send retries: the shared pause takes over.
const FAILURE_RUN: u32 = 3;

/// How long a close waits for its workers to notice the stop once requests
/// are cut off (a name lookup in progress can hold one up to its attempt
/// timeout; such a worker is left to finish on its own).
const STOP_GRACE: Duration = Duration::from_millis(250);

/// Starts the workers, and the fsync thread of a spool whose interval is not 0.
pub(super) fn start(shared: &Arc<Shared>) -> Result<Vec<JoinHandle<()>>, Error> {
    let mut threads = Vec::new();
    let count = shared.settings.workers as usize;
    shared.lock().workers_alive = count;
    for i in 0..count {
        let s = Arc::clone(shared);
        let spawned = std::thread::Builder::new()
            .name(format!("coveo-ua-worker-{i}"))
            .spawn(move || run(&s));
        match spawned {
            Ok(t) => threads.push(t),
            Err(e) => {
                // Stop what started; the queue is not made.
                let left = count - i;
                shared.lock().workers_alive -= left;
                close(shared, &Mutex::new(threads), Duration::ZERO);
                return Err(Error::invalid_argument(format!(
                    "the queue could not start its worker threads: {e}"
                )));
            }
        }
    }
    let fsync = shared.settings.fsync_interval;
    if shared.settings.spool_dir.is_some() && !fsync.is_zero() {
        let s = Arc::clone(shared);
        if let Ok(t) = std::thread::Builder::new()
            .name("coveo-ua-fsync".into())
            .spawn(move || sync_spool(&s, fsync))
        {
            threads.push(t);
        }
    }
    Ok(threads)
}

/// Flushes the spool's open segment to the disk every `interval`, without
/// holding the queue's lock while the disk works.
fn sync_spool(shared: &Shared, interval: Duration) {
    loop {
        shared.stop.sleep(interval);
        let handle = {
            let st = shared.lock();
            if st.phase == Phase::Stopped {
                return;
            }
            st.spool.as_ref().map(|s| s.sync_handle())
        };
        if let Some(file) = handle {
            if let Err(e) = file.sync_data() {
                shared.log(LogLevel::Warn, &format!("spool: fsync failed: {e}"));
            }
        }
    }
}

/// The retry clock of a queued send: its waits end early when the queue stops.
struct StopClock<'a> {
    started: Instant,
    shared: &'a Shared,
}

impl Clock for StopClock<'_> {
    fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    fn sleep(&mut self, d: Duration) {
        self.shared.stop.sleep(d);
    }
}

/// What a worker does after settling an event, once the lock is released.
#[derive(Default)]
struct After {
    failure: Option<(Event, SendResult)>,
    notes: Vec<(LogLevel, String)>,
}

fn run(shared: &Shared) {
    let mut st = shared.lock();
    loop {
        let (guard, next) = next_event(shared, st);
        let Some((event, probe)) = next else {
            st = guard;
            break;
        };
        drop(guard);
        let after = deliver(shared, event, probe);
        if let Some((event, result)) = &after.failure {
            shared.report_failure(event.kind, &event.json, result);
        }
        for (level, line) in &after.notes {
            shared.log(*level, line);
        }
        st = shared.lock();
    }
    st.workers_alive -= 1;
    // A close may be waiting for the workers to end.
    shared.settle.notify_all();
}

/// Waits for an event this worker may send now; `None` when the queue stops.
/// The `bool` says the send is the backoff's probe.
fn next_event<'a>(
    shared: &'a Shared,
    mut st: MutexGuard<'a, State>,
) -> (MutexGuard<'a, State>, Option<(Event, bool)>) {
    loop {
        if st.phase == Phase::Stopped {
            return (st, None);
        }
        if st.ready.is_empty() {
            st.idle += 1;
            st = wait(shared, st, None);
            st.idle -= 1;
            st.wakes_pending = st.wakes_pending.saturating_sub(1);
            continue;
        }
        let probe = match st.backoff.permit(Instant::now()) {
            Permit::Send => false,
            Permit::Probe => true,
            Permit::WaitUntil(until) => {
                let left = until.saturating_duration_since(Instant::now());
                st = wait(shared, st, Some(left));
                continue;
            }
            Permit::WaitForProbe => {
                st = wait(shared, st, Some(PROBE_WAIT));
                continue;
            }
        };
        let Some(event) = st.ready.pop_front() else {
            continue;
        };
        st.in_flight.push(event.seq);
        // Pass the wake-up on, so the host's thread woke only one worker.
        if !st.ready.is_empty() && !probe && st.idle > st.wakes_pending {
            st.wakes_pending += 1;
            shared.work.notify_one();
        }
        return (st, Some((event, probe)));
    }
}

/// Waits on the work condition, for at most `limit` when given.
fn wait<'a>(
    shared: &'a Shared,
    st: MutexGuard<'a, State>,
    limit: Option<Duration>,
) -> MutexGuard<'a, State> {
    match limit {
        None => shared.work.wait(st).unwrap_or_else(|p| p.into_inner()),
        Some(d) => shared
            .work
            .wait_timeout(st, d)
            .map(|(g, _)| g)
            .unwrap_or_else(|p| p.into_inner().0),
    }
}

/// Sends one event and settles it; returns what to report once unlocked.
fn deliver(shared: &Shared, event: Event, probe: bool) -> After {
    let started = Instant::now();
    let max_age = shared.settings.max_age;
    let age = Duration::from_millis(now_ms().saturating_sub(event.enqueued_ms));
    let result = if age > max_age {
        // It waited out its whole max age in pauses: no send is worth it now.
        let code = shared.lock().backoff.last_code();
        SendResult::not_sent(
            code,
            format!(
                "the event was not delivered within the queue's max age of {} ms",
                max_age.as_millis()
            ),
        )
    } else {
        let mut clock = StopClock {
            started: Instant::now(),
            shared,
        };
        // Asked after an attempt failed transiently and again after the wait:
        // once a short run of such failures is seen across the queue, no send
        // retries any more and the pause that follows comes sooner.
        shared
            .client
            .send_checked(event.kind, &event.json, &mut clock, |just_failed| {
                let run = if just_failed {
                    shared.failure_run.fetch_add(1, Ordering::Relaxed) + 1
                } else {
                    shared.failure_run.load(Ordering::Relaxed)
                };
                !probe && !shared.halted.load(Ordering::Relaxed) && run < FAILURE_RUN
            })
    };
    shared
        .attempts
        .fetch_add(u64::from(result.attempts()), Ordering::Relaxed);
    let mut st = shared.lock();
    if let Some(i) = st.in_flight.iter().position(|s| *s == event.seq) {
        st.in_flight.swap_remove(i);
    }
    let after = settle(
        shared,
        &mut st,
        event,
        result,
        probe,
        started,
        age > max_age,
    );
    shared.halted.store(
        st.backoff.is_paused() || st.phase == Phase::Stopped,
        Ordering::Relaxed,
    );
    shared.wake_settle_waiters(&st);
    after
}

fn settle(
    shared: &Shared,
    st: &mut State,
    event: Event,
    result: SendResult,
    probe: bool,
    started: Instant,
    too_old: bool,
) -> After {
    let mut after = After::default();
    let code = result.code();
    if code == Code::Ok {
        shared.failure_run.store(0, Ordering::Relaxed);
        st.delivered += 1;
        st.held_bytes -= event.json.len() as u64;
        if let (Some(spool), Some(at)) = (st.spool.as_mut(), event.spooled) {
            if let Err(e) = spool.settled(at) {
                after.notes.push((LogLevel::Warn, e.message().to_string()));
            }
        }
        if st.backoff.answered(started) {
            shared.work.notify_all();
            after.notes.push((
                LogLevel::Info,
                "the service answers again: delivery resumes".into(),
            ));
        }
        return after;
    }
    if code.is_transient() && !too_old {
        if st.phase == Phase::Stopped {
            return give_up_on_stop(shared, st, event, after);
        }
        let now = Instant::now();
        if let Some(pause) = st.backoff.failed(
            now,
            code,
            result.retry_after,
            probe,
            fastrand::u64(0..=1000),
        ) {
            after.notes.push((
                LogLevel::Warn,
                format!(
                    "{code} ({}): the queue pauses for {} ms, then probes",
                    result.message(),
                    pause.as_millis()
                ),
            ));
        }
        let age = Duration::from_millis(now_ms().saturating_sub(event.enqueued_ms));
        if age <= shared.settings.max_age {
            if shared.log_enabled(LogLevel::Debug) {
                after.notes.push((
                    LogLevel::Debug,
                    format!(
                        "{} event will be sent again: {code} after {} attempt(s)",
                        event.kind,
                        result.attempts()
                    ),
                ));
            }
            let at = st.ready.partition_point(|e| e.seq < event.seq);
            st.ready.insert(at, event);
            return after;
        }
    } else if too_old && result.attempts() == 0 {
        // Not sent at all: if it held the probe, another event takes it now.
        if probe && st.backoff.probe_not_sent(Instant::now()) {
            shared.work.notify_all();
        }
    } else if !code.is_transient() && st.backoff.answered(started) {
        // A refusal is an answer: the service is up.
        shared.work.notify_all();
    }
    if let Some(trouble) = shared.fail_locked(st, &event, &result) {
        after.notes.push((LogLevel::Warn, trouble));
    }
    after.failure = Some((event, result));
    after
}

/// An event whose send was cut off by the stop: it stays in the spool, or
/// fails as closed without one.
fn give_up_on_stop(shared: &Shared, st: &mut State, event: Event, mut after: After) -> After {
    if st.spool.is_some() {
        let at = st.ready.partition_point(|e| e.seq < event.seq);
        st.ready.insert(at, event);
        return after;
    }
    let closed = closed_result();
    if let Some(trouble) = shared.fail_locked(st, &event, &closed) {
        after.notes.push((LogLevel::Warn, trouble));
    }
    after.failure = Some((event, closed));
    after
}

fn closed_result() -> SendResult {
    SendResult::not_sent(
        Code::QueueClosed,
        "the queue was closed before the event could be delivered",
    )
}

/// Closes the queue (see `Queue::close`) and returns how many events were
/// left pending. A second close does nothing more.
pub(super) fn close(
    shared: &Shared,
    threads: &Mutex<Vec<JoinHandle<()>>>,
    timeout: Duration,
) -> u64 {
    let deadline = Instant::now() + timeout;
    let mut st = shared.lock();
    if st.phase == Phase::Stopped {
        return 0;
    }
    if st.phase == Phase::Open {
        st.phase = Phase::Closing;
    }
    // Deliver what is held until the timeout.
    while st.pending() > 0 {
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        st = shared.wait_to_settle(st, u64::MAX, deadline);
    }
    // What is not settled when delivery ends counts as left, even if a
    // request already in flight still lands in the moment before it is cut.
    let left_at_stop = st.pending();
    st.phase = Phase::Stopped;
    shared.halted.store(true, Ordering::Relaxed);
    shared.work.notify_all();
    // Flushes waiting on other threads return now (the queue is closed).
    shared.settle.notify_all();
    drop(st);
    shared.stop.raise();
    shared.client.shut_down();
    // Give the workers a moment to notice; a stuck one is left behind.
    let grace = Instant::now() + STOP_GRACE;
    let mut st = shared.lock();
    while st.workers_alive > 0 {
        let now = Instant::now();
        if now >= grace {
            break;
        }
        st = shared.wait_to_settle(st, u64::MAX, grace);
    }
    let workers_done = st.workers_alive == 0;
    // What no worker holds: kept in the spool, or failed as closed.
    let mut given_up = Vec::new();
    if st.spool.is_none() {
        let closed = closed_result();
        while let Some(event) = st.ready.pop_front() {
            shared.fail_locked(&mut st, &event, &closed);
            given_up.push(event);
        }
    }
    let left = left_at_stop;
    if let Some(spool) = st.spool.as_mut() {
        spool.tidy();
    }
    let spool_dir = st.spool.as_ref().map(|s| s.dir().display().to_string());
    drop(st);
    let closed = closed_result();
    for event in &given_up {
        shared.report_failure(event.kind, &event.json, &closed);
    }
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
    let mut threads = threads.lock().unwrap_or_else(|p| p.into_inner());
    if workers_done {
        for t in threads.drain(..) {
            let _ = t.join();
        }
    } else {
        // Detached: each holds its own reference to what it uses.
        threads.clear();
    }
    left
}
