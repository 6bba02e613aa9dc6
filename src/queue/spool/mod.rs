//! The spool: a directory where a durable queue keeps every event it holds, so
//! that what an enqueue acknowledged survives the process being killed.
//!
//! Layout: `lock` (held with `flock` by the one live queue on the directory),
//! segment files `NNNNNNNNNNNNNNNN.log` (event records, appended, never
//! rewritten; see `record`), beside each an `.ack` file of the offsets of its
//! settled events, and `dead-letter.jsonl` (one JSON line per event failed for
//! good; it turns over to `dead-letter.1.jsonl` past the capacity in bytes).
//!
//! An enqueue is one `write` of one record to the open segment: once it
//! returns, the bytes are in the operating system's page cache and survive the
//! process. A power loss can still lose what was written since the last
//! fsync (`Spool::sync_handle`, every fsync interval). A segment is deleted
//! once all its events are settled; a new queue never appends to the segments
//! it found (their tails may be torn), it reads them, skips what is acked or
//! damaged (reported, never fatal), and delivers the rest.

pub(crate) mod record;

use crate::error::Error;
use crate::event::EventKind;
use crate::outcome::SendResult;
use record::Damage;
use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where an event is in the spool: its segment and its offset there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SpoolRef {
    segment: u64,
    offset: u64,
}

/// An event found in the spool when the queue was made.
#[derive(Debug)]
pub(crate) struct Recovered {
    pub at: SpoolRef,
    pub kind: EventKind,
    pub json: Box<str>,
    pub enqueued_ms: u64,
}

/// What opening a spool found, for the queue's log.
#[derive(Debug, Default)]
pub(crate) struct Found {
    pub events: Vec<Recovered>,
    /// One line per damaged stretch or unreadable record.
    pub damage: Vec<String>,
    pub segments: usize,
}

struct Segment {
    /// Events of this segment not yet settled.
    live: u32,
    /// Size of its `.log` file.
    bytes: u64,
    /// Its `.ack` file, opened at the first ack.
    acks: Option<File>,
}

/// An open spool directory, locked for this queue.
pub(crate) struct Spool {
    dir: PathBuf,
    /// Held open for the lock's sake (closing it would release the lock).
    _lock: File,
    active_id: u64,
    active: Arc<File>,
    active_len: u64,
    segments: BTreeMap<u64, Segment>,
    /// Past this, the open segment is closed and a new one started.
    segment_limit: u64,
    /// Bytes of every segment file: what the capacity in bytes bounds.
    disk_bytes: u64,
    dead_letter: Option<File>,
    dead_letter_bytes: u64,
    dead_letter_limit: u64,
    /// fsync after every record (fsync interval 0).
    sync_each: bool,
    /// The record being written, kept to spare an allocation per event.
    buffer: Vec<u8>,
}

/// An open segment whose events are all settled is emptied in place once it
/// holds this much.
const EMPTY_AGAIN_AT: u64 = 64 * 1024;

/// An error of the spool, naming what failed and where.
fn failed(what: &str, path: &Path, e: &io::Error) -> Error {
    Error::new(
        crate::code::Code::SpoolFailed,
        format!("spool: {what} '{}' failed: {e}", path.display()),
    )
}

fn segment_path(dir: &Path, id: u64, ext: &str) -> PathBuf {
    dir.join(format!("{id:016}.{ext}"))
}

/// Opens `path` for appending (created if missing, readable by its owner
/// only: events may hold user data), closed on exec.
fn append_file(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .custom_flags(libc::O_CLOEXEC)
        .open(path)
}

