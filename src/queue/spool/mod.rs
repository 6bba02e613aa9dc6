//! The spool: a directory where durable queues keep every event they hold, so
//! that what an enqueue acknowledged survives the process being killed, and
//! where the queues of many processes (a pre-fork server's workers) share one
//! directory.
//!
//! Layout: one lane per live queue (`lane`: its own folder, lock, segment and
//! ack files), and `dead-letter.jsonl` shared by all (`dead_letter`). A queue
//! writes only its own lane. A lane whose owner is gone (its process died, or
//! it closed with events left) is adopted by a live queue on the directory,
//! at start and on a timer, and its events delivered by that queue.
//!
//! An enqueue is one `write` of one record to the open segment of the own
//! lane: once it returns, the bytes are in the operating system's page cache
//! and survive the process. A power loss can still lose what was written
//! since the last fsync: every fsync interval, the open segment and every
//! segment rotated away since are flushed to the disk (`files_to_sync`).
//!
//! Memory: events of a lane wait on disk and are read back in order when the
//! queue has room (`read_back`), so the memory a queue takes does not grow
//! with what its lanes hold.

mod dead_letter;
mod lane;
pub(crate) mod record;

use crate::code::Code;
use crate::error::Error;
use crate::event::EventKind;
use crate::outcome::SendResult;
use crate::sys::files;
use dead_letter::DeadLetters;
use lane::{Lane, LANE_PREFIX, NEW_PREFIX};
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where an event is in the spool: its lane, segment and offset there, and
/// the bytes its record takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SpoolRef {
    lane: u32,
    segment: u64,
    offset: u64,
    len: u32,
}

/// An event read back from a lane into memory.
#[derive(Debug)]
pub(crate) struct Loaded {
    pub at: SpoolRef,
    /// Its queue number, given when it was taken (enqueued or adopted).
    pub seq: u64,
    pub kind: EventKind,
    pub json: Box<str>,
    pub enqueued_ms: u64,
}

/// What reading back found, besides the events.
#[derive(Debug, Default)]
pub(crate) struct ReadBack {
    pub events: Vec<Loaded>,
    /// One line per damaged stretch or unreadable record.
    pub damage: Vec<String>,
    /// Events counted when their lane was adopted that are no longer there
    /// (the files changed under the lock): failed as lost.
    pub lost: u64,
}

/// Lanes taken over from queues that went away.
#[derive(Default)]
pub(crate) struct Orphans {
    lanes: Vec<(Lane, u64)>,
    pub damage: Vec<String>,
}

impl Orphans {
    /// Events the lanes hold.
    pub(crate) fn events(&self) -> u64 {
        self.lanes.iter().map(|(_, n)| n).sum()
    }

    pub(crate) fn lanes(&self) -> usize {
        self.lanes.len()
    }

    /// Lets the lanes go again (unlocked, files kept) for another queue.
    pub(crate) fn release(self) {
        for (lane, _) in self.lanes {
            lane.let_go();
        }
    }
}

/// How a spool is sized and synced.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SpoolLimits {
    /// Record bytes of events the own lane holds at most.
    pub capacity: u64,
    /// fsync after every record (fsync interval 0).
    pub sync_each: bool,
}

/// An open spool directory: this queue's own lane and the lanes it adopted.
pub(crate) struct Spool {
    dir: PathBuf,
    own: Lane,
    /// Adopted lanes, oldest first.
    adopted: Vec<Lane>,
    next_lane: u32,
    dead_letters: DeadLetters,
    limits: SpoolLimits,
    /// Segments rotated away since the last sync, to be flushed to the disk.
    unsynced: Vec<Arc<File>>,
}

/// An error of the spool, naming what failed and where.
pub(crate) fn failed(what: &str, path: &Path, e: &io::Error) -> Error {
    Error::new(
        Code::SpoolFailed,
        format!("spool: {what} '{}' failed: {e}", path.display()),
    )
}

impl Spool {
    /// Creates (if needed) `dir` and this queue's own lane in it.
    pub(crate) fn open(dir: &Path, limits: SpoolLimits) -> Result<Spool, Error> {
        files::create_private_dir(dir).map_err(|e| failed("creating the directory", dir, &e))?;
        // Segments are a sixteenth of the capacity (so settled room comes
        // back soon after it is settled), within 16 KiB and 4 MiB.
        let segment_limit = (limits.capacity / 16).clamp(16 * 1024, 4 * 1024 * 1024);
        let own = Lane::create(dir, 0, segment_limit)?;
        Ok(Spool {
            dir: dir.to_path_buf(),
            own,
            adopted: Vec::new(),
            next_lane: 1,
            dead_letters: DeadLetters::new(dir, limits.capacity.max(64 * 1024)),
            limits,
            unsynced: Vec::new(),
        })
    }

