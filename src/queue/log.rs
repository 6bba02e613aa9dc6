//! The queue's log, kept readable: at most a few lines a second reach the
//! host's callback, and events failed for good are counted per code rather
//! than logged one line each.
//!
//! - Lines pass while the budget allows ([`BURST`] at once, then [`PER_SECOND`]
//!   a second); a line held back is counted, and the count is said before the
//!   next line that passes.
//! - The first event failed for good with a code is logged at once; the
//!   next ones with that code, for a second, are summed into one line (and so
//!   every second while they go on). The failure callback still hears of each.

use super::settings::{LogCallback, LogLevel};
use crate::code::Code;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Lines that may pass at once.
pub(super) const BURST: f64 = 20.0;
/// Lines that may pass each second after a burst.
pub(super) const PER_SECOND: f64 = 5.0;
/// How long failures with one code are summed before their line.
const RUN: Duration = Duration::from_secs(1);

/// Failures with one code being summed.
struct Run {
    code: Code,
    since: Instant,
    more: u64,
    last: String,
}

struct Budget {
    tokens: f64,
    refilled: Instant,
    held_back: u64,
    runs: Vec<Run>,
}

pub(super) struct Log {
    sink: Option<(LogCallback, LogLevel)>,
    budget: Mutex<Budget>,
}

/// A line to hand to the callback, once the budget's lock is let go.
type Lines = Vec<(LogLevel, String)>;

impl Log {
    pub fn new(sink: Option<(LogCallback, LogLevel)>) -> Log {
        Log {
            sink,
            budget: Mutex::new(Budget {
                tokens: BURST,
                refilled: Instant::now(),
                held_back: 0,
                runs: Vec::new(),
            }),
        }
    }

    pub fn enabled(&self, level: LogLevel) -> bool {
        self.sink.as_ref().is_some_and(|(_, max)| level <= *max)
    }

    fn budget(&self) -> std::sync::MutexGuard<'_, Budget> {
        self.budget.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// One line, if the budget lets it through; `deliver` hands lines to the
    /// callback (through the queue's callback gate).
    pub fn line(&self, level: LogLevel, message: &str, deliver: impl Fn(&dyn Fn())) {
        if !self.enabled(level) {
            return;
        }
        let mut lines = Lines::new();
        self.budget().admit(level, message.to_string(), &mut lines);
        self.emit(lines, deliver);
    }

    /// `count` events failed for good with `code`, `message` saying why
    /// (for the first of them, or the one event).
    pub fn failed(&self, code: Code, count: u64, message: String, deliver: impl Fn(&dyn Fn())) {
        if !self.enabled(LogLevel::Error) {
            return;
        }
        let now = Instant::now();
        let mut lines = Lines::new();
        {
            let mut budget = self.budget();
            match budget.runs.iter_mut().find(|r| r.code == code) {
                Some(run) => {
                    run.more += count;
                    run.last = message;
                }
                None => {
                    budget.runs.push(Run {
                        code,
                        since: now,
                        more: 0,
                        last: String::new(),
                    });
                    let line = if count == 1 {
                        format!("event failed for good: {code}: {message}")
                    } else {
                        format!("{count} events failed for good: {code} (first: {message})")
                    };
                    budget.admit(LogLevel::Error, line, &mut lines);
                }
            }
            budget.close_runs(now, &mut lines);
        }
        self.emit(lines, deliver);
    }

    /// Says the sums of the runs whose second is over (all of them when
    /// `all`, as the queue stops); returns when the next one will be.
    pub fn close_runs(&self, all: bool, deliver: impl Fn(&dyn Fn())) -> Option<Instant> {
        if !self.enabled(LogLevel::Error) {
            return None;
        }
        let mut lines = Lines::new();
        let next = {
            let mut budget = self.budget();
            let now = if all {
                Instant::now() + RUN
            } else {
                Instant::now()
            };
            budget.close_runs(now, &mut lines);
            budget.runs.iter().map(|r| r.since + RUN).min()
        };
        self.emit(lines, deliver);
        next
    }