impl Spool {
    /// Creates (if needed) and locks `dir`, and reads what an earlier queue
    /// left there. `max_bytes` is the queue's capacity in bytes.
    pub(crate) fn open(
        dir: &Path,
        max_bytes: u64,
        sync_each: bool,
    ) -> Result<(Spool, Found), Error> {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| failed("creating the directory", dir, &e))?;
        let lock = lock_dir(dir)?;
        let mut found = Found::default();
        let mut segments = BTreeMap::new();
        let mut disk_bytes = 0;
        let mut last_id = 0;
        for (id, path) in list_segments(dir)? {
            last_id = last_id.max(id);
            let (segment, bytes) = recover_segment(dir, id, &path, &mut found)?;
            match segment {
                Some(s) => {
                    disk_bytes += bytes;
                    segments.insert(id, s);
                    found.segments += 1;
                }
                None => remove_segment(dir, id),
            }
        }
        remove_orphan_acks(dir, &segments);
        let active_id = last_id + 1;
        let path = segment_path(dir, active_id, "log");
        let active = append_file(&path).map_err(|e| failed("creating segment", &path, &e))?;
        segments.insert(
            active_id,
            Segment {
                live: 0,
                bytes: 0,
                acks: None,
            },
        );
        let dead_path = dir.join("dead-letter.jsonl");
        let dead_letter_bytes = fs::metadata(&dead_path).map(|m| m.len()).unwrap_or(0);
        let spool = Spool {
            dir: dir.to_path_buf(),
            _lock: lock,
            active_id,
            active: Arc::new(active),
            active_len: 0,
            segments,
            segment_limit: (max_bytes / 16).clamp(64 * 1024, 4 * 1024 * 1024),
            disk_bytes,
            dead_letter: None,
            dead_letter_bytes,
            dead_letter_limit: max_bytes.max(64 * 1024),
            sync_each,
            buffer: Vec::with_capacity(1024),
        };
        Ok((spool, found))
    }

    /// The directory.
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Bytes the segment files take on disk.
    pub(crate) fn disk_bytes(&self) -> u64 {
        self.disk_bytes
    }

    /// Writes one event; once this returns `Ok` the event survives the
    /// process being killed.
    pub(crate) fn append(
        &mut self,
        kind: EventKind,
        json: &str,
        enqueued_ms: u64,
    ) -> Result<SpoolRef, Error> {
        let len = record::event_len(json.len());
        if self.active_len > 0 && self.active_len + len > self.segment_limit {
            self.rotate()?;
        }
        self.buffer.clear();
        record::encode_event(&mut self.buffer, kind.raw(), enqueued_ms, json.as_bytes());
        if let Err(e) = (&*self.active).write_all(&self.buffer) {
            // A partial record would be skipped as damage when read back;
            // cutting it off keeps the segment clean for the next record.
            let _ = self.active.set_len(self.active_len);
            return Err(failed(
                "writing segment",
                &segment_path(&self.dir, self.active_id, "log"),
                &e,
            ));
        }
        if self.sync_each {
            self.active.sync_data().map_err(|e| {
                failed(
                    "syncing segment",
                    &segment_path(&self.dir, self.active_id, "log"),
                    &e,
                )
            })?;
        }
        let at = SpoolRef {
            segment: self.active_id,
            offset: self.active_len,
        };
        self.active_len += len;
        self.disk_bytes += len;
        if let Some(s) = self.segments.get_mut(&self.active_id) {
            s.live += 1;
            s.bytes += len;
        }
        Ok(at)
    }

    /// Closes the open segment (deleting it if all its events are settled)
    /// and starts the next one.
    fn rotate(&mut self) -> Result<(), Error> {
        let next = self.active_id + 1;
        let path = segment_path(&self.dir, next, "log");
        let file = append_file(&path).map_err(|e| failed("creating segment", &path, &e))?;
        let old = std::mem::replace(&mut self.active_id, next);
        self.active = Arc::new(file);
        self.active_len = 0;
        self.segments.insert(
            next,
            Segment {
                live: 0,
                bytes: 0,
                acks: None,
            },
        );
        if self.segments.get(&old).is_some_and(|s| s.live == 0) {
            self.drop_segment(old);
        }
        Ok(())
    }

    /// Records that the event at `at` is settled (delivered or failed for
    /// good), deleting its segment when it was the last one there. A failure
    /// only means the event may be delivered again by a later queue.
    pub(crate) fn settled(&mut self, at: SpoolRef) -> Result<(), Error> {
        let Some(segment) = self.segments.get_mut(&at.segment) else {
            return Ok(());
        };
        segment.live = segment.live.saturating_sub(1);
        let all_settled = segment.live == 0;
        if all_settled && at.segment != self.active_id {
            self.drop_segment(at.segment);
            return Ok(());
        }
        if all_settled && self.active_len >= EMPTY_AGAIN_AT {
            // Everything in the open segment is settled: empty it where it is
            // (here, on a worker) rather than make the enqueuing thread create
            // and delete files at its next rotation.
            return self.empty_active();
        }
        // The path is only made when it is needed: to open, or to explain.
        let path = || segment_path(&self.dir, at.segment, "ack");
        if segment.acks.is_none() {
            let opened = append_file(&path()).map_err(|e| failed("opening", &path(), &e))?;
            segment.acks = Some(opened);
        }
        let acks = segment.acks.as_mut().expect("opened above");
        acks.write_all(&record::encode_ack(at.offset))
            .map_err(|e| failed("writing", &path(), &e))
    }

    /// Empties the open segment, all of whose events are settled: its acks
    /// first (a crash between the two then only sends settled events again;
    /// the other order could take new records at reused offsets for acked).
    fn empty_active(&mut self) -> Result<(), Error> {
        let id = self.active_id;
        let ack_path = segment_path(&self.dir, id, "ack");
        if let Some(segment) = self.segments.get_mut(&id) {
            if let Some(acks) = segment.acks.as_ref() {
                acks.set_len(0)
                    .map_err(|e| failed("emptying", &ack_path, &e))?;
            }
            segment.bytes = 0;
        }
        let log_path = segment_path(&self.dir, id, "log");
        self.active
            .set_len(0)
            .map_err(|e| failed("emptying", &log_path, &e))?;
        self.disk_bytes = self.disk_bytes.saturating_sub(self.active_len);
        self.active_len = 0;
        Ok(())
    }

    fn drop_segment(&mut self, id: u64) {
        if let Some(s) = self.segments.remove(&id) {
            self.disk_bytes = self.disk_bytes.saturating_sub(s.bytes);
        }
        remove_segment(&self.dir, id);
    }

    /// Appends an event failed for good to the dead-letter file.
    pub(crate) fn dead_letter(
        &mut self,
        kind: EventKind,
        json: &str,
        result: &SendResult,
        now_ms: u64,
    ) -> Result<(), Error> {
        let line = dead_letter_line(kind, json, result, now_ms);
        let path = self.dir.join("dead-letter.jsonl");
        if self.dead_letter_bytes + line.len() as u64 > self.dead_letter_limit {
            self.dead_letter = None;
            let older = self.dir.join("dead-letter.1.jsonl");
            fs::rename(&path, &older).map_err(|e| failed("turning over", &path, &e))?;
            self.dead_letter_bytes = 0;
        }
        if self.dead_letter.is_none() {
            self.dead_letter = Some(append_file(&path).map_err(|e| failed("opening", &path, &e))?);
        }
        let file = self.dead_letter.as_mut().expect("opened above");
        file.write_all(line.as_bytes())
            .map_err(|e| failed("writing", &path, &e))?;
        self.dead_letter_bytes += line.len() as u64;
        Ok(())
    }

    /// The open segment, to fsync without holding the queue's lock.
    pub(crate) fn sync_handle(&self) -> Arc<File> {
        Arc::clone(&self.active)
    }

    /// Deletes every segment whose events are all settled (the open one
    /// included), for a queue that stops.
    pub(crate) fn tidy(&mut self) {
        let settled: Vec<u64> = self
            .segments
            .iter()
            .filter(|(_, s)| s.live == 0)
            .map(|(id, _)| *id)
            .collect();
        for id in settled {
            self.drop_segment(id);
        }
    }
}

