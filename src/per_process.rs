//! A value that each process keeps for itself across `fork()`: the parent's
//! stays where it is, and a child that asks for it makes its own.
//!
//! A queue's running state (threads, spool lane) and a client's connection
//! pools both need this. A child must never use the parent's: the parent's
//! threads are not in the child (a lock one of them held at the fork stays
//! held there forever), and a pooled keep-alive connection inherited from the
//! parent is one socket shared by two processes, each reading answers meant
//! for the other.

use crate::sys::fork;
use std::sync::atomic::{AtomicPtr, AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// A value owned by one process, found by the process id it was made in.
struct Owned<T> {
    pid: u32,
    value: T,
}

/// The value of the process that made one last (see the module comment).
pub(crate) struct PerProcess<T> {
    /// Never null. Freed only by the process that made it (on drop); another
    /// process's copy is never touched, only its `pid` read, and stays
    /// allocated for as long as this lives, so references handed out stay
    /// valid.
    here: AtomicPtr<Owned<T>>,
    /// The process making its value now (0: none), so that only one thread
    /// of a child makes it.
    making: AtomicU32,
}

/// What went wrong when a child could not have its own value.
pub(crate) enum MakeError<E> {
    /// `make` failed (another thread of the process may try again later).
    Failed(E),
    /// Another thread of this process was making the value and did not finish
    /// within the wait given.
    Waited,
}

impl<T> PerProcess<T> {
    /// Holds `value` as the calling process's.
    pub(crate) fn new(value: T) -> Self {
        fork::watch();
        let owned = Owned {
            pid: fork::current_pid(),
            value,
        };
        PerProcess {
            here: AtomicPtr::new(Box::into_raw(Box::new(owned))),
            making: AtomicU32::new(0),
        }
    }

    /// The calling process's value, made by `make` first if this process is
    /// a fork that has not asked yet. While one thread makes it, the others of
    /// the process wait for it, up to `wait`.
    #[inline]
    pub(crate) fn get_or_make<E>(
        &self,
        make: impl FnOnce() -> Result<T, E>,
        wait: Duration,
    ) -> Result<&T, MakeError<E>> {
        let pid = fork::current_pid();
        // SAFETY: `here` always points to an `Owned` that lives as long as
        // `self` (see the field).
        let current = unsafe { &*self.here.load(Ordering::Acquire) };
        if current.pid == pid {
            return Ok(&current.value);
        }
        self.make_here(pid, make, wait)
    }

    #[cold]
    fn make_here<E>(
        &self,
        pid: u32,
        make: impl FnOnce() -> Result<T, E>,
        wait: Duration,
    ) -> Result<&T, MakeError<E>> {
        let waited_since = Instant::now();
        loop {
            // SAFETY: as in `get_or_make`.
            let current = unsafe { &*self.here.load(Ordering::Acquire) };
            if current.pid == pid {
                return Ok(&current.value);
            }
            let maker = self.making.load(Ordering::Acquire);
            if maker != pid {
                // Nobody of this process makes it (a value left by a parent
                // that was making its own at the fork counts as nobody).
                let won = self
                    .making
                    .compare_exchange(maker, pid, Ordering::AcqRel, Ordering::Acquire)
                    .is_ok();
                if won {
                    break;
                }
                continue;
            }
            if waited_since.elapsed() > wait {
                return Err(MakeError::Waited);
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        match make() {
            Ok(value) => {
                // The parent's copy is left where it is, never freed here.
                let fresh = Box::into_raw(Box::new(Owned { pid, value }));
                self.here.store(fresh, Ordering::Release);
                // SAFETY: just made; freed only when `self` is dropped.
                Ok(unsafe { &(*fresh).value })
            }
            Err(e) => {
                self.making.store(0, Ordering::Release);
                Err(MakeError::Failed(e))
            }
        }
    }

    /// The calling process's value, if it has made one.
    pub(crate) fn get_here(&self) -> Option<&T> {
        // SAFETY: as in `get_or_make`.
        let current = unsafe { &*self.here.load(Ordering::Acquire) };
        (current.pid == fork::current_pid()).then_some(&current.value)
    }
}

impl<T> Drop for PerProcess<T> {
    fn drop(&mut self) {
        let current = *self.here.get_mut();
        // SAFETY: as in `get_or_make`; freed here only when it is this
        // process's (a parent's value is not this process's to free).
        if unsafe { (*current).pid } == fork::current_pid() {
            // SAFETY: made by Box::into_raw, freed once.
            drop(unsafe { Box::from_raw(current) });
        }
    }
}

// SAFETY: the value is reached only through `&T` from any thread, so sharing
// a `PerProcess<T>` is as safe as sharing a `T`; sending it moves the boxes.
unsafe impl<T: Send + Sync> Sync for PerProcess<T> {}
// SAFETY: see above.
unsafe impl<T: Send> Send for PerProcess<T> {}
