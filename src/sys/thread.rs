//! The library's own threads (workers, housekeeper, name lookups), started so
//! that a forked child can always start them.
//!
//! On Unix they are made with `pthread_create`, not `std::thread`: a thread
//! std starts or ends takes a process-wide lock of std's (its stack-overflow
//! bookkeeping), and a `fork()` while another thread of the parent holds it
//! leaves it held forever in the child, where every `std::thread` start (in a
//! Rust program) or end then waits for good. A child's queue starts its
//! threads after a fork, so they must not need that lock. Panics are caught at
//! the thread's edge, as std would. Elsewhere (Windows, no fork) std's
//! threads are used.

use std::io;

/// A thread started by [`spawn`]. Dropping it lets the thread run on, detached.
pub(crate) struct Thread(imp::Handle);

/// Starts `f` on a new thread named `name` (at most 15 bytes are kept).
pub(crate) fn spawn(name: &str, f: impl FnOnce() + Send + 'static) -> io::Result<Thread> {
    imp::spawn(name, Box::new(f)).map(Thread)
}

impl Thread {
    /// Whether the thread's function has returned (or panicked).
    pub(crate) fn is_finished(&self) -> bool {
        self.0.is_finished()
    }

    /// Waits for the thread to end.
    pub(crate) fn join(self) {
        self.0.join();
    }
}

/// The least stack a thread of ours gets, as std gives its threads.
const STACK_BYTES: usize = 2 << 20;

#[cfg(unix)]
mod imp {
    use super::STACK_BYTES;
    use std::io;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    type Job = Box<dyn FnOnce() + Send>;

    struct Start {
        job: Job,
        name: std::ffi::CString,
        done: Arc<AtomicBool>,
    }

    pub(super) struct Handle {
        id: libc::pthread_t,
        done: Arc<AtomicBool>,
        joined: bool,
    }

    pub(super) fn spawn(name: &str, job: Job) -> io::Result<Handle> {
        let kept: String = name.chars().filter(|c| *c != '\0').take(15).collect();
        let done = Arc::new(AtomicBool::new(false));
        let start = Box::new(Start {
            job,
            name: std::ffi::CString::new(kept).unwrap_or_default(),
            done: Arc::clone(&done),
        });
        // SAFETY: the attribute is initialized before use and destroyed after;
        // `start` is handed to the new thread, or taken back if none started.
        unsafe {
            let mut attr: libc::pthread_attr_t = std::mem::zeroed();
            let rc = libc::pthread_attr_init(&mut attr);
            if rc != 0 {
                return Err(io::Error::from_raw_os_error(rc));
            }
            let stack = STACK_BYTES.max(libc::PTHREAD_STACK_MIN);
            libc::pthread_attr_setstacksize(&mut attr, stack);
            let mut id: libc::pthread_t = std::mem::zeroed();
            let arg = Box::into_raw(start).cast::<libc::c_void>();
            let rc = libc::pthread_create(&mut id, &attr, run, arg);
            libc::pthread_attr_destroy(&mut attr);
            if rc != 0 {
                drop(Box::from_raw(arg.cast::<Start>()));
                return Err(io::Error::from_raw_os_error(rc));
            }
            Ok(Handle {
                id,
                done,
                joined: false,
            })
        }
    }

    extern "C" fn run(arg: *mut libc::c_void) -> *mut libc::c_void {
        // SAFETY: `spawn` passed a `Box<Start>` it gave up.
        let start = unsafe { Box::from_raw(arg.cast::<Start>()) };
        let Start { job, name, done } = *start;
        name_this_thread(&name);
        // A panic must not unwind into C; std's hook has already reported it.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
        done.store(true, Ordering::Release);
        std::ptr::null_mut()
    }

    #[cfg(any(target_os = "linux", target_os = "android"))]
    fn name_this_thread(name: &std::ffi::CStr) {
        // SAFETY: a NUL-terminated name for the calling thread.
        unsafe { libc::prctl(libc::PR_SET_NAME, name.as_ptr()) };
    }

    #[cfg(target_vendor = "apple")]
    fn name_this_thread(name: &std::ffi::CStr) {
        // SAFETY: a NUL-terminated name for the calling thread.
        unsafe { libc::pthread_setname_np(name.as_ptr()) };
    }

    #[cfg(not(any(target_os = "linux", target_os = "android", target_vendor = "apple")))]
    fn name_this_thread(_name: &std::ffi::CStr) {}

    // SAFETY: a `pthread_t` names a thread for any thread of the process (on
    // musl it is a pointer, hence not `Send` by itself); joined or detached once.
    unsafe impl Send for Handle {}
    // SAFETY: shared access only reads `done`.
    unsafe impl Sync for Handle {}

    impl Handle {
        pub(super) fn is_finished(&self) -> bool {
            self.done.load(Ordering::Acquire)
        }

        pub(super) fn join(mut self) {
            self.joined = true;
            // SAFETY: a thread of ours, joined once (Drop then skips it).
            unsafe { libc::pthread_join(self.id, std::ptr::null_mut()) };
        }
    }

    impl Drop for Handle {
        fn drop(&mut self) {
            if !self.joined {
                // SAFETY: a thread of ours, neither joined nor detached yet.
                unsafe { libc::pthread_detach(self.id) };
            }
        }
    }
}

#[cfg(not(unix))]
mod imp {
    use super::STACK_BYTES;
    use std::io;

    pub(super) struct Handle(std::thread::JoinHandle<()>);

    pub(super) fn spawn(name: &str, job: Box<dyn FnOnce() + Send>) -> io::Result<Handle> {
        std::thread::Builder::new()
            .name(name.to_string())
            .stack_size(STACK_BYTES)
            .spawn(job)
            .map(Handle)
    }

    impl Handle {
        pub(super) fn is_finished(&self) -> bool {
            self.0.is_finished()
        }

        pub(super) fn join(self) {
            let _ = self.0.join();
        }
    }
}