/// Takes the directory's lock, or says which live process holds it.
fn lock_dir(dir: &Path) -> Result<File, Error> {
    use std::os::fd::AsRawFd;
    let path = dir.join("lock");
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .custom_flags(libc::O_CLOEXEC)
        .open(&path)
        .map_err(|e| failed("opening the lock file", &path, &e))?;
    // SAFETY: flock on a descriptor this function owns.
    let locked = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0;
    if !locked {
        let e = io::Error::last_os_error();
        if e.kind() == io::ErrorKind::WouldBlock {
            let holder = fs::read_to_string(&path).unwrap_or_default();
            return Err(Error::new(
                crate::code::Code::SpoolFailed,
                format!(
                    "spool: '{}' is in use by another live queue (process {}); \
                     one queue per spool directory",
                    dir.display(),
                    holder.trim()
                ),
            ));
        }
        return Err(failed("locking", &path, &e));
    }
    let _ = file.set_len(0);
    let _ = (&file).write_all(std::process::id().to_string().as_bytes());
    Ok(file)
}

/// The segment files of `dir`, oldest first.
fn list_segments(dir: &Path) -> Result<Vec<(u64, PathBuf)>, Error> {
    let entries = fs::read_dir(dir).map_err(|e| failed("reading the directory", dir, &e))?;
    let mut out: Vec<(u64, PathBuf)> = entries
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            let stem = path.file_stem()?.to_str()?;
            let id = stem.parse::<u64>().ok()?;
            (path.extension()? == "log" && stem.len() == 16).then_some((id, path))
        })
        .collect();
    out.sort_unstable();
    Ok(out)
}

