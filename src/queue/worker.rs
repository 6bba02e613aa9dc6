//! The worker threads: each takes the next event, sends it with the client's
//! rules (within the shared backoff), and settles it.
//!
//! Workers follow the load: a queue starts with [`FIRST_WORKERS`]; a worker
//! that takes an event while more wait and no other worker is free starts one
//! more (up to the queue's most, one start at a time, none while the queue is
//! paused); a worker that waited [`IDLE_EXIT`] for an event ends, down to
//! [`FIRST_WORKERS`]. Starting threads is the workers' work, never the host's.

use super::backoff::Permit;
use super::settings::LogLevel;
use super::shared::{now_ms, Event, Failure, Phase, Shared, State};
use crate::code::Code;
use crate::outcome::SendResult;
use crate::wire::resolver::NOT_RESOLVED;
use crate::wire::retry::Clock;
use std::sync::atomic::Ordering;
use std::sync::{Arc, MutexGuard};
use std::time::{Duration, Instant};

/// How long a worker waiting for another's probe sleeps before looking again
/// (a probe reports back well before; this only bounds a lost wake-up).
const PROBE_WAIT: Duration = Duration::from_secs(1);

/// Transient attempt failures, across the queue and since its last success,
/// after which no send retries: the shared pause takes over.
const FAILURE_RUN: u32 = 3;

/// Workers a queue starts with (fewer if its most is lower).
pub(super) const FIRST_WORKERS: usize = 2;

/// How long a worker beyond the first ones waits for an event before it ends.
const IDLE_EXIT: Duration = Duration::from_secs(10);

/// Starts the first workers.
pub(super) fn start_first(shared: &Arc<Shared>) -> std::io::Result<()> {
    let count = FIRST_WORKERS.min(shared.settings.workers as usize);
    for _ in 0..count {
        shared.lock().workers_alive += 1;
        if let Err(e) = spawn(shared) {
            shared.lock().workers_alive -= 1;
            return Err(e);
        }
    }
    Ok(())
}

/// Starts one worker thread, counted in `workers_alive` by the caller; its
/// handle joins the queue's (finished ones are let go of).
fn spawn(shared: &Arc<Shared>) -> std::io::Result<()> {
    let number = shared.workers_started.fetch_add(1, Ordering::Relaxed);
    let s = Arc::clone(shared);
    let handle = crate::sys::thread::spawn(&format!("coveo-ua-worker-{number}"), move || run(&s))?;
    let mut threads = shared.threads.lock().unwrap_or_else(|p| p.into_inner());
    threads.retain(|t| !t.is_finished());
    threads.push(handle);
    Ok(())
}

/// How many workers the worker that just took an event should start: none
/// unless more wait, nobody is free to take them, the service answered since
/// workers were last added (so a queue that cannot reach it stays small), and
/// there is room. Then as many as wait, at most as many as run now: the
/// workers double per answer, so a burst reaches the most in a few answers
/// rather than a round trip per doubling.
fn workers_to_add(shared: &Shared, st: &State) -> usize {
    let free = st.idle.saturating_sub(st.wakes_pending);
    let grow = !st.ready.is_empty()
        && free == 0
        && !st.growing
        && st.answers > st.answers_at_growth
        && !st.backoff.is_paused()
        && st.phase != Phase::Stopped;
    if !grow {
        return 0;
    }
    let room = (shared.settings.workers as usize).saturating_sub(st.workers_alive);
    st.ready.len().min(st.workers_alive.max(1)).min(room)
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
    failure: Option<(Failure, SendResult)>,
    notes: Vec<(LogLevel, String)>,
}

