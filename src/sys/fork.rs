//! Knowing that this process is a fork of the one that made a queue.
//!
//! A child process has none of the parent's threads, and a lock one of them
//! held at the fork stays held forever, so a queue made before a fork must not
//! be touched in the child at all: every call checks the fork generation first
//! and gives up at once. The generation is bumped by a `pthread_atfork` child
//! handler, so the check is one atomic load, not a `getpid` system call.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Once;

static GENERATION: AtomicU64 = AtomicU64::new(0);
static REGISTER: Once = Once::new();

#[cfg(unix)]
extern "C" fn in_child() {
    GENERATION.fetch_add(1, Ordering::Relaxed);
}

/// The fork generation of this process, registering the handler that counts
/// forks the first time (call it before starting a queue's threads).
pub(crate) fn generation() -> u64 {
    REGISTER.call_once(|| {
        #[cfg(unix)]
        // SAFETY: registers a handler that only bumps an atomic, which is
        // async-signal-safe as a fork child handler must be.
        unsafe {
            libc::pthread_atfork(None, None, Some(in_child));
        }
    });
    GENERATION.load(Ordering::Relaxed)
}

/// Whether this process forked (as a child) since `generation` was read.
pub(crate) fn forked_since(generation: u64) -> bool {
    GENERATION.load(Ordering::Relaxed) != generation
}
