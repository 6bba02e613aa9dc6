//! When to retry and how long to wait: a pure module, driven by a clock and a
//! random source passed in, so tests run it on virtual time.
//!
//! The wait before retry n (n = 0, 1, ...) is drawn uniformly from
//! `[0, min(max_ms, base_ms * 2^n)]` ("full jitter"), unless the answer carried a
//! usable `Retry-After`, which replaces the draw. A wait that would end at or past
//! the deadline is not taken: the call ends with the last attempt as it is. Each
//! attempt gets `min(attempt timeout, time left)`, so the call never outlives its
//! deadline by more than the time it takes to notice a timeout.

use std::time::{Duration, SystemTime};

/// The retry settings of a client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Retries allowed after the first attempt.
    pub max_retries: u32,
    /// Base of the exponential backoff, in milliseconds.
    pub base_ms: u64,
    /// Cap of one backoff wait, in milliseconds.
    pub max_ms: u64,
}

impl Policy {
    /// The upper bound of the wait before retry `n`: `min(max_ms, base_ms * 2^n)`,
    /// computed without overflow.
    pub fn backoff_cap_ms(&self, n: u32) -> u64 {
        let factor = 1u64.checked_shl(n).unwrap_or(u64::MAX);
        self.base_ms.saturating_mul(factor).min(self.max_ms)
    }

    /// A full-jitter wait before retry `n`.
    pub fn draw_wait(&self, n: u32, jitter: &mut impl Jitter) -> Duration {
        let cap = self.backoff_cap_ms(n);
        Duration::from_millis(jitter.upto(cap).min(cap))
    }
}

/// Elapsed time since the call started, and sleeping.
pub trait Clock {
    /// Time since the call started.
    fn elapsed(&self) -> Duration;
    /// Waits for `d`.
    fn sleep(&mut self, d: Duration);
}

/// A source of uniform random numbers.
pub trait Jitter {
    /// A number drawn uniformly from `0..=max`.
    fn upto(&mut self, max: u64) -> u64;
}

/// The real clock: a monotonic start instant and `thread::sleep`.
#[derive(Debug)]
pub struct SystemClock {
    start: std::time::Instant,
}

impl SystemClock {
    /// A clock whose zero is now.
    pub fn start() -> SystemClock {
        SystemClock {
            start: std::time::Instant::now(),
        }
    }
}

impl Clock for SystemClock {
    fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }

    fn sleep(&mut self, d: Duration) {
        std::thread::sleep(d);
    }
}

/// The real random source (fastrand's per-thread generator).
#[derive(Debug, Default)]
pub struct FastJitter;

impl Jitter for FastJitter {
    fn upto(&mut self, max: u64) -> u64 {
        fastrand::u64(0..=max)
    }
}

/// What an attempt's outcome means for the retry loop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Done: success, or a failure that retrying cannot fix.
    Final,
    /// Worth another attempt; `retry_after` replaces the backoff draw when present.
    Retry {
        /// The server's requested wait, if it gave a usable one.
        retry_after: Option<Duration>,
    },
}

/// The outcome of one attempt, as the loop sees it.
pub trait Attempt {
    /// Whether to retry.
    fn verdict(&self) -> Verdict;
}

/// The last attempt's outcome and how many attempts were made.
#[derive(Debug)]
pub struct Finished<T> {
    /// The outcome of the last attempt.
    pub last: T,
    /// Attempts made (at least 1).
    pub attempts: u32,
}

/// Runs `attempt` until it is final, retries run out, the deadline leaves no
/// room for another wait, or `keep_going` says to stop before a retry (a
/// queue that has paused, or is shutting down). `keep_going(true)` is asked
/// right after an attempt failed, `keep_going(false)` again after the wait. `attempt` receives the time it
/// may take.
pub fn run<T: Attempt>(
    policy: &Policy,
    deadline: Duration,
    attempt_timeout: Duration,
    clock: &mut impl Clock,
    jitter: &mut impl Jitter,
    mut keep_going: impl FnMut(bool) -> bool,
    mut attempt: impl FnMut(Duration) -> T,
) -> Finished<T> {
    let mut attempts = 0u32;
    loop {
        let left = deadline.saturating_sub(clock.elapsed());
        // Never zero: an attempt with no time at all would report a timeout that
        // did not fire. Only the first attempt can start this late (a wait is
        // never taken unless time is left after it).
        let budget = attempt_timeout.min(left).max(Duration::from_millis(1));
        attempts += 1;
        let last = attempt(budget);
        let retry_after = match last.verdict() {
            Verdict::Final => return Finished { last, attempts },
            Verdict::Retry { retry_after } => retry_after,
        };
        let retry_index = attempts - 1;
        if retry_index >= policy.max_retries || !keep_going(true) {
            return Finished { last, attempts };
        }
        let wait = retry_after.unwrap_or_else(|| policy.draw_wait(retry_index, jitter));
        let wakes_at = clock.elapsed().saturating_add(wait);
        if wakes_at >= deadline {
            return Finished { last, attempts };
        }
        clock.sleep(wait);
        // The reason to stop may have come during the wait.
        if !keep_going(false) {
            return Finished { last, attempts };
        }
    }
}

