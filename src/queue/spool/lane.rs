//! One lane of a spool: the files of one live queue (or of a queue that went
//! away, once another adopts them), under a lock that only a live owner holds.
//!
//! A lane is a folder `lane-<pid>-<time>-<random>` in the spool directory
//! holding `lock` (held while the owner lives; it dies with the process),
//! segment files `NNNNNNNNNNNNNNNN.log` (event records, appended, never
//! rewritten) and beside each an `.ack` file of the offsets of its settled
//! events. The owning queue appends to its own lane only; a lane whose lock
//! can be taken belongs to nobody and is adopted: read, delivered, removed.
//! The spool directory itself, as version 2 of the library laid it out (its
//! `lock` and segments at the top), is read as one more lane, never written.
//!
//! Only some of a lane's events are in memory at a time: `cursor` is the
//! first byte not read back yet; what lies past it is read back in order as
//! the queue has room (see `read_back`), so memory stays bounded whatever the
//! lane holds.

use super::record::{self, Found, Scan};
use super::{failed, Loaded, SpoolRef};
use crate::error::Error;
use crate::event::EventKind;
use crate::sys::{files, fork};
use std::collections::{BTreeMap, HashSet, VecDeque};
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Prefix of a lane's folder name; `.new-` marks one not ready yet.
pub(super) const LANE_PREFIX: &str = "lane-";
pub(super) const NEW_PREFIX: &str = ".new-";
const LOCK: &str = "lock";

/// The held lock of a lane.
struct LaneLock {
    /// Dropped before `file` (fields drop in order): a fork in between must
    /// not find the descriptor registered once it is closed.
    registered: Option<fork::Registered>,
    file: File,
}

impl LaneLock {
    /// Takes the lock at `path` (creating the file), or `None` when a live
    /// queue holds it.
    fn try_take(path: &Path) -> io::Result<Option<LaneLock>> {
        let file = files::open_read_write(path)?;
        if !files::try_lock(&file)? {
            return Ok(None);
        }
        let registered = Some(fork::register_lock(&file));
        Ok(Some(LaneLock { registered, file }))
    }

    /// Unlocks for good (for this process and any child holding a copy)
    /// and closes the file.
    fn release(mut self) {
        self.registered = None;
        let _ = files::unlock(&self.file);
    }
}

struct Segment {
    /// Bytes of its `.log` file (the write position of the open one).
    len: u64,
    /// Events read into memory (or written there) and not settled yet.
    in_memory: u32,
    /// Events on disk not read back into memory yet.
    on_disk: u32,
    /// Its `.ack` file, opened at the first ack.
    acks: Option<File>,
}

impl Segment {
    fn empty() -> Segment {
        Segment {
            len: 0,
            in_memory: 0,
            on_disk: 0,
            acks: None,
        }
    }

    fn settled(&self) -> bool {
        self.in_memory == 0 && self.on_disk == 0
    }
}

/// The open segment of the queue's own lane.
struct Writer {
    id: u64,
    file: Arc<File>,
    /// Past this, the open segment is closed and a new one started.
    limit: u64,
    /// The record being written, kept to spare an allocation per event.
    buffer: Vec<u8>,
}

/// Where reading back stands in the segment being read.
struct Reading {
    segment: u64,
    file: Arc<File>,
    /// Offsets acknowledged in this segment by an earlier owner.
    acked: HashSet<u64>,
}

/// What the counting pass of an adopted lane found.
#[derive(Debug, Default)]
pub(crate) struct Counted {
    pub events: u64,
    pub damage: Vec<String>,
}