fn run(shared: &Arc<Shared>) {
    let mut st = shared.lock();
    loop {
        let (mut guard, next) = next_event(shared, st);
        let Some((event, probe, taken_at)) = next else {
            st = guard;
            break;
        };
        let grow = workers_to_add(shared, &guard);
        if grow > 0 {
            guard.growing = true;
            guard.workers_alive += grow;
            guard.answers_at_growth = guard.answers;
        }
        drop(guard);
        if grow > 0 {
            let failed = (0..grow).filter(|_| spawn(shared).is_err()).count();
            let mut st = shared.lock();
            st.growing = false;
            st.workers_alive -= failed;
        }
        let after = deliver(shared, event, probe, taken_at);
        if let Some(failure) = after.failure {
            shared.report_failures(vec![failure]);
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
/// The `bool` says the send is the backoff's probe; the `Instant` is when it
/// was taken, with the lock held (a pause that began later is news to it).
fn next_event<'a>(
    shared: &'a Shared,
    mut st: MutexGuard<'a, State>,
) -> (MutexGuard<'a, State>, Option<(Event, bool, Instant)>) {
    loop {
        if st.phase == Phase::Stopped {
            return (st, None);
        }
        if st.ready.is_empty() {
            if st.on_disk > 0 {
                // Nothing in memory, more on disk: have it read back.
                shared.housekeeping.notify_one();
            }
            st.idle += 1;
            let (guard, timed_out) = wait_idle(shared, st);
            st = guard;
            st.idle -= 1;
            st.wakes_pending = st.wakes_pending.saturating_sub(1);
            if timed_out && st.ready.is_empty() && st.workers_alive > FIRST_WORKERS {
                // Idle for a while: the queue needs fewer workers.
                return (st, None);
            }
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
        let Some(event) = st.take_next() else {
            continue;
        };
        // Pass the wake-up on, so the host's thread woke only one worker.
        if !st.ready.is_empty() && !probe && st.idle > st.wakes_pending {
            st.wakes_pending += 1;
            shared.work.notify_one();
        }
        // Half the room is free again: read more back from the spool.
        if st.on_disk > 0 && st.in_memory() * 2 <= u64::from(shared.settings.max_events) {
            shared.housekeeping.notify_one();
        }
        return (st, Some((event, probe, Instant::now())));
    }
}

/// Waits on the work condition for an event, at most [`IDLE_EXIT`]; true
/// when the time ran out.
fn wait_idle<'a>(shared: &'a Shared, st: MutexGuard<'a, State>) -> (MutexGuard<'a, State>, bool) {
    match shared.work.wait_timeout(st, IDLE_EXIT) {
        Ok((guard, result)) => (guard, result.timed_out()),
        Err(poisoned) => (poisoned.into_inner().0, false),
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

/// Sends one event and settles it; `started` is when it was taken: its
/// answer says the service is up again only if the queue's pause began
/// before that.
fn deliver(shared: &Shared, event: Event, probe: bool, started: Instant) -> After {
    let mut clock = StopClock {
        started: Instant::now(),
        shared,
    };
    // Asked after an attempt failed transiently and again after the wait:
    // once a short run of such failures is seen across the queue, no send
    // retries any more and the pause that follows comes sooner.
    let result = shared
        .client
        .send_checked(event.kind, &event.json, &mut clock, |just_failed| {
            let run = if just_failed {
                shared.failure_run.fetch_add(1, Ordering::Relaxed) + 1
            } else {
                shared.failure_run.load(Ordering::Relaxed)
            };
            !probe && !shared.halted.load(Ordering::Relaxed) && run < FAILURE_RUN
        });
    shared
        .attempts
        .fetch_add(u64::from(result.attempts()), Ordering::Relaxed);
    if let (Code::Ok, Some(at)) = (result.code(), event.spooled) {
        // Acknowledged in the spool before it counts as delivered: a flush
        // that returns has every ack written, so a process that exits right
        // after leaves nothing for another queue to send again.
        shared.spool_settled(at);
    }
    let mut st = shared.lock();
    if !st.landed(event.seq) {
        // A close gave this event up while this worker was held up; it was
        // reported then.
        return After::default();
    }
    let after = settle(shared, &mut st, event, result, probe, started);
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
    mut event: Event,
    result: SendResult,
    probe: bool,
    started: Instant,
) -> After {
    let mut after = After::default();
    let code = result.code();
    if !code.is_transient() {
        st.answers += 1;
    }
    if code == Code::Ok {
        shared.failure_run.store(0, Ordering::Relaxed);
        st.delivered += 1;
        st.held_bytes -= event.json.len() as u64;
        if st.backoff.answered(started) {
            shared.work.notify_all();
            after.notes.push((
                LogLevel::Info,
                "the service answers again: delivery resumes".into(),
            ));
        }
        return after;
    }
    if code.is_transient() {
        if st.phase == Phase::Stopped {
            return give_up_on_stop(shared, st, event, after);
        }
        if st.answers == 0 && !st.told_unresolved && result.message().contains(NOT_RESOLVED) {
            // Never an answer and the name does not resolve: most likely a
            // mistyped organization id or endpoint, not an outage. Said once.
            st.told_unresolved = true;
            after.notes.push((
                LogLevel::Error,
                format!(
                    "{}: the service's host ({}) does not resolve; check the endpoint and the \
                     organization id (without an endpoint, the organization id names the host \
                     <org>.analytics.org.coveo.com); the queue keeps trying",
                    result.message(),
                    shared.client.endpoint()
                ),
            ));
        }
        if let Some(pause) = st.backoff.failed(
            Instant::now(),
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
        if event.age(now_ms()) <= shared.settings.max_age {
            event.last_try = Some(Box::new(result));
            if st.put_back(event) {
                shared.housekeeping.notify_one();
            }
            return after;
        }
    } else if st.backoff.answered(started) {
        // A refusal is an answer: the service is up.
        shared.work.notify_all();
    }
    // Failed for good: refused by the service, or its max age passed after a
    // try that failed transiently (with that try's code).
    let failure = Failure::from(&event);
    shared.fail_locked(st, &failure);
    after.failure = Some((failure, result));
    after
}

/// An event whose send was cut off by the stop: it stays in the spool, or
/// fails as closed without one.
fn give_up_on_stop(shared: &Shared, st: &mut State, event: Event, mut after: After) -> After {
    if event.spooled.is_some() {
        st.put_back(event);
        return after;
    }
    let failure = Failure::from(&event);
    shared.fail_locked(st, &failure);
    st.given_up += 1;
    after.failure = Some((failure, closed_result()));
    after
}

/// What an event a close gives up failed with.
pub(super) fn closed_result() -> SendResult {
    SendResult::not_sent(
        Code::QueueClosed,
        "the queue was closed before the event could be delivered",
    )
}
