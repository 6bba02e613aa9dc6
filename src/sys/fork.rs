//! Which process this is, asked cheaply on every queue call, so that a queue
//! made before a `fork()` notices it is running in a child; and the spool lock
//! descriptors a child must not keep.
//!
//! The process id is cached in a page the kernel zero-fills in every child
//! (`MADV_WIPEONFORK`, Linux 4.14 and later), however the child was made: a
//! `fork()` through libc, `vfork`, or a raw `clone` system call that runs no
//! `pthread_atfork` handler. A `pthread_atfork` child handler clears the cache
//! too, for systems (or emulators such as qemu-user) where the advice is not
//! applied. Where no such page can be had, every call asks `getpid`. So the
//! common call costs one memory load, and a child is never taken for its parent.
//!
//! Spool lanes are locked with `flock`, which belongs to the open file
//! description: a child holding an inherited descriptor would keep its
//! parent's lane locked after the parent died. The child handler therefore
//! closes (never unlocks: that would free the parent's lock too) every lock
//! descriptor its parent registered here.

use std::fs::File;

/// The id of the calling process.
pub(crate) fn current_pid() -> u32 {
    imp::current_pid()
}

/// Starts watching for forks (once per process; cheap afterwards). Call it
/// before a queue starts its threads.
pub(crate) fn watch() {
    imp::watch();
}

/// A lock file registered so that a forked child closes its inherited copy.
#[derive(Debug)]
pub(crate) struct Registered(imp::Slot);

/// Registers the descriptor of a held lock `file` (see the module comment).
/// Dropping the result unregisters it: do so before the file is closed.
pub(crate) fn register_lock(file: &File) -> Registered {
    Registered(imp::register(file))
}

impl Drop for Registered {
    fn drop(&mut self) {
        imp::unregister(&self.0);
    }
}

#[cfg(unix)]
mod imp {
    use std::fs::File;
    use std::os::fd::AsRawFd;
    use std::sync::atomic::{AtomicPtr, AtomicU32, AtomicU64, Ordering};
    use std::sync::Once;

    /// The cached process id, in the wipe-on-fork page; null when the page
    /// could not be had (then every call asks the kernel).
    static PID_CELL: AtomicPtr<AtomicU32> = AtomicPtr::new(std::ptr::null_mut());
    static WATCH: Once = Once::new();

    /// Lock descriptors of this process: `pid << 32 | fd`, 0 for a free slot.
    /// A fixed array of atomics, so the child handler reads it without a lock.
    static LOCKS: [AtomicU64; 256] = [const { AtomicU64::new(0) }; 256];

    pub(super) fn watch() {
        WATCH.call_once(|| {
            PID_CELL.store(wipe_on_fork_cell(), Ordering::Release);
            // SAFETY: registers a handler that only does async-signal-safe
            // work (atomic stores, getppid, close), as a child handler must.
            unsafe {
                libc::pthread_atfork(None, None, Some(in_child));
            }
        });
    }

    /// One page that children see zero-filled, holding the cached id.
    fn wipe_on_fork_cell() -> *mut AtomicU32 {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        // SAFETY: a fresh anonymous private mapping of one page, never unmapped
        // once the advice took; an AtomicU32 at its start is aligned.
        unsafe {
            let size = 4096;
            let page = libc::mmap(
                std::ptr::null_mut(),
                size,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            );
            if page == libc::MAP_FAILED {
                return std::ptr::null_mut();
            }
            if libc::madvise(page, size, libc::MADV_WIPEONFORK) != 0 {
                libc::munmap(page, size);
                return std::ptr::null_mut();
            }
            page.cast::<AtomicU32>()
        }
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        std::ptr::null_mut()
    }

    fn getpid() -> u32 {
        // SAFETY: no arguments, cannot fail.
        unsafe { libc::getpid() as u32 }
    }

    pub(super) fn current_pid() -> u32 {
        // SAFETY: the cell is null or the start of the page mapped above,
        // which lives until the process ends.
        match unsafe { PID_CELL.load(Ordering::Acquire).as_ref() } {
            Some(cell) => match cell.load(Ordering::Relaxed) {
                0 => {
                    let pid = getpid();
                    cell.store(pid, Ordering::Relaxed);
                    pid
                }
                pid => pid,
            },
            None => getpid(),
        }
    }

    extern "C" fn in_child() {
        // SAFETY: as in current_pid.
        if let Some(cell) = unsafe { PID_CELL.load(Ordering::Acquire).as_ref() } {
            cell.store(0, Ordering::Relaxed);
        }
        // SAFETY: getppid is async-signal-safe and cannot fail.
        let parent = unsafe { libc::getppid() } as u32;
        for slot in &LOCKS {
            let entry = slot.swap(0, Ordering::Relaxed);
            // Only what the parent itself registered is surely still the same
            // descriptor; older entries came through a fork that ran no
            // handler and may name a descriptor reused since.
            if entry != 0 && (entry >> 32) as u32 == parent {
                // SAFETY: closes this process's copy of a descriptor the
                // parent registered; the parent's copy and its lock stay.
                unsafe { libc::close(entry as u32 as i32) };
            }
        }
    }

    /// The index of a registered descriptor in `LOCKS`, if a slot was free.
    #[derive(Debug)]
    pub(super) struct Slot(Option<usize>);

    pub(super) fn register(file: &File) -> Slot {
        let fd = file.as_raw_fd();
        if fd < 0 {
            return Slot(None);
        }
        let entry = u64::from(current_pid()) << 32 | u64::from(fd as u32);
        // With every slot taken the lock still works; only a child would then
        // keep it held while it lives.
        Slot(LOCKS.iter().position(|slot| {
            slot.compare_exchange(0, entry, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        }))
    }

    pub(super) fn unregister(slot: &Slot) {
        if let Some(i) = slot.0 {
            LOCKS[i].store(0, Ordering::Relaxed);
        }
    }
}

#[cfg(not(unix))]
mod imp {
    //! No fork here: the process id never changes and nothing is inherited.
    use std::fs::File;
    use std::sync::OnceLock;

    static PID: OnceLock<u32> = OnceLock::new();

    pub(super) fn watch() {}

    pub(super) fn current_pid() -> u32 {
        *PID.get_or_init(std::process::id)
    }

    #[derive(Debug)]
    pub(super) struct Slot;

    pub(super) fn register(_file: &File) -> Slot {
        Slot
    }

    pub(super) fn unregister(_slot: &Slot) {}
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn the_cached_id_is_the_process_id_and_a_child_sees_its_own() {
        watch();
        assert_eq!(current_pid(), std::process::id());
        // A raw fork system call runs no atfork handler: the page alone must
        // tell the child it is not its parent.
        // SAFETY: the child only calls async-signal-safe functions, then _exit.
        unsafe {
            #[cfg(target_os = "linux")]
            let child = libc::syscall(libc::SYS_clone, libc::SIGCHLD, 0, 0, 0, 0) as i32;
            #[cfg(not(target_os = "linux"))]
            let child = libc::fork();
            assert!(child >= 0);
            if child == 0 {
                let seen = current_pid();
                let real = libc::getpid() as u32;
                libc::_exit(if seen == real { 0 } else { 1 });
            }
            let mut status = 0;
            assert_eq!(libc::waitpid(child, &mut status, 0), child);
            assert!(libc::WIFEXITED(status), "status {status}");
            assert_eq!(
                libc::WEXITSTATUS(status),
                0,
                "the child saw its parent's id"
            );
        }
    }
}