pub(crate) struct Lane {
    /// Its number in the spool (what a `SpoolRef` names).
    pub(super) id: u32,
    dir: PathBuf,
    /// The folder name, or "" for the spool directory's version 2 layout.
    pub(super) name: String,
    lock: Option<LaneLock>,
    segments: BTreeMap<u64, Segment>,
    writer: Option<Writer>,
    /// The first byte not read back yet: (segment, offset).
    cursor: (u64, u64),
    reading: Option<Reading>,
    /// The queue numbers (`seq`) of the events on disk not read back yet, in
    /// runs `(first, count)`: given when they were taken, used when read back.
    waiting: VecDeque<(u64, u64)>,
    /// Record bytes of events not settled: what the spool capacity bounds.
    pub(super) held_bytes: u64,
    /// Files of settled segments, to be deleted without the spool's lock
    /// held (deleting a large file takes milliseconds).
    pub(super) trash: Vec<PathBuf>,
}

fn segment_path(dir: &Path, id: u64, ext: &str) -> PathBuf {
    dir.join(format!("{id:016}.{ext}"))
}

impl Lane {
    /// Makes the queue's own lane in `spool_dir`: created under a temporary
    /// name, locked, then renamed, so no other queue ever sees it unlocked.
    pub(super) fn create(spool_dir: &Path, id: u32, segment_limit: u64) -> Result<Lane, Error> {
        let pid = crate::sys::fork::current_pid();
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        // The process id too: forked children share their parent's random
        // state, and may start their queues at the same moment.
        let unique = fastrand::u64(..) ^ u64::from(pid).rotate_left(32);
        let temp = spool_dir.join(format!("{NEW_PREFIX}{pid}-{unique:016x}"));
        let name = format!("{LANE_PREFIX}{pid}-{stamp}-{unique:016x}");
        let dir = spool_dir.join(&name);
        files::create_private_dir_new(&temp).map_err(|e| failed("creating", &temp, &e))?;
        let lock_path = temp.join(LOCK);
        let lock = match LaneLock::try_take(&lock_path) {
            Ok(Some(lock)) => lock,
            Ok(None) => {
                let e = io::Error::other("held by another process");
                return Err(failed("locking", &lock_path, &e));
            }
            Err(e) => return Err(failed("locking", &lock_path, &e)),
        };
        // For people looking at the directory: which process owns the lane.
        let _ = (&lock.file).write_all(pid.to_string().as_bytes());
        if let Err(e) = fs::rename(&temp, &dir) {
            let _ = fs::remove_dir_all(&temp);
            return Err(failed("naming the lane", &dir, &e));
        }
        let first = 1;
        let path = segment_path(&dir, first, "log");
        let file =
            files::open_read_append(&path).map_err(|e| failed("creating segment", &path, &e))?;
        let mut segments = BTreeMap::new();
        segments.insert(first, Segment::empty());
        Ok(Lane {
            id,
            dir,
            name,
            lock: Some(lock),
            segments,
            writer: Some(Writer {
                id: first,
                file: Arc::new(file),
                limit: segment_limit,
                buffer: Vec::with_capacity(1024),
            }),
            cursor: (first, 0),
            reading: None,
            waiting: VecDeque::new(),
            held_bytes: 0,
            trash: Vec::new(),
        })
    }

