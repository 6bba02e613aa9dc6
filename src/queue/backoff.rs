//! The pause the whole queue shares while the service throttles or fails, so
//! an outage costs it a probe now and then instead of a retry of every
//! pending event.
//!
//! Healthy: every worker sends. After a send fails with a transient code, the
//! queue pauses; when the pause ends one worker probes with a single attempt
//! while the others wait. A success (or any answer that is not transient) of a
//! send begun after the pause started makes the queue healthy again (the
//! answers of sends already in flight say nothing new); a failed probe doubles
//! the pause, up to the cap. A `Retry-After` longer than the pause is honoured. Pure: time is
//! passed in, so tests run it on made-up instants.

use std::time::{Duration, Instant};

/// The longest `Retry-After` honoured: a service asking for more is asked again then.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Healthy,
    Paused { until: Instant, failures: u32 },
    Probing { failures: u32 },
}

/// What a worker may do now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Permit {
    /// Send, with the client's retries.
    Send,
    /// Send one attempt: this worker is the probe.
    Probe,
    /// Wait until then (the pause).
    WaitUntil(Instant),
    /// Another worker is probing: wait to hear how it went.
    WaitForProbe,
}

/// The shared backoff of one queue.
#[derive(Debug)]
pub(crate) struct Backoff {
    base: Duration,
    max: Duration,
    phase: Phase,
    /// When the current pause began (meaningful while not healthy).
    paused_since: Option<Instant>,
}

impl Backoff {
    pub(crate) fn new(base: Duration, max: Duration) -> Backoff {
        Backoff {
            base,
            max,
            phase: Phase::Healthy,
            paused_since: None,
        }
    }

    /// Whether sends should stop retrying (paused, or a probe is out).
    pub(crate) fn is_paused(&self) -> bool {
        self.phase != Phase::Healthy
    }

    /// What a worker that has an event to send may do now; `Probe` is handed
    /// to one worker only.
    pub(crate) fn permit(&mut self, now: Instant) -> Permit {
        match self.phase {
            Phase::Healthy => Permit::Send,
            Phase::Probing { .. } => Permit::WaitForProbe,
            Phase::Paused { until, failures } => {
                if now < until {
                    Permit::WaitUntil(until)
                } else {
                    self.phase = Phase::Probing { failures };
                    Permit::Probe
                }
            }
        }
    }

    /// The service answered a send begun at `started` (a success, or a
    /// failure retrying cannot fix). True when that ends a pause: the waiting
    /// workers must hear of it.
    pub(crate) fn answered(&mut self, started: Instant) -> bool {
        if !self.is_paused() || self.paused_since.is_some_and(|since| started < since) {
            return false;
        }
        self.phase = Phase::Healthy;
        self.paused_since = None;
        true
    }

    /// A send ended with a transient code. Returns the new pause when this
    /// failure starts or lengthens one; a failure of a send that began before
    /// the pause changes nothing. `jitter` is a number from 0 to 1000.
    pub(crate) fn failed(
        &mut self,
        now: Instant,
        retry_after: Option<Duration>,
        was_probe: bool,
        jitter: u64,
    ) -> Option<Duration> {
        let failures = match self.phase {
            Phase::Healthy => 1,
            Phase::Probing { failures } if was_probe => failures.saturating_add(1),
            Phase::Probing { .. } | Phase::Paused { .. } => return None,
        };
        let pause = self
            .pause_for(failures, jitter)
            .max(retry_after.unwrap_or(Duration::ZERO).min(MAX_RETRY_AFTER));
        self.phase = Phase::Paused {
            until: now + pause,
            failures,
        };
        if failures == 1 {
            self.paused_since = Some(now);
        }
        Some(pause)
    }

    /// "Equal jitter": half the capped exponential step, plus a random part of
    /// the other half, so probes never come closer than half a step.
    fn pause_for(&self, failures: u32, jitter: u64) -> Duration {
        let factor = 1u32.checked_shl(failures - 1).unwrap_or(u32::MAX);
        let step = self.base.saturating_mul(factor).min(self.max);
        let half = step / 2;
        half + half.mul_f64(jitter.min(1000) as f64 / 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;

    fn backoff() -> Backoff {
        Backoff::new(S(1), S(8))
    }

    #[test]
    fn healthy_workers_send() {
        let mut b = backoff();
        let now = Instant::now();
        assert_eq!(b.permit(now), Permit::Send);
        assert!(!b.is_paused());
        assert!(!b.answered(now));
    }

    #[test]
    fn a_failure_pauses_then_one_worker_probes() {
        let mut b = backoff();
        let t0 = Instant::now();
        let pause = b.failed(t0, None, false, 1000).unwrap();
        assert_eq!(pause, S(1));
        assert!(b.is_paused());
        assert_eq!(b.permit(t0), Permit::WaitUntil(t0 + S(1)));
        // Late failures of sends begun before the pause change nothing.
        assert_eq!(b.failed(t0, None, false, 0), None);
        assert_eq!(b.permit(t0 + S(1)), Permit::Probe);
        assert_eq!(b.permit(t0 + S(1)), Permit::WaitForProbe);
        // The probe fails: the pause doubles, up to the cap.
        let mut now = t0 + S(1);
        let mut pauses = vec![];
        for _ in 0..5 {
            let p = b.failed(now, None, true, 1000).unwrap();
            pauses.push(p.as_secs());
            now += p;
            assert_eq!(b.permit(now), Permit::Probe);
        }
        assert_eq!(pauses, [2, 4, 8, 8, 8]);
        let before_pause = t0 - Duration::from_millis(1);
        assert!(
            !b.answered(before_pause),
            "a send begun before the pause proves nothing"
        );
        assert!(b.is_paused());
        assert!(b.answered(now), "a success ends the pause");
        assert_eq!(b.permit(now), Permit::Send);
    }

    #[test]
    fn jitter_keeps_at_least_half_a_step() {
        let mut b = backoff();
        let t0 = Instant::now();
        assert_eq!(
            b.failed(t0, None, false, 0),
            Some(Duration::from_millis(500))
        );
        b.answered(t0);
        assert_eq!(
            b.failed(t0, None, false, 500),
            Some(Duration::from_millis(750))
        );
    }

    #[test]
    fn retry_after_is_honoured_when_longer() {
        let mut b = backoff();
        let t0 = Instant::now();
        let p = b.failed(t0, Some(S(20)), false, 0).unwrap();
        assert_eq!(p, S(20));
        b.answered(t0);
        let p = b.failed(t0, Some(S(u32::MAX.into())), false, 0).unwrap();
        assert_eq!(p, MAX_RETRY_AFTER);
        b.answered(t0);
        let p = b.failed(t0, Some(Duration::ZERO), false, 1000).unwrap();
        assert_eq!(p, S(1), "a short Retry-After does not shorten the pause");
    }
}
