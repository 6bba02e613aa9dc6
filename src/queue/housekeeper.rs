//! The housekeeping thread of a running queue: it reads events back from the
//! spool as room frees up, flushes the spool to the disk every fsync
//! interval, adopts the lanes of queues that went away, and fails the events
//! whose max age passed while the queue was paused.

use super::settings::LogLevel;
use super::shared::{now_ms, Event, Failure, Phase, Shared};
use super::spool::{find_orphans, Spool};
use crate::sys::thread::{self, Thread};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often the spool directory is searched for lanes nobody holds: a lane
/// whose owner went away is adopted within this (plus the time to count it).
pub(super) const ADOPT_EVERY: Duration = Duration::from_secs(5);

/// How often events whose last try failed are checked for their max age
/// while any wait.
const MAX_AGE_TICK: Duration = Duration::from_millis(250);

/// Events read back from the spool at once (the spool's lock is held while
/// they are read).
const READ_BATCH: u64 = 512;

pub(super) fn spawn(shared: &Arc<Shared>) -> std::io::Result<Thread> {
    let s = Arc::clone(shared);
    thread::spawn("coveo-ua-housekeeper", move || run(&s))
}

fn run(shared: &Shared) {
    let has_spool = shared.settings.spool_dir.is_some();
    let fsync = shared.settings.fsync_interval;
    let syncing = has_spool && !fsync.is_zero();
    let mut next_sync = Instant::now() + fsync;
    let mut next_adopt = Instant::now() + ADOPT_EVERY;
    loop {
        if has_spool {
            empty_trash(shared);
            read_back(shared);
        }
        sweep_max_age(shared);
        let now = Instant::now();
        if syncing && now >= next_sync {
            sync(shared);
            next_sync = now + fsync;
        }
        if has_spool && now >= next_adopt && shared.lock().phase == Phase::Open {
            adopt(shared);
            next_adopt = Instant::now() + ADOPT_EVERY;
        }
        let mut wake = if has_spool {
            next_adopt
        } else {
            now + ADOPT_EVERY
        };
        if syncing {
            wake = wake.min(next_sync);
        }
        if let Some(sums) = shared.log_failure_sums(false) {
            wake = wake.min(sums);
        }
        let st = shared.lock();
        if st.phase == Phase::Stopped {
            break;
        }
        if st.tried_waiting > 0 {
            wake = wake.min(now + MAX_AGE_TICK);
        }
        let left = wake.saturating_duration_since(Instant::now());
        let st = shared
            .housekeeping
            .wait_timeout(st, left)
            .map(|(g, _)| g)
            .unwrap_or_else(|p| p.into_inner().0);
        if st.phase == Phase::Stopped {
            break;
        }
    }
    shared.lock().housekeeper_alive = false;
    shared.settle.notify_all();
}

/// Reads events back from the spool while memory has room for them.
pub(super) fn read_back(shared: &Shared) {
    let settings = &shared.settings;
    loop {
        let mut guard = shared.lock_spool();
        let Some(spool) = guard.as_mut() else {
            return;
        };
        let (max_events, max_bytes) = {
            let st = shared.lock();
            if st.on_disk == 0 || st.phase == Phase::Stopped {
                return;
            }
            let room = u64::from(settings.max_events).saturating_sub(st.in_memory());
            let bytes = settings.max_bytes.saturating_sub(st.held_bytes);
            if room == 0 || (bytes == 0 && st.in_memory() > 0) {
                return;
            }
            (room.min(READ_BATCH) as usize, bytes)
        };
        let read = spool.read_back(max_events, max_bytes);
        let mut st = shared.lock();
        let read = match read {
            Ok(read) => read,
            Err(e) => {
                drop(st);
                drop(guard);
                shared.log(LogLevel::Error, e.message());
                return;
            }
        };
        let moved = read.events.len() as u64 + read.lost;
        for loaded in read.events {
            st.held_bytes += loaded.json.len() as u64;
            st.put_back(Event {
                seq: loaded.seq,
                kind: loaded.kind,
                json: Arc::from(loaded.json),
                enqueued_ms: loaded.enqueued_ms,
                spooled: Some(loaded.at),
                last_try: None,
            });
        }
        st.on_disk -= moved;
        st.oldest_on_disk = spool.oldest_on_disk();
        // Counted when their lane was adopted, gone when read: nothing is
        // left of them to report but their number.
        st.failed += read.lost;
        shared.work.notify_all();
        shared.wake_settle_waiters(&st);
        drop(st);
        drop(guard);
        for line in &read.damage {
            shared.log(LogLevel::Warn, line);
        }
        if read.lost > 0 {
            shared.log(
                LogLevel::Error,
                &format!(
                    "spool: {} event(s) counted when their lane was adopted were no longer in its files; counted as failed",
                    read.lost
                ),
            );
        }
        if moved == 0 {
            return;
        }
    }
}