    /// Takes the lane in `dir` if nobody holds it, and counts the events it
    /// holds (reading every segment once, a chunk at a time). `name` "" is
    /// the spool directory's own version 2 layout. `None`: a live queue holds
    /// it, or it holds nothing (then it is removed).
    pub(super) fn adopt(dir: &Path, name: &str, id: u32) -> Result<Option<(Lane, Counted)>, Error> {
        let legacy = name.is_empty();
        let lock_path = dir.join(LOCK);
        let listed = list_segments(dir)?;
        if legacy && listed.is_empty() {
            // Nothing of version 2 here: do not create a lock file for it.
            return Ok(None);
        }
        let lock = match LaneLock::try_take(&lock_path) {
            Ok(Some(lock)) => lock,
            Ok(None) => return Ok(None),
            // The folder went away meanwhile (another queue removed it).
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(failed("locking", &lock_path, &e)),
        };
        let mut lane = Lane {
            id,
            dir: dir.to_path_buf(),
            name: name.to_string(),
            lock: Some(lock),
            segments: BTreeMap::new(),
            writer: None,
            cursor: (0, 0),
            reading: None,
            waiting: VecDeque::new(),
            held_bytes: 0,
            trash: Vec::new(),
        };
        let mut counted = Counted::default();
        // Listed again under the lock: the last owner may have written on.
        for (seg_id, path) in list_segments(dir)? {
            let file = File::open(&path).map_err(|e| failed("opening segment", &path, &e))?;
            let len = file
                .metadata()
                .map_err(|e| failed("reading segment", &path, &e))?
                .len();
            let acked = read_acks(dir, seg_id, &mut counted.damage);
            let mut scan = Scan::new(0, len);
            let mut segment = Segment::empty();
            segment.len = len;
            loop {
                match scan.next(&file) {
                    Ok(Some(Found::Event(e))) if acked.contains(&e.offset) => {}
                    Ok(Some(Found::Event(e))) => match sendable(&e) {
                        Some(_) => {
                            segment.on_disk += 1;
                            lane.held_bytes += e.len();
                        }
                        None => counted.damage.push(unsendable(&path, e.offset)),
                    },
                    Ok(Some(Found::Damage(d))) => counted.damage.push(format!(
                        "{}: {} damaged byte(s) at offset {} skipped",
                        path.display(),
                        d.len,
                        d.offset
                    )),
                    Ok(None) => break,
                    Err(e) => return Err(failed("reading segment", &path, &e)),
                }
            }
            counted.events += u64::from(segment.on_disk);
            if segment.on_disk == 0 {
                remove_segment(dir, seg_id);
            } else {
                lane.segments.insert(seg_id, segment);
            }
        }
        remove_orphan_acks(dir, &lane.segments);
        lane.cursor = (lane.segments.keys().next().copied().unwrap_or(0), 0);
        if counted.events == 0 {
            lane.remove();
            return Ok(None);
        }
        Ok(Some((lane, counted)))
    }

    /// Gives the events counted at adoption their queue numbers, from `first`.
    pub(super) fn number_from(&mut self, first: u64, count: u64) {
        if count > 0 {
            self.waiting.push_back((first, count));
        }
    }

    /// Events on disk not read back yet.
    pub(super) fn on_disk(&self) -> u64 {
        self.waiting.iter().map(|(_, n)| n).sum()
    }

    /// The queue number of the next event to read back.
    pub(super) fn next_seq(&self) -> Option<u64> {
        self.waiting.front().map(|(first, _)| *first)
    }

    /// Appends one event to the open segment (own lane only). `in_memory`:
    /// the queue holds it in memory too; otherwise it waits here, numbered
    /// `seq`, to be read back.
    pub(super) fn append(
        &mut self,
        kind: EventKind,
        json: &str,
        enqueued_ms: u64,
        seq: u64,
        in_memory: bool,
        sync_each: bool,
    ) -> Result<(SpoolRef, Option<Arc<File>>), Error> {
        let len = record::event_len(json.len());
        let mut rotated = None;
        let writer = self.writer.as_ref().expect("append is for the own lane");
        let open_len = self.segments.get(&writer.id).map_or(0, |s| s.len);
        if open_len > 0 && open_len + len > writer.limit {
            rotated = Some(self.rotate()?);
        }
        let writer = self.writer.as_mut().expect("append is for the own lane");
        let segment = self
            .segments
            .entry(writer.id)
            .or_insert_with(Segment::empty);
        writer.buffer.clear();
        record::encode_event(&mut writer.buffer, kind.raw(), enqueued_ms, json.as_bytes());
        let path = || segment_path(&self.dir, writer.id, "log");
        if let Err(e) = (&*writer.file).write_all(&writer.buffer) {
            // A partial record would read back as damage; cut it off.
            let _ = writer.file.set_len(segment.len);
            return Err(failed("writing segment", &path(), &e));
        }
        if sync_each {
            writer
                .file
                .sync_data()
                .map_err(|e| failed("syncing segment", &path(), &e))?;
        }
        let at = SpoolRef {
            lane: self.id,
            segment: writer.id,
            offset: segment.len,
            len: len as u32,
        };
        segment.len += len;
        self.held_bytes += len;
        if in_memory {
            segment.in_memory += 1;
            self.cursor = (writer.id, segment.len);
        } else {
            segment.on_disk += 1;
            match self.waiting.back_mut() {
                Some((first, n)) if *first + *n == seq => *n += 1,
                _ => self.waiting.push_back((seq, 1)),
            }
        }
        Ok((at, rotated))
    }

