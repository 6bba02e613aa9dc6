//! Refused-connection windows (`POST /_emulator/outage`): how the connection
//! that asked for one hands it to the accept loop, which owns the listening
//! socket, and learns when the socket is closed.

use std::io::{ErrorKind, Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Longest refused-connection window: ten minutes.
pub const MAX_REFUSE_MS: u64 = 600_000;
/// How long the asking connection waits for the listener to close.
const HANDOVER: Duration = Duration::from_secs(2);

/// One window, as asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// How long no connection is accepted.
    pub refuse_ms: u64,
    /// Whether open connections are closed when the window opens.
    pub drop_connections: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Listening normally.
    Idle,
    /// A connection was granted a window and is sending its answer.
    Claimed,
    /// The answer is out; the accept loop is to close the listener.
    Requested(Plan),
    /// The listener is closed until the window ends.
    Refusing,
}

/// Shared between connections and the accept loop; one window at a time.
pub struct Outage {
    phase: Mutex<Phase>,
    changed: Condvar,
    /// Written to wake the accept loop out of poll() at once.
    wake_tx: UnixStream,
    /// Polled by the accept loop beside the listener.
    wake_rx: UnixStream,
}

impl Outage {
    /// Idle, with its wake-up pipe.
    pub fn new() -> std::io::Result<Outage> {
        let (wake_tx, wake_rx) = UnixStream::pair()?;
        wake_tx.set_nonblocking(true)?;
        wake_rx.set_nonblocking(true)?;
        Ok(Outage {
            phase: Mutex::new(Phase::Idle),
            changed: Condvar::new(),
            wake_tx,
            wake_rx,
        })
    }

    fn phase(&self) -> MutexGuard<'_, Phase> {
        self.phase.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn set(&self, phase: Phase) {
        *self.phase() = phase;
        self.changed.notify_all();
    }

    /// Grants the caller the next window; false while another one is under way.
    pub fn claim(&self) -> bool {
        let mut phase = self.phase();
        if *phase != Phase::Idle {
            return false;
        }
        *phase = Phase::Claimed;
        true
    }

    /// Called by the connection holding the claim once its answer is sent:
    /// asks the accept loop to close the listener and waits (bounded) until it has.
    pub fn begin(&self, plan: Plan) {
        self.set(Phase::Requested(plan));
        // A full pipe already holds a wake-up, so a failed write loses nothing.
        let _ = (&self.wake_tx).write(&[1]);
        let deadline = Instant::now() + HANDOVER;
        let mut phase = self.phase();
        while matches!(*phase, Phase::Requested(_)) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            phase = self
                .changed
                .wait_timeout(phase, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    /// What the accept loop polls beside the listener.
    pub fn wake_fd(&self) -> RawFd {
        self.wake_rx.as_raw_fd()
    }

    /// For the accept loop: the window to open now, if one was asked for.
    pub fn requested(&self) -> Option<Plan> {
        let mut sink = [0u8; 64];
        loop {
            match (&self.wake_rx).read(&mut sink) {
                Ok(n) if n > 0 => continue,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                _ => break,
            }
        }
        match *self.phase() {
            Phase::Requested(plan) => Some(plan),
            _ => None,
        }
    }

    /// For the accept loop: the listener is closed (releases the asking connection).
    pub fn refusing(&self) {
        self.set(Phase::Refusing);
    }

    /// For the accept loop: listening again; the next window may be claimed.
    pub fn over(&self) {
        self.set(Phase::Idle);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn one_window_at_a_time_handed_over_to_the_accept_loop() {
        let outage = Arc::new(Outage::new().unwrap());
        assert!(outage.claim());
        assert!(!outage.claim());
        assert_eq!(outage.requested(), None);
        let plan = Plan {
            refuse_ms: 5,
            drop_connections: true,
        };
        let asker = {
            let outage = outage.clone();
            std::thread::spawn(move || outage.begin(plan))
        };
        let deadline = Instant::now() + Duration::from_secs(5);
        let got = loop {
            if let Some(p) = outage.requested() {
                break p;
            }
            assert!(Instant::now() < deadline, "no request arrived");
            std::thread::sleep(Duration::from_millis(1));
        };
        assert_eq!(got, plan);
        outage.refusing();
        asker.join().unwrap();
        assert!(!outage.claim());
        outage.over();
        assert!(outage.claim());
    }
}