/// Reads one segment left by an earlier queue: its live events go to
/// `found`; `None` when nothing in it is live any more.
fn recover_segment(
    dir: &Path,
    id: u64,
    path: &Path,
    found: &mut Found,
) -> Result<(Option<Segment>, u64), Error> {
    let bytes = fs::read(path).map_err(|e| failed("reading segment", path, &e))?;
    let ack_path = segment_path(dir, id, "ack");
    let acked: std::collections::HashSet<u64> = match fs::read(&ack_path) {
        Ok(acks) => {
            let (offsets, damaged) = record::decode_acks(&acks);
            if damaged > 0 {
                found.damage.push(format!(
                    "{}: {damaged} damaged ack(s) skipped (those events may be delivered again)",
                    ack_path.display()
                ));
            }
            offsets.into_iter().collect()
        }
        Err(_) => Default::default(),
    };
    let (events, damage) = record::decode_segment(&bytes);
    for Damage { offset, len } in damage {
        found.damage.push(format!(
            "{}: {len} damaged byte(s) at offset {offset} skipped",
            path.display()
        ));
    }
    let mut live = 0;
    for stored in events.into_iter().filter(|e| !acked.contains(&e.offset)) {
        let kind = EventKind::from_raw(stored.kind);
        let json = std::str::from_utf8(stored.json).ok();
        let (Some(kind), Some(json)) = (kind, json) else {
            found.damage.push(format!(
                "{}: the record at offset {} holds no event this version can send; skipped",
                path.display(),
                stored.offset
            ));
            continue;
        };
        live += 1;
        found.events.push(Recovered {
            at: SpoolRef {
                segment: id,
                offset: stored.offset,
            },
            kind,
            json: json.into(),
            enqueued_ms: stored.enqueued_ms,
        });
    }
    let segment = (live > 0).then_some(Segment {
        live,
        bytes: bytes.len() as u64,
        acks: None,
    });
    Ok((segment, bytes.len() as u64))
}

fn remove_segment(dir: &Path, id: u64) {
    // The log first: an ack file without its log is an orphan that the next
    // queue removes, while a log without its acks would be sent again.
    let _ = fs::remove_file(segment_path(dir, id, "log"));
    let _ = fs::remove_file(segment_path(dir, id, "ack"));
}

fn remove_orphan_acks(dir: &Path, live: &BTreeMap<u64, Segment>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
        let id = path
            .file_stem()
            .and_then(|s| s.to_str())
            .and_then(|s| s.parse::<u64>().ok());
        if let (Some(id), Some("ack")) = (id, path.extension().and_then(|e| e.to_str())) {
            if !live.contains_key(&id) {
                let _ = fs::remove_file(&path);
            }
        }
    }
}