    /// Closes the open segment and starts the next; returns the old file, to
    /// be flushed to the disk by the spool's sync.
    fn rotate(&mut self) -> Result<Arc<File>, Error> {
        let writer = self.writer.as_mut().expect("own lane");
        let next = writer.id + 1;
        let path = segment_path(&self.dir, next, "log");
        let file =
            files::open_read_append(&path).map_err(|e| failed("creating segment", &path, &e))?;
        let old_id = std::mem::replace(&mut writer.id, next);
        let old = std::mem::replace(&mut writer.file, Arc::new(file));
        self.segments.insert(next, Segment::empty());
        let old_len = self.segments.get(&old_id).map_or(0, |s| s.len);
        if self.cursor == (old_id, old_len) {
            self.cursor = (next, 0);
        }
        self.drop_if_settled(old_id);
        Ok(old)
    }

    /// The open segment's file (own lane).
    pub(super) fn open_file(&self) -> Option<Arc<File>> {
        self.writer.as_ref().map(|w| Arc::clone(&w.file))
    }

    /// Reads back events in order, at most `max_events` and about `max_bytes`
    /// (always one, if any is waiting). Events found missing since they were
    /// counted (the files changed) are added to `lost`.
    pub(super) fn read_back(
        &mut self,
        max_events: usize,
        max_bytes: u64,
        out: &mut Vec<Loaded>,
        damage: &mut Vec<String>,
        lost: &mut u64,
    ) -> Result<(), Error> {
        let mut bytes = 0;
        let mut taken = 0;
        while taken < max_events && (taken == 0 || bytes < max_bytes) && self.on_disk() > 0 {
            let (seg_id, offset) = self.cursor;
            let Some(segment) = self.segments.get(&seg_id) else {
                if self.segments.range(seg_id..).next().is_none() {
                    // Nothing left to read, whatever the count said.
                    *lost += self.on_disk();
                    self.waiting.clear();
                    break;
                }
                self.next_segment(lost);
                continue;
            };
            let end = segment.len;
            if self.reading.as_ref().is_none_or(|r| r.segment != seg_id) {
                let path = segment_path(&self.dir, seg_id, "log");
                let file = match self.writer.as_ref() {
                    Some(w) if w.id == seg_id => Arc::clone(&w.file),
                    _ => Arc::new(
                        File::open(&path).map_err(|e| failed("opening segment", &path, &e))?,
                    ),
                };
                // The own lane's acks are all behind the cursor.
                let acked = if self.writer.is_some() {
                    HashSet::new()
                } else {
                    // Damaged acks were reported when the lane was adopted.
                    read_acks(&self.dir, seg_id, &mut Vec::new())
                };
                self.reading = Some(Reading {
                    segment: seg_id,
                    file,
                    acked,
                });
            }
            let reading = self.reading.take().expect("set above");
            let mut scan = Scan::new(offset, end);
            let seg_path = segment_path(&self.dir, seg_id, "log");
            let path = || seg_path.clone();
            let mut reached_end = true;
            while taken < max_events && (taken == 0 || bytes < max_bytes) {
                let found = match scan.next(&*reading.file) {
                    Ok(found) => found,
                    Err(e) => {
                        self.reading = Some(reading);
                        return Err(failed("reading segment", &path(), &e));
                    }
                };
                let event = match found {
                    None => break,
                    Some(Found::Damage(_)) if self.writer.is_none() => continue, // reported at adoption
                    Some(Found::Damage(d)) => {
                        damage.push(format!(
                            "{}: {} damaged byte(s) at offset {} skipped",
                            path().display(),
                            d.len,
                            d.offset
                        ));
                        continue;
                    }
                    Some(Found::Event(e)) if reading.acked.contains(&e.offset) => continue,
                    Some(Found::Event(e)) => e,
                };
                let Some((kind, json)) = sendable(&event) else {
                    if self.writer.is_some() {
                        damage.push(unsendable(&path(), event.offset));
                    }
                    continue;
                };
                let Some(seq) = self.take_seq() else {
                    reached_end = false;
                    break;
                };
                let segment = self.segments.get_mut(&seg_id).expect("looked up above");
                segment.on_disk = segment.on_disk.saturating_sub(1);
                segment.in_memory += 1;
                bytes += json.len() as u64;
                taken += 1;
                out.push(Loaded {
                    at: SpoolRef {
                        lane: self.id,
                        segment: seg_id,
                        offset: event.offset,
                        len: event.len() as u32,
                    },
                    seq,
                    kind,
                    json,
                    enqueued_ms: event.enqueued_ms,
                });
                self.cursor = (seg_id, scan.offset());
            }
            self.cursor = (seg_id, scan.offset());
            self.reading = Some(reading);
            let at_end = scan.offset() >= end;
            let is_open = self.writer.as_ref().is_some_and(|w| w.id == seg_id);
            if reached_end && at_end && !is_open {
                self.next_segment(lost);
            } else if at_end && is_open {
                break;
            }
        }
        Ok(())
    }