    /// The directory.
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// The names of the lanes this spool holds (not to be adopted again).
    pub(crate) fn lane_names(&self) -> Vec<String> {
        std::iter::once(&self.own)
            .chain(&self.adopted)
            .map(|l| l.name.clone())
            .collect()
    }

    /// Takes over the lanes `orphans` found, numbering their events from
    /// `first_seq` on (in lane order); returns how many numbers were used.
    pub(crate) fn take_orphans(&mut self, orphans: Orphans, first_seq: u64) -> u64 {
        let mut seq = first_seq;
        for (mut lane, count) in orphans.lanes {
            lane.id = self.next_lane;
            self.next_lane += 1;
            lane.number_from(seq, count);
            seq += count;
            self.adopted.push(lane);
        }
        seq - first_seq
    }

    /// The smallest queue number among the events on disk.
    pub(crate) fn oldest_on_disk(&self) -> Option<u64> {
        std::iter::once(&self.own)
            .chain(&self.adopted)
            .filter_map(Lane::next_seq)
            .min()
    }

    /// Whether an event of `json_len` bytes fits in the own lane now; the
    /// refusal's code and message say why not (`QueueFull`, or
    /// `InvalidArgument` for an event no record can hold).
    pub(crate) fn check_room(&self, json_len: usize) -> Result<(), (Code, String)> {
        if json_len > record::MAX_EVENT {
            return Err((
                Code::InvalidArgument,
                format!(
                    "the event is {json_len} bytes, more than a spool record holds ({} bytes)",
                    record::MAX_EVENT
                ),
            ));
        }
        let len = record::event_len(json_len);
        if self.own.held_bytes.saturating_add(len) > self.limits.capacity {
            return Err((
                Code::QueueFull,
                format!(
                    "the spool is full ({} bytes of events held in this queue's lane; spool capacity {} bytes)",
                    self.own.held_bytes, self.limits.capacity
                ),
            ));
        }
        Ok(())
    }

    /// Writes one event to the own lane; once this returns `Ok` the event
    /// survives the process being killed. `in_memory`: the queue holds it in
    /// memory too; otherwise it waits on disk, numbered `seq`.
    pub(crate) fn append(
        &mut self,
        kind: EventKind,
        json: &str,
        enqueued_ms: u64,
        seq: u64,
        in_memory: bool,
    ) -> Result<SpoolRef, Error> {
        let (at, rotated) = self.own.append(
            kind,
            json,
            enqueued_ms,
            seq,
            in_memory,
            self.limits.sync_each,
        )?;
        if let Some(old) = rotated {
            if !self.limits.sync_each {
                self.unsynced.push(old);
            }
        }
        Ok(at)
    }

    /// Reads back events waiting on disk, oldest first, until `max_events`
    /// or about `max_bytes` are read.
    pub(crate) fn read_back(
        &mut self,
        max_events: usize,
        max_bytes: u64,
    ) -> Result<ReadBack, Error> {
        let mut out = ReadBack::default();
        while out.events.len() < max_events {
            let lane = std::iter::once(&mut self.own)
                .chain(self.adopted.iter_mut())
                .filter(|l| l.next_seq().is_some())
                .min_by_key(|l| l.next_seq());
            let Some(lane) = lane else {
                break;
            };
            let before = out.events.len();
            let bytes: u64 = out.events.iter().map(|e| e.json.len() as u64).sum();
            if before > 0 && bytes >= max_bytes {
                break;
            }
            lane.read_back(
                max_events - before,
                max_bytes - bytes,
                &mut out.events,
                &mut out.damage,
                &mut out.lost,
            )?;
            if out.events.len() == before {
                break;
            }
        }
        // Read back one lane after another, so events come in queue order.
        out.events.sort_by_key(|e| e.seq);
        self.remove_done_lanes();
        Ok(out)
    }