/// Fails the waiting events whose last try failed transiently and whose max
/// age has passed, with that try's result (the queue may be paused for
/// longer: they must not hold their room until it ends).
fn sweep_max_age(shared: &Shared) {
    let max_age = shared.settings.max_age;
    let now = now_ms();
    let mut failures = Vec::new();
    {
        let mut st = shared.lock();
        if st.tried_waiting == 0 {
            return;
        }
        let mut i = 0;
        while i < st.ready.len() {
            let expired = st.ready[i].last_try.is_some() && st.ready[i].age(now) > max_age;
            if !expired {
                i += 1;
                continue;
            }
            let Some(mut event) = st.ready.remove(i) else {
                break;
            };
            st.tried_waiting -= 1;
            let failure = Failure::from(&event);
            shared.fail_locked(&mut st, &failure);
            let result = event.last_try.take().expect("checked above");
            failures.push((failure, *result));
        }
        shared.wake_settle_waiters(&st);
    }
    shared.report_failures(failures);
}

/// Flushes the spool's recent segments to the disk, without any queue lock
/// held while the disk works.
pub(super) fn sync(shared: &Shared) {
    let files = match shared.lock_spool().as_mut() {
        Some(spool) => spool.files_to_sync(),
        None => return,
    };
    for file in files {
        if let Err(e) = file.sync_data() {
            shared.log(LogLevel::Warn, &format!("spool: fsync failed: {e}"));
        }
    }
}

/// Deletes the files of settled segments, without the spool's lock held
/// (deleting a large file takes milliseconds, which enqueues must not wait).
pub(super) fn empty_trash(shared: &Shared) {
    let trash = match shared.lock_spool().as_mut() {
        Some(spool) => spool.take_trash(),
        None => return,
    };
    for path in trash {
        let _ = std::fs::remove_file(path);
    }
}

/// Looks for lanes whose queue went away and takes them in.
pub(super) fn adopt(shared: &Shared) {
    let (dir, known) = match shared.lock_spool().as_ref() {
        Some(spool) => (spool.dir().to_path_buf(), spool.lane_names()),
        None => return,
    };
    let mut orphans = match find_orphans(&dir, &known) {
        Ok(orphans) => orphans,
        Err(e) => {
            shared.log(LogLevel::Warn, e.message());
            return;
        }
    };
    let damage = std::mem::take(&mut orphans.damage);
    let (events, lanes) = (orphans.events(), orphans.lanes());
    if lanes > 0 {
        let mut guard = shared.lock_spool();
        match guard.as_mut() {
            Some(spool) => take_in(shared, spool, orphans),
            // Closed meanwhile: the lanes go back for another queue.
            None => orphans.release(),
        }
    }
    for line in &damage {
        shared.log(LogLevel::Warn, line);
    }
    if lanes > 0 {
        shared.log(
            LogLevel::Info,
            &format!(
                "spool {}: {events} event(s) adopted from {lanes} lane(s) of queues that went away",
                dir.display()
            ),
        );
        shared.housekeeping.notify_one();
    }
}

/// Counts adopted lanes' events as recovered and pending (spool lock held).
pub(super) fn take_in(shared: &Shared, spool: &mut Spool, orphans: super::spool::Orphans) {
    let mut st = shared.lock();
    let first = st.next_seq;
    let used = spool.take_orphans(orphans, first);
    st.next_seq += used;
    st.on_disk += used;
    st.recovered += used;
    st.oldest_on_disk = spool.oldest_on_disk();
}