    /// The next queue number of the events waiting on disk.
    fn take_seq(&mut self) -> Option<u64> {
        let (first, n) = self.waiting.front_mut()?;
        let seq = *first;
        *first += 1;
        *n -= 1;
        if *n == 0 {
            self.waiting.pop_front();
        }
        Some(seq)
    }

    /// Leaves the segment under the cursor, whose records are all read: what
    /// it was said to hold and did not is lost; it is deleted once settled.
    fn next_segment(&mut self, lost: &mut u64) {
        let (seg_id, _) = self.cursor;
        if let Some(segment) = self.segments.get_mut(&seg_id) {
            let missing = u64::from(std::mem::take(&mut segment.on_disk));
            for _ in 0..missing {
                self.take_seq();
            }
            *lost += missing;
        }
        self.reading = None;
        let next = self
            .segments
            .range(seg_id + 1..)
            .next()
            .map_or(seg_id + 1, |(id, _)| *id);
        self.cursor = (next, 0);
        self.drop_if_settled(seg_id);
    }

    /// Records that the event at `at` is settled: its ack, and the segment
    /// put in the trash once nothing in it is left.
    pub(super) fn settled(&mut self, at: SpoolRef) -> Result<(), Error> {
        self.held_bytes = self.held_bytes.saturating_sub(u64::from(at.len));
        let Some(segment) = self.segments.get_mut(&at.segment) else {
            return Ok(());
        };
        segment.in_memory = segment.in_memory.saturating_sub(1);
        // The ack first, even for a segment about to go: if the process dies
        // before its files are deleted, the next owner sends nothing again.
        let path = segment_path(&self.dir, at.segment, "ack");
        let acked = match segment.acks.as_mut() {
            Some(acks) => acks.write_all(&record::encode_ack(at.offset)),
            None => files::open_append(&path).and_then(|mut acks| {
                let written = acks.write_all(&record::encode_ack(at.offset));
                segment.acks = Some(acks);
                written
            }),
        };
        let read_past = self.cursor.0 > at.segment
            || (self.cursor.0 == at.segment && self.cursor.1 >= segment.len);
        if read_past {
            self.drop_if_settled(at.segment);
        }
        acked.map_err(|e| failed("writing", &path, &e))
    }