    fn emit(&self, lines: Lines, deliver: impl Fn(&dyn Fn())) {
        if let Some((callback, _)) = &self.sink {
            for (level, line) in lines {
                deliver(&|| callback(level, &line));
            }
        }
    }
}

impl Budget {
    /// Lets `line` through if the budget allows (with the count of lines
    /// held back before it), or counts it as held back.
    fn admit(&mut self, level: LogLevel, line: String, out: &mut Lines) {
        let now = Instant::now();
        let earned = now.duration_since(self.refilled).as_secs_f64() * PER_SECOND;
        self.tokens = (self.tokens + earned).min(BURST);
        self.refilled = now;
        if self.tokens < 1.0 {
            self.held_back += 1;
            return;
        }
        self.tokens -= 1.0;
        if self.held_back > 0 {
            out.push((
                LogLevel::Warn,
                format!(
                    "{} log line(s) held back (this log passes at most {PER_SECOND} lines a second)",
                    std::mem::take(&mut self.held_back)
                ),
            ));
        }
        out.push((level, line));
    }

    /// The lines of runs whose second is over: a run that summed failures
    /// says so and goes on for another second; one that summed none ends.
    fn close_runs(&mut self, now: Instant, out: &mut Lines) {
        let mut i = 0;
        while i < self.runs.len() {
            if now < self.runs[i].since + RUN {
                i += 1;
                continue;
            }
            let run = &mut self.runs[i];
            if run.more == 0 {
                self.runs.swap_remove(i);
                continue;
            }
            let line = format!(
                "{} more event(s) failed for good: {} (last: {})",
                run.more, run.code, run.last
            );
            run.more = 0;
            run.since = now;
            self.admit(LogLevel::Error, line, out);
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    type Seen = Arc<Mutex<Vec<(LogLevel, String)>>>;

    fn recording(max: LogLevel) -> (Log, Seen) {
        let seen: Seen = Arc::default();
        let sink = Arc::clone(&seen);
        let callback: LogCallback =
            Arc::new(move |level, line: &str| sink.lock().unwrap().push((level, line.to_string())));
        (Log::new(Some((callback, max))), seen)
    }

    fn direct(f: &dyn Fn()) {
        f()
    }

    #[test]
    fn a_flood_is_cut_to_the_burst_and_the_rest_counted() {
        let (log, seen) = recording(LogLevel::Debug);
        for i in 0..1000 {
            log.line(LogLevel::Debug, &format!("line {i}"), direct);
        }
        assert_eq!(seen.lock().unwrap().len(), BURST as usize);
        std::thread::sleep(Duration::from_millis(250));
        log.line(LogLevel::Info, "after", direct);
        let seen = seen.lock().unwrap();
        let notice = &seen[seen.len() - 2].1;
        assert!(notice.starts_with("980 log line(s) held back"), "{notice}");
        assert_eq!(seen.last().unwrap().1, "after");
    }

    #[test]
    fn failures_with_one_code_are_summed_per_second() {
        let (log, seen) = recording(LogLevel::Error);
        for i in 0..500 {
            log.failed(Code::MissingParameter, 1, format!("event {i}"), direct);
        }
        log.failed(Code::InvalidJson, 3, "broken".into(), direct);
        {
            let seen = seen.lock().unwrap();
            assert_eq!(seen.len(), 2, "{seen:?}");
            assert!(
                seen[0].1.contains("UA_MISSING_PARAMETER: event 0"),
                "{seen:?}"
            );
            assert!(seen[1]
                .1
                .starts_with("3 events failed for good: UA_INVALID_JSON"));
        }
        std::thread::sleep(RUN + Duration::from_millis(50));
        let next = log.close_runs(false, direct);
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 3, "{seen:?}");
        assert!(
            seen[2].1.starts_with(
                "499 more event(s) failed for good: UA_MISSING_PARAMETER (last: event 499)"
            ),
            "{seen:?}"
        );
        // The code that went on is watched for one more second; the other ended.
        assert!(next.is_some());
    }
}