/// One dead-letter line: kind, event, code, type, HTTP status, message, time.
fn dead_letter_line(kind: EventKind, json: &str, result: &SendResult, now_ms: u64) -> String {
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
            "coveo-ua-spool-{name}-{}-{}",
            std::process::id(),
            fastrand::u64(..)
        ));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn files_are_private_to_their_owner() {
        use std::os::unix::fs::PermissionsExt;
        let dir = temp_dir("modes");
        let (mut spool, _) = Spool::open(&dir, 1 << 20, false).unwrap();
        spool.append(EventKind::Custom, "{}", 1).unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            assert_eq!(mode(&path), 0o600, "{}", path.display());
        }
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn dates_are_rfc3339() {
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339_utc(951_782_400_123), "2000-02-29T00:00:00.123Z");
        assert_eq!(rfc3339_utc(1_796_222_232_000), "2026-12-02T14:37:12.000Z");
    }

    #[test]
    fn what_is_not_settled_comes_back_and_the_lock_holds() {
        let dir = temp_dir("recover");
        {
            let (mut spool, found) = Spool::open(&dir, 1 << 20, false).unwrap();
            assert!(found.events.is_empty());
            let a = spool.append(EventKind::Custom, "{\"n\":1}", 10).unwrap();
            spool.append(EventKind::View, "{\"n\":2}", 11).unwrap();
            spool.settled(a).unwrap();
            let second = Spool::open(&dir, 1 << 20, false).err().unwrap();
            assert_eq!(second.code(), Code::SpoolFailed);
            assert!(
                second.message().contains("in use by another live queue"),
                "{}",
                second.message()
            );
        }
        let (spool, found) = Spool::open(&dir, 1 << 20, false).unwrap();
        assert_eq!(found.events.len(), 1);
        assert_eq!(&*found.events[0].json, "{\"n\":2}");
        assert_eq!(found.events[0].kind, EventKind::View);
        assert_eq!(found.events[0].enqueued_ms, 11);
        assert!(found.damage.is_empty());
        drop(spool);
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn settled_segments_are_deleted() {
        let dir = temp_dir("delete");
        let (mut spool, _) = Spool::open(&dir, 1, false).unwrap();
        // A 64 KiB segment limit: about 300 events of 200 bytes fill one.
        let json = format!("{{\"pad\":\"{}\"}}", "x".repeat(200));
        let refs: Vec<SpoolRef> = (0..1000)
            .map(|i| spool.append(EventKind::Custom, &json, i).unwrap())
            .collect();
        let logs = |dir: &Path| list_segments(dir).unwrap().len();
        assert!(logs(&dir) >= 3, "{} segments", logs(&dir));
        for r in refs {
            spool.settled(r).unwrap();
        }
        assert_eq!(logs(&dir), 1, "only the open segment is left");
        let open = list_segments(&dir).unwrap().remove(0).1;
        assert!(
            fs::metadata(&open).unwrap().len() < 64 * 1024,
            "emptied in place"
        );
        spool.tidy();
        assert_eq!(logs(&dir), 0);
        assert_eq!(spool.disk_bytes(), 0);
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_settled_open_segment_is_emptied_in_place_and_reads_back_clean() {
        let dir = temp_dir("empty");
        let json = format!("{{\"pad\":\"{}\"}}", "x".repeat(200));
        {
            let (mut spool, _) = Spool::open(&dir, 1 << 30, false).unwrap();
            // Delivered as fast as taken: the open segment never fills.
            for i in 0..2000 {
                let at = spool.append(EventKind::Custom, &json, i).unwrap();
                spool.settled(at).unwrap();
            }
            assert_eq!(list_segments(&dir).unwrap().len(), 1, "no rotation");
            assert!(spool.disk_bytes() < 64 * 1024);
            spool.append(EventKind::View, "{\"left\":1}", 7).unwrap();
        }
        let (_spool, found) = Spool::open(&dir, 1 << 30, false).unwrap();
        assert_eq!(found.events.len(), 1, "only the unsettled event comes back");
        assert_eq!(&*found.events[0].json, "{\"left\":1}");
        assert!(found.damage.is_empty(), "{:?}", found.damage);
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn damage_is_reported_and_skipped() {
        let dir = temp_dir("damage");
        {
            let (mut spool, _) = Spool::open(&dir, 1 << 20, false).unwrap();
            for i in 0..3 {
                spool
                    .append(EventKind::Custom, &format!("{{\"n\":{i}}}"), i)
                    .unwrap();
            }
        }
        let (id, path) = list_segments(&dir).unwrap().remove(0);
        let mut bytes = fs::read(&path).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0xff;
        bytes.extend_from_slice(b"torn tail");
        fs::write(&path, &bytes).unwrap();
        fs::write(segment_path(&dir, id, "ack"), b"short").unwrap();
        let (_spool, found) = Spool::open(&dir, 1 << 20, false).unwrap();
        assert_eq!(found.events.len(), 2);
        assert_eq!(found.damage.len(), 3, "{:?}", found.damage);
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_unusable_directory_is_a_spool_failure() {
        let file = temp_dir("file");
        fs::write(&file, b"not a directory").unwrap();
        let e = Spool::open(&file.join("spool"), 1 << 20, false)
            .err()
            .unwrap();
        assert_eq!(e.code(), Code::SpoolFailed);
        assert!(
            e.message().contains("creating the directory"),
            "{}",
            e.message()
        );
        let _ = fs::remove_file(&file);
    }

    #[test]
    fn dead_letters_are_json_lines_and_turn_over() {
        let dir = temp_dir("dead");
        let (mut spool, _) = Spool::open(&dir, 1, false).unwrap();
        let result = SendResult::not_sent(Code::MissingParameter, "Parameter 'x' is missing.");
        let big = "y".repeat(40 * 1024);
        spool
            .dead_letter(EventKind::Custom, "{\"a\":\"\\u00e9\"}", &result, 0)
            .unwrap();
        let first = fs::read_to_string(dir.join("dead-letter.jsonl")).unwrap();
        let v: serde_json::Value = serde_json::from_str(first.trim()).unwrap();
        assert_eq!(v["code"], "UA_MISSING_PARAMETER");
        assert_eq!(v["type"], "MissingParameter");
        assert_eq!(v["event"], "{\"a\":\"\\u00e9\"}");
        assert_eq!(v["http_status"], 0);
        assert_eq!(v["time"], "1970-01-01T00:00:00.000Z");
        spool
            .dead_letter(EventKind::Custom, &big, &result, 1)
            .unwrap();
        spool
            .dead_letter(EventKind::Custom, &big, &result, 2)
            .unwrap();
        assert!(
            dir.join("dead-letter.1.jsonl").exists(),
            "the file turned over at 64 KiB"
        );
        let _ = fs::remove_dir_all(&dir);
    }
}