    fn drop_if_settled(&mut self, id: u64) {
        let is_open = self.writer.as_ref().is_some_and(|w| w.id == id);
        if is_open || self.segments.get(&id).is_some_and(|s| !s.settled()) {
            return;
        }
        if self.segments.remove(&id).is_some() {
            // The log first: an ack file without its log is an orphan that
            // the next owner removes, while a log without its acks would be
            // sent again.
            self.trash.push(segment_path(&self.dir, id, "log"));
            self.trash.push(segment_path(&self.dir, id, "ack"));
        }
    }

    /// Whether nothing is left in the lane (every event settled).
    pub(super) fn is_done(&self) -> bool {
        self.segments.values().all(Segment::settled)
    }

    /// Whether an adopted lane has nothing left and may be removed.
    pub(super) fn adopted_and_done(&self) -> bool {
        self.writer.is_none() && self.is_done()
    }

    /// Lets the lane go when its queue stops: removed when nothing is left in
    /// it, otherwise unlocked (its files stay for another queue to adopt).
    /// Files still in its trash are deleted first.
    pub(super) fn let_go(mut self) {
        for path in std::mem::take(&mut self.trash) {
            let _ = fs::remove_file(path);
        }
        if self.is_done() {
            self.remove();
        } else if let Some(lock) = self.lock.take() {
            lock.release();
        }
    }

    /// Deletes the lane's segments, lets go of its lock, then deletes the
    /// lock file and the folder.
    fn remove(&mut self) {
        self.writer = None;
        self.reading = None;
        let ids: Vec<u64> = std::mem::take(&mut self.segments).into_keys().collect();
        for id in ids {
            remove_segment(&self.dir, id);
        }
        // Segments of an earlier owner this one never listed (none expected).
        for (id, _) in list_segments(&self.dir).unwrap_or_default() {
            remove_segment(&self.dir, id);
        }
        // The lock goes last but is let go of before its file is deleted:
        // Windows deletes an open file only once it is closed, and a folder
        // only once it is empty. Whoever takes the lock in between finds no
        // segment and removes what is left.
        if let Some(lock) = self.lock.take() {
            lock.release();
        }
        let _ = fs::remove_file(self.dir.join(LOCK));
        if !self.name.is_empty() {
            let _ = fs::remove_dir(&self.dir);
        }
    }
}

/// The kind and JSON of an event record, if this version can send it.
fn sendable(event: &record::Owned) -> Option<(EventKind, Box<str>)> {
    let kind = EventKind::from_raw(event.kind)?;
    let json = std::str::from_utf8(&event.json).ok()?;
    Some((kind, json.into()))
}

fn unsendable(path: &Path, offset: u64) -> String {
    format!(
        "{}: the record at offset {offset} holds no event this version can send; skipped",
        path.display()
    )
}

/// The offsets acknowledged in a segment's ack file.
fn read_acks(dir: &Path, id: u64, damage: &mut Vec<String>) -> HashSet<u64> {
    let path = segment_path(dir, id, "ack");
    match fs::read(&path) {
        Ok(acks) => {
            let (offsets, damaged) = record::decode_acks(&acks);
            if damaged > 0 {
                damage.push(format!(
                    "{}: {damaged} damaged ack(s) skipped (those events may be delivered again)",
                    path.display()
                ));
            }
            offsets.into_iter().collect()
        }
        Err(_) => HashSet::new(),
    }
}

/// The segment files of `dir`, oldest first.
pub(super) fn list_segments(dir: &Path) -> Result<Vec<(u64, PathBuf)>, Error> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(failed("reading the directory", dir, &e)),
    };
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

fn remove_segment(dir: &Path, id: u64) {
    // The log first: an ack file without its log is an orphan that the next
    // owner removes, while a log without its acks would be sent again.
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
