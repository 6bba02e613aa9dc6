//! The log of accepted events: kept in memory for `/_emulator/events` and
//! appended to the `--log` file as JSON lines. Each entry is serialized once,
//! outside the lock; the lock only numbers it and stores it.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::ids::Visit;

/// Most events kept in memory; older ones are dropped beyond it (the file keeps all).
pub const MAX_EVENTS_IN_MEMORY: usize = 1_000_000;

struct Inner {
    next_seq: u64,
    /// (seq, the entry's JSON text after `{"seq":N`).
    entries: VecDeque<(u64, String)>,
    file: Option<BufWriter<File>>,
    file_dirty: bool,
    file_error: bool,
}

/// The accepted events, oldest first.
pub struct EventLog {
    inner: Mutex<Inner>,
}

/// One accepted event, as handed to [`EventLog::record`].
pub struct NewEvent<'a> {
    /// `search`, `click`, `custom`, `view` or `collect`.
    pub kind: &'a str,
    /// Request path.
    pub path: &'a str,
    /// Organization the event went to.
    pub org: &'a str,
    /// The event body as accepted (with `originLevel1` filled from a search token).
    pub body: &'a Value,
    /// Identifiers answered.
    pub visit: &'a Visit,
    /// For search events, the `searchEventUid` answered.
    pub search_event_uid: Option<&'a str>,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

fn push_json_str(out: &mut String, s: &str) {
    // serde_json writes a correctly escaped string literal.
    out.push_str(&serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into()));
}

impl EventLog {
    /// A log, appending to `file` when given.
    pub fn new(file: Option<File>) -> EventLog {
        EventLog {
            inner: Mutex::new(Inner {
                next_seq: 1,
                entries: VecDeque::new(),
                file: file.map(|f| BufWriter::with_capacity(64 * 1024, f)),
                file_dirty: false,
                file_error: false,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Appends one event; returns its sequence number.
    pub fn record(&self, e: &NewEvent) -> u64 {
        let body = serde_json::to_string(e.body).unwrap_or_else(|_| "null".into());
        // Sized for the fixed fields too, so the entry kept in memory is not
        // reallocated (and does not hold twice the memory it needs).
        let mut rest = String::with_capacity(body.len() + 300);
        rest.push_str(",\"kind\":");
        push_json_str(&mut rest, e.kind);
        rest.push_str(",\"path\":");
        push_json_str(&mut rest, e.path);
        rest.push_str(",\"org\":");
        push_json_str(&mut rest, e.org);
        rest.push_str(",\"body\":");
        rest.push_str(&body);
        rest.push_str(",\"visitId\":");
        push_json_str(&mut rest, &e.visit.visit_id);
        rest.push_str(",\"visitorId\":");
        push_json_str(&mut rest, &e.visit.visitor_id);
        rest.push_str(",\"clientId\":");
        push_json_str(&mut rest, &e.visit.client_id);
        if let Some(uid) = e.search_event_uid {
            rest.push_str(",\"searchEventUid\":");
            push_json_str(&mut rest, uid);
        }
        rest.push_str(",\"received_at_ms\":");
        rest.push_str(&now_ms().to_string());
        rest.push('}');

        let mut inner = self.lock();
        let seq = inner.next_seq;
        inner.next_seq += 1;
        if let Some(f) = inner.file.as_mut() {
            let ok = writeln!(f, "{{\"seq\":{seq}{rest}").is_ok();
            inner.file_dirty = true;
            if !ok && !inner.file_error {
                inner.file_error = true;
                eprintln!(
                    "ua-emulator: writing the event log file failed; later events may be missing"
                );
            }
        }
        if inner.entries.len() >= MAX_EVENTS_IN_MEMORY {
            inner.entries.pop_front();
        }
        inner.entries.push_back((seq, rest));
        seq
    }

    /// The events with a sequence number above `after`, as a JSON array, oldest
    /// first. Also flushes the file, so it holds at least these events.
    pub fn list_json(&self, after: u64) -> Vec<u8> {
        let mut inner = self.lock();
        flush(&mut inner);
        let mut out = Vec::with_capacity(inner.entries.len() * 300 + 2);
        out.push(b'[');
        let first = inner.entries.partition_point(|(s, _)| *s <= after);
        for (i, (seq, rest)) in inner.entries.range(first..).enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"seq\":");
            out.extend_from_slice(seq.to_string().as_bytes());
            out.extend_from_slice(rest.as_bytes());
        }
        out.push(b']');
        out
    }

    /// Empties the in-memory log (sequence numbers keep counting); returns how many were removed.
    pub fn clear(&self) -> usize {
        let mut inner = self.lock();
        let n = inner.entries.len();
        inner.entries.clear();
        n
    }

    /// Writes buffered lines to the file.
    pub fn flush(&self) {
        flush(&mut self.lock());
    }

    /// Flushes the file every `period` until the process ends, so `tail -f` sees events promptly.
    pub fn spawn_flusher(log: std::sync::Arc<EventLog>, period: Duration) {
        let spawned = std::thread::Builder::new()
            .name("log-flusher".into())
            .spawn(move || loop {
                std::thread::sleep(period);
                log.flush();
            });
        if spawned.is_err() {
            eprintln!("ua-emulator: could not start the log flusher; the file is flushed on reads and exit");
        }
    }
}

fn flush(inner: &mut Inner) {
    if inner.file_dirty {
        if let Some(f) = inner.file.as_mut() {
            if f.flush().is_err() && !inner.file_error {
                inner.file_error = true;
                eprintln!("ua-emulator: flushing the event log file failed");
            }
        }
        inner.file_dirty = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_numbered_listed_and_cleared() {
        let log = EventLog::new(None);
        let visit = Visit {
            visit_id: "v".into(),
            visitor_id: "w".into(),
            client_id: "c".into(),
        };
        let body = serde_json::json!({"a": "x\"y"});
        for _ in 0..3 {
            log.record(&NewEvent {
                kind: "custom",
                path: "/p",
                org: "o",
                body: &body,
                visit: &visit,
                search_event_uid: None,
            });
        }
        let all: Value = serde_json::from_slice(&log.list_json(0)).unwrap();
        assert_eq!(all.as_array().unwrap().len(), 3);
        assert_eq!(all[2]["seq"], 3);
        assert_eq!(all[0]["body"]["a"], "x\"y");
        let later: Value = serde_json::from_slice(&log.list_json(2)).unwrap();
        assert_eq!(later.as_array().unwrap().len(), 1);
        assert_eq!(log.clear(), 3);
        assert_eq!(log.list_json(0), b"[]");
    }
}