/// Reads a `Retry-After` value: whole seconds or an HTTP-date. Negative seconds
/// and past dates give zero; anything else unreadable gives `None` (ignored).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    let digits = value.strip_prefix('-').unwrap_or(value);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        if value.starts_with('-') {
            return Some(Duration::ZERO);
        }
        // Too many digits for u64 is still "a very long time".
        let secs = digits.parse::<u64>().unwrap_or(u64::MAX);
        return Some(Duration::from_secs(secs.min(u64::from(u32::MAX))));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Virtual time: sleeping and attempts advance it, nothing waits.
    struct FakeClock {
        now: Duration,
        sleeps: Vec<Duration>,
    }

    impl Clock for FakeClock {
        fn elapsed(&self) -> Duration {
            self.now
        }
        fn sleep(&mut self, d: Duration) {
            self.sleeps.push(d);
            self.now += d;
        }
    }

    /// Returns a fixed fraction of the range, and records each range asked for.
    struct FakeJitter {
        per_mille: u64,
        asked: Vec<u64>,
    }

    impl Jitter for FakeJitter {
        fn upto(&mut self, max: u64) -> u64 {
            self.asked.push(max);
            (u128::from(max) * u128::from(self.per_mille) / 1000) as u64
        }
    }

    #[derive(Clone, Copy, Debug, PartialEq)]
    enum Fake {
        Ok,
        Fail,
        Busy(Option<u64>),
    }

    impl Attempt for Fake {
        fn verdict(&self) -> Verdict {
            match *self {
                Fake::Ok => Verdict::Final,
                Fake::Fail => Verdict::Retry { retry_after: None },
                Fake::Busy(ms) => Verdict::Retry {
                    retry_after: ms.map(Duration::from_millis),
                },
            }
        }
    }

    const MS: fn(u64) -> Duration = Duration::from_millis;

    /// A clock at zero and a jitter that returns `per_mille` of each range.
    fn fakes(per_mille: u64) -> (FakeClock, FakeJitter) {
        let clock = FakeClock {
            now: Duration::ZERO,
            sleeps: vec![],
        };
        (
            clock,
            FakeJitter {
                per_mille,
                asked: vec![],
            },
        )
    }

    fn policy(max_retries: u32, base_ms: u64, max_ms: u64) -> Policy {
        Policy {
            max_retries,
            base_ms,
            max_ms,
        }
    }

    /// Runs a scripted sequence of outcomes (the last one repeats); attempts take
    /// no virtual time, waits do.
    fn script(
        p: Policy,
        deadline_ms: u64,
        timeout_ms: u64,
        outcomes: &[Fake],
    ) -> (Finished<Fake>, FakeClock, FakeJitter) {
        let (mut clock, mut jitter) = fakes(1000);
        let mut i = 0;
        let finished = run(
            &p,
            MS(deadline_ms),
            MS(timeout_ms),
            &mut clock,
            &mut jitter,
            |_| true,
            |_| {
                let o = outcomes[i.min(outcomes.len() - 1)];
                i += 1;
                o
            },
        );
        (finished, clock, jitter)
    }

    #[test]
    fn backoff_cap_grows_and_saturates() {
        let p = policy(3, 100, 2000);
        let caps: Vec<u64> = (0..8).map(|n| p.backoff_cap_ms(n)).collect();
        assert_eq!(caps, [100, 200, 400, 800, 1600, 2000, 2000, 2000]);
        let huge = policy(100, u64::MAX / 2, u64::MAX);
        assert_eq!(huge.backoff_cap_ms(99), u64::MAX);
        assert_eq!(policy(1, 0, 0).backoff_cap_ms(70), 0);
    }

    #[test]
    fn stops_at_first_final_outcome() {
        let (f, clock, _) = script(policy(3, 100, 2000), 8000, 2000, &[Fake::Ok]);
        assert_eq!(f.attempts, 1);
        assert_eq!(f.last, Fake::Ok);
        assert!(clock.sleeps.is_empty());
    }

    #[test]
    fn retries_with_full_jitter_up_to_the_limit() {
        let (f, clock, jitter) = script(policy(3, 100, 2000), 60_000, 2000, &[Fake::Fail]);
        assert_eq!(f.attempts, 4);
        assert_eq!(f.last, Fake::Fail);
        assert_eq!(jitter.asked, [100, 200, 400]);
        assert_eq!(clock.sleeps, [MS(100), MS(200), MS(400)]);
    }

    #[test]
    fn success_after_failures() {
        let (f, _, _) = script(
            policy(3, 10, 10),
            60_000,
            2000,
            &[Fake::Fail, Fake::Busy(None), Fake::Ok],
        );
        assert_eq!(f.attempts, 3);
        assert_eq!(f.last, Fake::Ok);
    }

    #[test]
    fn zero_retries_means_one_attempt() {
        let (f, clock, _) = script(policy(0, 100, 2000), 8000, 2000, &[Fake::Fail]);
        assert_eq!(f.attempts, 1);
        assert!(clock.sleeps.is_empty());
    }

    #[test]
    fn retry_after_replaces_the_draw() {
        let (f, clock, jitter) = script(
            policy(2, 100, 2000),
            60_000,
            2000,
            &[Fake::Busy(Some(1500)), Fake::Ok],
        );
        assert_eq!(f.attempts, 2);
        assert_eq!(clock.sleeps, [MS(1500)]);
        assert!(jitter.asked.is_empty());
    }

    #[test]
    fn a_wait_past_the_deadline_is_not_taken() {
        let (f, clock, _) = script(policy(5, 100, 2000), 1000, 500, &[Fake::Busy(Some(5000))]);
        assert_eq!(f.attempts, 1);
        assert_eq!(f.last, Fake::Busy(Some(5000)));
        assert!(clock.sleeps.is_empty());
    }

    #[test]
    fn attempts_get_at_most_the_time_left() {
        // Attempts cost nothing on the fake clock, but sleeps do: 100 + 200 + 400.
        let (mut clock, mut jitter) = fakes(1000);
        let mut budgets = vec![];
        let f = run(
            &policy(3, 100, 2000),
            MS(1000),
            MS(800),
            &mut clock,
            &mut jitter,
            |_| true,
            |b| {
                budgets.push(b);
                Fake::Fail
            },
        );
        // Waits of 100, 200 and 400 ms leave 900, 700 and 300 ms for the next attempt.
        assert_eq!(budgets, [MS(800), MS(800), MS(700), MS(300)]);
        assert_eq!(f.attempts, 4);
    }

    #[test]
    fn attempt_time_counts_toward_the_deadline() {
        /// A clock the attempt itself advances.
        struct Shared(std::rc::Rc<std::cell::Cell<Duration>>);
        impl Clock for Shared {
            fn elapsed(&self) -> Duration {
                self.0.get()
            }
            fn sleep(&mut self, d: Duration) {
                self.0.set(self.0.get() + d);
            }
        }
        let t = std::rc::Rc::new(std::cell::Cell::new(Duration::ZERO));
        let mut clock = Shared(t.clone());
        let mut jitter = FakeJitter {
            per_mille: 0,
            asked: vec![],
        };
        let mut budgets = vec![];
        // Every attempt times out, using its whole budget.
        let f = run(
            &policy(10, 0, 0),
            MS(5000),
            MS(2000),
            &mut clock,
            &mut jitter,
            |_| true,
            |b| {
                budgets.push(b);
                t.set(t.get() + b);
                Fake::Fail
            },
        );
        assert_eq!(budgets, [MS(2000), MS(2000), MS(1000)]);
        assert_eq!(f.attempts, 3);
        assert_eq!(t.get(), MS(5000));
    }

    #[test]
    fn keep_going_stops_before_a_retry() {
        let (mut clock, mut jitter) = fakes(1000);
        let mut asked = 0;
        let f = run(
            &policy(5, 10, 10),
            MS(60_000),
            MS(100),
            &mut clock,
            &mut jitter,
            |_| {
                asked += 1;
                asked < 2
            },
            |_| Fake::Fail,
        );
        assert_eq!(f.attempts, 1, "told to stop during the wait: no retry");
        assert_eq!(clock.sleeps.len(), 1);
    }

    #[test]
    fn retry_after_values() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after("2", now), Some(MS(2000)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("-5", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("99999999999999999999999", now),
            Some(Duration::from_secs(u32::MAX.into()))
        );
        let later = httpdate::fmt_http_date(now + Duration::from_secs(3));
        assert_eq!(parse_retry_after(&later, now), Some(MS(3000)));
        let past = httpdate::fmt_http_date(now - Duration::from_secs(30));
        assert_eq!(parse_retry_after(&past, now), Some(Duration::ZERO));
        for junk in ["", "soon", "1.5", "2s", "Mon, 99 Foo 2020", "--1"] {
            assert_eq!(parse_retry_after(junk, now), None, "{junk:?}");
        }
    }

    #[test]
    fn real_jitter_stays_in_range() {
        let p = policy(3, 100, 2000);
        let mut j = FastJitter;
        for n in 0..10 {
            for _ in 0..200 {
                assert!(p.draw_wait(n, &mut j) <= MS(p.backoff_cap_ms(n)));
            }
        }
    }
}