    /// Records that the event at `at` is settled (delivered or failed for
    /// good). A failure only means the event may be delivered again by a
    /// later queue.
    pub(crate) fn settled(&mut self, at: SpoolRef) -> Result<(), Error> {
        let result = if at.lane == self.own.id {
            self.own.settled(at)
        } else {
            match self.adopted.iter_mut().find(|l| l.id == at.lane) {
                Some(lane) => lane.settled(at),
                None => Ok(()),
            }
        };
        self.remove_done_lanes();
        result
    }

    fn remove_done_lanes(&mut self) {
        if self.adopted.iter().any(Lane::adopted_and_done) {
            let (done, kept) = std::mem::take(&mut self.adopted)
                .into_iter()
                .partition(Lane::adopted_and_done);
            self.adopted = kept;
            for lane in done {
                lane.let_go();
            }
        }
    }

    /// Whether settled segments wait to be deleted (`take_trash`).
    pub(crate) fn has_trash(&self) -> bool {
        std::iter::once(&self.own)
            .chain(&self.adopted)
            .any(|l| !l.trash.is_empty())
    }

    /// The files of settled segments, for the caller to delete once it let
    /// go of the spool's lock.
    pub(crate) fn take_trash(&mut self) -> Vec<PathBuf> {
        let mut out = std::mem::take(&mut self.own.trash);
        for lane in &mut self.adopted {
            out.append(&mut lane.trash);
        }
        out
    }

    /// Appends an event failed for good to the dead-letter file.
    pub(crate) fn dead_letter(
        &mut self,
        kind: EventKind,
        json: &str,
        result: &SendResult,
        now_ms: u64,
    ) -> Result<(), Error> {
        self.dead_letters.append(kind, json, result, now_ms)
    }

    /// The files to flush to the disk now: the open segment and those
    /// rotated away since the last call (flushed without the queue's locks).
    pub(crate) fn files_to_sync(&mut self) -> Vec<Arc<File>> {
        let mut out = std::mem::take(&mut self.unsynced);
        out.extend(self.own.open_file());
        out
    }

    /// Lets every lane go as the queue stops: removed when nothing is left,
    /// otherwise unlocked with its files kept, for another queue to adopt.
    pub(crate) fn close(self) {
        self.own.let_go();
        for lane in self.adopted {
            lane.let_go();
        }
    }
}

/// Looks in `dir` for lanes nobody holds (skipping `known`, the lanes of
/// this queue), takes their locks and counts their events. The lanes are
/// read without any lock of the queue; `Spool::take_orphans` takes them in.
pub(crate) fn find_orphans(dir: &Path, known: &[String]) -> Result<Orphans, Error> {
    let mut orphans = Orphans::default();
    // The version 2 layout, at the top of the directory, first: it is older.
    if let Some((lane, counted)) = Lane::adopt(dir, "", 0)? {
        orphans.damage.extend(counted.damage);
        orphans.lanes.push((lane, counted.events));
    }
    let entries = fs::read_dir(dir).map_err(|e| failed("reading the directory", dir, &e))?;
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with(LANE_PREFIX) || n.starts_with(NEW_PREFIX))
        .filter(|n| !known.contains(n))
        .collect();
    names.sort_unstable();
    for name in names {
        let path = dir.join(&name);
        if name.starts_with(NEW_PREFIX) {
            remove_abandoned_new_lane(&path);
            continue;
        }
        match Lane::adopt(&path, &name, 0) {
            Ok(Some((lane, counted))) => {
                orphans.damage.extend(counted.damage);
                orphans.lanes.push((lane, counted.events));
            }
            Ok(None) => {}
            // One unreadable lane must not keep the others from being taken.
            Err(e) => orphans.damage.push(e.message().to_string()),
        }
    }
    Ok(orphans)
}

