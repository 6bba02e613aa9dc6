//! The dead-letter file of a spool directory: one JSON line per event failed
//! for good, shared by every queue on the directory (in any process).
//!
//! Each line is one `write` on a file opened for appending, so lines from
//! several writers never interleave. Past its limit the file turns over to
//! `dead-letter.1.jsonl` (replacing the older one).

use super::failed;
use crate::error::Error;
use crate::event::EventKind;
use crate::outcome::SendResult;
use crate::sys::files;
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The dead-letter file's name in the spool directory.
pub(crate) const FILE_NAME: &str = "dead-letter.jsonl";
/// The name it turns over to.
pub(crate) const OLDER_NAME: &str = "dead-letter.1.jsonl";

pub(crate) struct DeadLetters {
    path: PathBuf,
    older: PathBuf,
    /// Past this many bytes the file turns over.
    limit: u64,
}

impl DeadLetters {
    pub(crate) fn new(dir: &Path, limit: u64) -> DeadLetters {
        DeadLetters {
            path: dir.join(FILE_NAME),
            older: dir.join(OLDER_NAME),
            limit,
        }
    }

    /// Appends the line of an event failed for good. The file is opened for
    /// each line (events fail for good seldom): the line goes to whatever
    /// file the name stands for now, after another writer turned it over or
    /// someone removed it, and no handle is kept that would hold a removed
    /// file alive on Windows.
    pub(crate) fn append(
        &mut self,
        kind: EventKind,
        json: &str,
        result: &SendResult,
        now_ms: u64,
    ) -> Result<(), Error> {
        let line = line(kind, json, result, now_ms);
        let mut file = self.open()?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        if size > 0 && size + line.len() as u64 > self.limit {
            self.turn_over(&file, line.len() as u64)?;
            file = self.open()?;
        }
        // One write, so the line stays whole beside other writers; a short
        // write (a full disk) is an error, not a line to finish later.
        match file.write(line.as_bytes()) {
            Ok(n) if n == line.len() => Ok(()),
            Ok(n) => Err(failed(
                "writing",
                &self.path,
                &std::io::Error::other(format!("{n} of {} bytes written", line.len())),
            )),
            Err(e) => Err(failed("writing", &self.path, &e)),
        }
    }

    fn open(&self) -> Result<File, Error> {
        files::open_append(&self.path).map_err(|e| failed("opening", &self.path, &e))
    }

    /// Renames the full file to the older name, under the file's lock and
    /// only if the name still stands for it and it is still full: two
    /// writers that see it full at once turn it over once. (A writer that
    /// cannot take the lock leaves it to the one that holds it.)
    fn turn_over(&self, file: &File, adding: u64) -> Result<(), Error> {
        if !files::try_lock(file).unwrap_or(false) {
            return Ok(());
        }
        let full = files::still_named(file, &self.path)
            && file.metadata().is_ok_and(|m| m.len() + adding > self.limit);
        let renamed = if full {
            fs::rename(&self.path, &self.older).map_err(|e| failed("turning over", &self.path, &e))
        } else {
            Ok(())
        };
        let _ = files::unlock(file);
        renamed
    }
}

/// One dead-letter line: kind, event, code, type, HTTP status, message, time.
fn line(kind: EventKind, json: &str, result: &SendResult, now_ms: u64) -> String {
    let mut line = serde_json::json!({
        "kind": kind.name(),
        "event": json,
        "code": result.code().name(),
        "type": result.error_type(),
        "http_status": result.http_status(),
        "message": result.message(),
        "time": rfc3339_utc(now_ms),
        "time_ms": now_ms,
    })
    .to_string();
    line.push('\n');
    line
}

/// `2026-12-02T14:37:12.345Z` for Unix milliseconds (days to civil date by
/// the usual era arithmetic of the proleptic Gregorian calendar).
fn rfc3339_utc(ms: u64) -> String {
    let secs = ms / 1000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        ms % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::code::Code;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "coveo-ua-dead-{name}-{}-{}",
            std::process::id(),
            fastrand::u64(..)
        ));
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn refused() -> SendResult {
        SendResult::not_sent(Code::MissingParameter, "Parameter 'x' is missing.")
    }

    #[test]
    fn dates_are_rfc3339() {
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339_utc(951_782_400_123), "2000-02-29T00:00:00.123Z");
        assert_eq!(rfc3339_utc(1_796_222_232_000), "2026-12-02T14:37:12.000Z");
    }

    #[test]
    fn lines_are_json_and_the_file_turns_over() {
        let dir = temp_dir("lines");
        let mut dead = DeadLetters::new(&dir, 64 * 1024);
        dead.append(EventKind::Custom, "{\"a\":\"\\u00e9\"}", &refused(), 0)
            .unwrap();
        let first = fs::read_to_string(dir.join(FILE_NAME)).unwrap();
        let v: serde_json::Value = serde_json::from_str(first.trim()).unwrap();
        assert_eq!(v["code"], "UA_MISSING_PARAMETER");
        assert_eq!(v["type"], "MissingParameter");
        assert_eq!(v["event"], "{\"a\":\"\\u00e9\"}");
        assert_eq!(v["http_status"], 0);
        assert_eq!(v["time"], "1970-01-01T00:00:00.000Z");
        let big = "y".repeat(40 * 1024);
        dead.append(EventKind::Custom, &big, &refused(), 1).unwrap();
        dead.append(EventKind::Custom, &big, &refused(), 2).unwrap();
        assert!(dir.join(OLDER_NAME).exists(), "turned over at 64 KiB");
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_file_removed_from_outside_comes_back() {
        let dir = temp_dir("removed");
        let mut dead = DeadLetters::new(&dir, 1 << 20);
        dead.append(EventKind::View, "{}", &refused(), 0).unwrap();
        fs::remove_file(dir.join(FILE_NAME)).unwrap();
        for i in 0..100 {
            dead.append(EventKind::View, "{}", &refused(), i).unwrap();
        }
        let lines = fs::read_to_string(dir.join(FILE_NAME)).unwrap();
        assert_eq!(lines.lines().count(), 100);
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn two_writers_keep_every_line_whole_across_turnovers() {
        let dir = temp_dir("writers");
        let line_len = line(EventKind::Custom, &"z".repeat(200), &refused(), 0).len() as u64;
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let dir = dir.clone();
                std::thread::spawn(move || {
                    // Each thread is a writer of its own, as another process is.
                    let mut dead = DeadLetters::new(&dir, line_len * 50);
                    for i in 0..500 {
                        let json =
                            format!("{{\"t\":{t},\"i\":{i},\"pad\":\"{}\"}}", "z".repeat(180));
                        dead.append(EventKind::Custom, &json, &refused(), i)
                            .unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        for name in [FILE_NAME, OLDER_NAME] {
            let text = fs::read_to_string(dir.join(name)).unwrap_or_default();
            for l in text.lines() {
                let v: serde_json::Value =
                    serde_json::from_str(l).unwrap_or_else(|e| panic!("torn line {l:?}: {e}"));
                assert!(v["event"].as_str().unwrap().contains("\"t\":"));
            }
        }
        let _ = fs::remove_dir_all(&dir);
    }
}