/// A lane that never got its name: its maker died between making and naming
/// it (it holds no event: events are written only once it is named). One
/// younger than a minute may be a live queue's, being made right now.
fn remove_abandoned_new_lane(path: &Path) {
    let age = fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok());
    if age.is_none_or(|a| a < std::time::Duration::from_secs(60)) {
        return;
    }
    let lock_path = path.join("lock");
    let Ok(file) = files::open_read_write(&lock_path) else {
        return;
    };
    if files::try_lock(&file).unwrap_or(false) {
        let _ = fs::remove_file(&lock_path);
        let _ = fs::remove_dir(path);
    }
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

    fn limits(capacity: u64) -> SpoolLimits {
        SpoolLimits {
            capacity,
            sync_each: false,
        }
    }

    fn lanes(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.starts_with(LANE_PREFIX))
            .collect();
        names.sort();
        names
    }

    /// Opens a spool, adopts what is there and reads every event back.
    fn adopt_all(dir: &Path) -> (Spool, Vec<Loaded>, Vec<String>) {
        let mut spool = Spool::open(dir, limits(1 << 30)).unwrap();
        let orphans = find_orphans(dir, &spool.lane_names()).unwrap();
        let mut damage = orphans.damage.clone();
        let counted = orphans.events();
        spool.take_orphans(orphans, 0);
        let mut events = Vec::new();
        loop {
            let back = spool.read_back(7, 1 << 20).unwrap();
            assert_eq!(back.lost, 0);
            damage.extend(back.damage);
            if back.events.is_empty() {
                break;
            }
            events.extend(back.events);
        }
        assert_eq!(events.len() as u64, counted, "counted and read back differ");
        (spool, events, damage)
    }

    /// What the housekeeper does: deletes the settled segments' files.
    fn empty_trash(spool: &mut Spool) {
        for path in spool.take_trash() {
            let _ = fs::remove_file(path);
        }
    }

    fn append(spool: &mut Spool, json: &str, seq: u64, in_memory: bool) -> SpoolRef {
        spool
            .append(EventKind::Custom, json, seq, seq, in_memory)
            .unwrap()
    }

    #[cfg(unix)]
    #[test]
    fn files_are_private_to_their_owner() {
        use std::os::unix::fs::PermissionsExt;
        let dir = temp_dir("modes");
        let mut spool = Spool::open(&dir, limits(1 << 20)).unwrap();
        append(&mut spool, "{}", 0, true);
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        let lane = dir.join(&lanes(&dir)[0]);
        assert_eq!(mode(&lane), 0o700);
        for entry in fs::read_dir(&lane).unwrap() {
            let path = entry.unwrap().path();
            assert_eq!(mode(&path), 0o600, "{}", path.display());
        }
        spool.close();
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn live_lanes_are_left_alone_and_a_let_go_lane_is_adopted() {
        let dir = temp_dir("adopt");
        let mut first = Spool::open(&dir, limits(1 << 20)).unwrap();
        let a = append(&mut first, "{\"n\":1}", 0, true);
        append(&mut first, "{\"n\":2}", 1, true);
        first.settled(a).unwrap();
        // A second live queue on the directory: fine, and it takes nothing.
        let second = Spool::open(&dir, limits(1 << 20)).unwrap();
        let orphans = find_orphans(&dir, &second.lane_names()).unwrap();
        assert_eq!(orphans.lanes(), 0, "a live lane is not adopted");
        assert_eq!(lanes(&dir).len(), 2);
        first.close();
        second.close();
        assert_eq!(
            lanes(&dir).len(),
            1,
            "the empty lane went, the other stayed"
        );
        let (mut spool, events, damage) = adopt_all(&dir);
        assert_eq!(events.len(), 1, "only the unsettled event comes back");
        assert_eq!(&*events[0].json, "{\"n\":2}");
        assert_eq!(events[0].kind, EventKind::Custom);
        assert_eq!(events[0].enqueued_ms, 1);
        assert!(damage.is_empty(), "{damage:?}");
        spool.settled(events[0].at).unwrap();
        spool.close();
        assert!(lanes(&dir).is_empty(), "a settled adopted lane is removed");
        assert!(!dir.join("lock").exists(), "no lock file is left behind");
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn settled_room_comes_back_whatever_the_capacity() {
        let dir = temp_dir("room");
        // 20,000 bytes: segments of 16 KiB; each event takes 21 + 200 bytes.
        let mut spool = Spool::open(&dir, limits(20_000)).unwrap();
        let json = format!("{{\"pad\":\"{}\"}}", "x".repeat(190));
        for i in 0..2000 {
            spool
                .check_room(json.len())
                .unwrap_or_else(|(_, m)| panic!("event {i}: {m}"));
            let at = append(&mut spool, &json, i, true);
            spool.settled(at).unwrap();
            // The sync lets go of rotated segments' files (Windows deletes a
            // file only once it is closed), then their trash is emptied.
            drop(spool.files_to_sync());
            empty_trash(&mut spool);
        }
        let held: u64 = lane::list_segments(&dir.join(&lanes(&dir)[0]))
            .unwrap()
            .iter()
            .map(|(_, p)| fs::metadata(p).unwrap().len())
            .sum();
        assert!(held <= 20_000, "segment files hold {held} bytes");
        // Held but not settled: the capacity refuses past it.
        let mut taken = 0;
        while spool.check_room(json.len()).is_ok() {
            append(&mut spool, &json, 10_000 + taken, true);
            taken += 1;
        }
        assert_eq!(taken, 20_000 / record::event_len(json.len()));
        let (code, refusal) = spool.check_room(json.len()).unwrap_err();
        assert_eq!(code, Code::QueueFull);
        assert!(refusal.contains("spool capacity 20000 bytes"), "{refusal}");
        spool.close();
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn events_on_disk_are_read_back_in_order_a_batch_at_a_time() {
        let dir = temp_dir("readback");
        let mut spool = Spool::open(&dir, limits(1 << 30)).unwrap();
        // Some in memory, then a run on disk across several segments.
        for seq in 0..10 {
            append(&mut spool, "{\"in\":\"memory\"}", seq, true);
        }
        let pad = "p".repeat(300);
        for seq in 10..20_000 {
            append(
                &mut spool,
                &format!("{{\"n\":{seq},\"pad\":\"{pad}\"}}"),
                seq,
                false,
            );
        }
        assert_eq!(spool.oldest_on_disk(), Some(10));
        let mut next = 10;
        loop {
            let back = spool.read_back(1000, 64 * 1024).unwrap();
            if back.events.is_empty() {
                break;
            }
            let bytes: usize = back.events.iter().map(|e| e.json.len()).sum();
            assert!(
                back.events.len() <= 1000 && bytes < 64 * 1024 + 400,
                "{bytes} bytes"
            );
            for e in &back.events {
                assert_eq!(e.seq, next);
                assert!(e.json.contains(&format!("\"n\":{next},")));
                next += 1;
            }
            for e in back.events {
                spool.settled(e.at).unwrap();
            }
            empty_trash(&mut spool);
        }
        assert_eq!(next, 20_000);
        assert_eq!(spool.oldest_on_disk(), None);
        let segments = lane::list_segments(&dir.join(&lanes(&dir)[0]))
            .unwrap()
            .len();
        assert!(
            segments <= 2,
            "settled segments are deleted ({segments} left)"
        );
        spool.close();
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn damage_in_several_lanes_is_reported_and_skipped() {
        let dir = temp_dir("damage");
        for _ in 0..3 {
            let mut spool = Spool::open(&dir, limits(1 << 20)).unwrap();
            for i in 0..3 {
                append(&mut spool, &format!("{{\"n\":{i}}}"), i, true);
            }
            spool.close();
        }
        for name in lanes(&dir) {
            let (id, path) = lane::list_segments(&dir.join(&name)).unwrap().remove(0);
            let mut bytes = fs::read(&path).unwrap();
            let middle = bytes.len() / 2;
            bytes[middle] ^= 0xff;
            bytes.extend_from_slice(b"torn tail");
            fs::write(&path, &bytes).unwrap();
            fs::write(dir.join(&name).join(format!("{id:016}.ack")), b"short").unwrap();
        }
        let (spool, events, damage) = adopt_all(&dir);
        assert_eq!(events.len(), 6, "two of three survive in each lane");
        assert_eq!(damage.len(), 9, "{damage:?}");
        spool.close();
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_version_2_layout_is_adopted() {
        let dir = temp_dir("legacy");
        fs::create_dir_all(&dir).unwrap();
        let mut bytes = Vec::new();
        for (i, json) in ["{\"old\":1}", "{\"old\":2}"].iter().enumerate() {
            record::encode_event(&mut bytes, EventKind::View.raw(), i as u64, json.as_bytes());
        }
        fs::write(dir.join("0000000000000003.log"), &bytes).unwrap();
        fs::write(dir.join("0000000000000003.ack"), record::encode_ack(0)).unwrap();
        fs::write(dir.join("lock"), b"12345").unwrap();
        let (mut spool, events, damage) = adopt_all(&dir);
        assert!(damage.is_empty(), "{damage:?}");
        assert_eq!(events.len(), 1);
        assert_eq!(&*events[0].json, "{\"old\":2}");
        assert_eq!(events[0].kind, EventKind::View);
        spool.settled(events[0].at).unwrap();
        empty_trash(&mut spool);
        assert!(!dir.join("0000000000000003.log").exists());
        assert!(!dir.join("lock").exists());
        spool.close();
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_unusable_directory_is_a_spool_failure() {
        let file = temp_dir("file");
        fs::write(&file, b"not a directory").unwrap();
        let e = Spool::open(&file.join("spool"), limits(1 << 20))
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
    fn rotated_segments_are_handed_to_the_sync() {
        let dir = temp_dir("sync");
        let mut spool = Spool::open(&dir, limits(16 * 16 * 1024)).unwrap();
        let json = format!("{{\"pad\":\"{}\"}}", "x".repeat(1000));
        for seq in 0..100 {
            append(&mut spool, &json, seq, true);
        }
        // 100 KiB through 16 KiB segments: six rotated, plus the open one.
        assert_eq!(spool.files_to_sync().len(), 7);
        assert_eq!(spool.files_to_sync().len(), 1, "then only the open one");
        spool.close();
        let _ = fs::remove_dir_all(&dir);
    }

    /// Random runs of appends (to memory or to disk), settles, reads back,
    /// closes and adoptions on small segments: every event taken is held in
    /// memory exactly once until it settles, and none is lost or repeated.
    #[test]
    fn random_runs_lose_and_repeat_nothing() {
        for seed in 0..12u64 {
            let mut rng = fastrand::Rng::with_seed(seed);
            let dir = temp_dir("random");
            let mut spool = Spool::open(&dir, limits(16 * 16 * 1024)).unwrap();
            // Events held in memory, by their JSON, and those only on disk.
            let mut in_memory: Vec<(SpoolRef, String)> = Vec::new();
            let mut on_disk = 0u64;
            let mut next = 0u64;
            let mut appended = 0usize;
            let mut delivered = std::collections::HashSet::new();
            for _ in 0..600 {
                match rng.u8(0..10) {
                    0..=3 => {
                        let json = format!(
                            "{{\"n\":{next},\"pad\":\"{}\"}}",
                            "x".repeat(rng.usize(0..900))
                        );
                        let to_memory = on_disk == 0 && rng.bool();
                        let at = spool
                            .append(EventKind::Custom, &json, next, next, to_memory)
                            .unwrap();
                        if to_memory {
                            in_memory.push((at, json));
                        } else {
                            on_disk += 1;
                        }
                        next += 1;
                        appended += 1;
                    }
                    4..=6 if !in_memory.is_empty() => {
                        let (at, json) = in_memory.swap_remove(rng.usize(0..in_memory.len()));
                        assert!(delivered.insert(json), "settled twice");
                        spool.settled(at).unwrap();
                    }
                    7 | 8 => {
                        let back = spool.read_back(rng.usize(1..50), 1 << 20).unwrap();
                        assert_eq!(back.lost, 0, "seed {seed}");
                        assert!(back.damage.is_empty(), "seed {seed}: {:?}", back.damage);
                        on_disk -= back.events.len() as u64;
                        in_memory
                            .extend(back.events.into_iter().map(|e| (e.at, e.json.to_string())));
                    }
                    _ => {
                        // The queue goes away; a new one adopts what is left.
                        spool.close();
                        spool = Spool::open(&dir, limits(16 * 16 * 1024)).unwrap();
                        let orphans = find_orphans(&dir, &spool.lane_names()).unwrap();
                        let left = in_memory.len() as u64 + on_disk;
                        assert_eq!(orphans.events(), left, "seed {seed}: adopted");
                        spool.take_orphans(orphans, next);
                        next += left;
                        on_disk = left;
                        in_memory.clear();
                    }
                }
            }
            // Everything left comes back once and settles.
            loop {
                let back = spool.read_back(100, 1 << 20).unwrap();
                if back.events.is_empty() {
                    break;
                }
                on_disk -= back.events.len() as u64;
                in_memory.extend(back.events.into_iter().map(|e| (e.at, e.json.to_string())));
            }
            assert_eq!(on_disk, 0, "seed {seed}");
            for (at, json) in in_memory.drain(..) {
                assert!(delivered.insert(json), "seed {seed}: settled twice");
                spool.settled(at).unwrap();
            }
            assert_eq!(
                delivered.len(),
                appended,
                "seed {seed}: every event settled once"
            );
            spool.close();
            assert!(
                lanes(&dir).is_empty(),
                "seed {seed}: lanes left {:?}",
                lanes(&dir)
            );
            let _ = fs::remove_dir_all(&dir);
        }
    }
}
