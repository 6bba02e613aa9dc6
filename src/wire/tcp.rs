//! A plain TCP transport for ureq that spends as few system calls per request as
//! it can.
//!
//! ureq's own TCP transport, per request on a pooled connection, probes the
//! socket twice (non-blocking on, 1-byte read, non-blocking off), sets the socket
//! timeout before every read and write (the remaining deadline changes on every
//! call, so its cache never hits), and writes the headers and the body in two
//! calls. This one:
//!
//! - keeps the socket's timeout as it is while it cannot outlast the time left,
//!   and sets it a little below the time left when it must change, so that a
//!   stream of requests with the same attempt timeout sets it about once; a
//!   socket timeout that fires early only wakes the read, which then waits again
//!   for exactly what is left (a deadline is never overrun, never cut short);
//! - holds back a write until the next write or read, so headers and body leave
//!   in one `sendmsg` (one TCP segment for a small event);
//! - checks a pooled connection with one `recv(MSG_PEEK | MSG_DONTWAIT)` when it
//!   is taken, and not at all when it goes back right after a complete answer
//!   (the check at the next take covers anything the server does meanwhile).
//!
//! TLS (ureq's rustls connector) and the CONNECT proxy connector chain around it
//! as around ureq's own.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, Either, LazyBuffers, NextTimeout, ShutdownHandle,
    Transport,
};
use ureq::Error;

use crate::sys::socket::{idle_and_open, send_two};
use crate::wire::resolver::SharedResolver;

/// Below this time left a socket timeout is set to exactly the time left; above
/// it, to 7/8 of it, so later requests with the same budget find it low enough.
const EXACT_BELOW: Duration = Duration::from_millis(100);

/// Held-back output larger than this is sent at once rather than copied.
const HOLD_MAX: usize = 16 * 1024;

/// Opens plain TCP connections (with `TCP_NODELAY`) as [`FastTcpTransport`]s,
/// telling the client's resolver about every address that failed to connect.
#[derive(Debug, Default)]
pub(crate) struct FastTcpConnector {
    pub(crate) resolver: SharedResolver,
}

impl<In: Transport> Connector<In> for FastTcpConnector {
    type Out = Either<In, FastTcpTransport>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, Error> {
        if chained.is_some() {
            // A proxy connection made earlier in the chain is used as it is.
            return Ok(chained.map(Either::A));
        }
        let stream = connect_any(
            details.addrs.iter().copied(),
            time_limit(details.timeout),
            details.timeout.reason,
            self.resolver.stop_flag(),
            |dead| self.resolver.forget(dead),
        )?;
        if details.config.no_delay() {
            stream.set_nodelay(true)?;
        }
        let config = details.config;
        let buffers = LazyBuffers::new(config.input_buffer_size(), config.output_buffer_size());
        let transport = FastTcpTransport::new(stream, buffers);
        (details.register_shutdown)(transport.shutdown_handle())?;
        Ok(Some(Either::B(transport)))
    }
}

/// The time a [`NextTimeout`] allows, `None` when it never fires.
fn time_limit(timeout: NextTimeout) -> Option<Duration> {
    (!timeout.after.is_not_happening()).then(|| *timeout.after)
}

/// Connects to the first address that accepts, sharing the time left between the
/// addresses still to try (the first of two gets half, and so on); `failed` hears
/// of each address that did not accept. Gives up at once when `stop` is raised
/// (the client was shut down).
fn connect_any(
    addrs: impl ExactSizeIterator<Item = SocketAddr>,
    limit: Option<Duration>,
    reason: ureq::Timeout,
    stop: &AtomicBool,
    mut failed: impl FnMut(SocketAddr),
) -> Result<TcpStream, Error> {
    let started = Instant::now();
    let count = addrs.len();
    let mut last_error: Option<Error> = None;
    for (i, addr) in addrs.enumerate() {
        let left_addrs = (count - i) as u32;
        let share = match limit {
            None => None,
            Some(limit) => {
                let left = limit.saturating_sub(started.elapsed());
                if left.is_zero() {
                    return Err(Error::Timeout(reason));
                }
                Some((left / left_addrs).max(Duration::from_millis(10)).min(left))
            }
        };
        let connected = crate::sys::connect::connect(addr, share, stop);
        match connected {
            Ok(stream) => return Ok(stream),
            Err(e) if is_timeout(&e) => {
                failed(addr);
                last_error = Some(Error::Timeout(reason));
            }
            Err(e) if is_address_specific(&e) => {
                failed(addr);
                last_error = Some(Error::Io(e));
            }
            Err(e) => return Err(Error::Io(e)),
        }
    }
    Err(last_error.unwrap_or_else(|| {
        Error::Io(io::Error::new(
            io::ErrorKind::ConnectionRefused,
            "no address to connect to",
        ))
    }))
}

/// A failure that concerns one address only: the next one may still work.
fn is_address_specific(e: &io::Error) -> bool {
    use io::ErrorKind as K;
    matches!(
        e.kind(),
        K::ConnectionRefused
            | K::HostUnreachable
            | K::NetworkUnreachable
            | K::NetworkDown
            | K::AddrNotAvailable
    )
}

/// A socket timeout firing: Linux reports it as `EAGAIN` (WouldBlock).
fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// One plain TCP connection; see the module documentation for what it saves.
pub(crate) struct FastTcpTransport {
    /// Shared (weakly) with the agent's shutdown handle.
    stream: Arc<TcpStream>,
    buffers: LazyBuffers,
    /// What `SO_RCVTIMEO` is set to; `None` until first set (no timeout).
    read_timeout: Option<Duration>,
    /// What `SO_SNDTIMEO` is set to; `None` until first set (no timeout).
    write_timeout: Option<Duration>,
    /// Output held back until the next write or read.
    held: Vec<u8>,
    /// The last thing done was a read that got bytes: the connection is known
    /// to be alive, so handing it back to the pool needs no check.
    just_read: bool,
}

impl FastTcpTransport {
    fn new(stream: TcpStream, buffers: LazyBuffers) -> FastTcpTransport {
        FastTcpTransport {
            stream: Arc::new(stream),
            buffers,
            read_timeout: None,
            write_timeout: None,
            held: Vec::new(),
            just_read: false,
        }
    }

    fn shutdown_handle(&self) -> Weak<dyn ShutdownHandle> {
        Arc::downgrade(&self.stream) as Weak<dyn ShutdownHandle>
    }

    /// Sends the held-back bytes and then `more`, all of it, within `timeout`.
    fn send_all(&mut self, more_len: usize, timeout: NextTimeout) -> Result<(), Error> {
        let started = Instant::now();
        let limit = time_limit(timeout);
        let mut held_sent = 0;
        let mut more_sent = 0;
        loop {
            let held = &self.held[held_sent..];
            let more = &self.buffers.output()[more_sent..more_len];
            if held.is_empty() && more.is_empty() {
                break;
            }
            let wait = socket_wait(self.write_timeout, limit, started, timeout)?;
            if let Some(w) = wait {
                self.stream.set_write_timeout(Some(w))?;
                self.write_timeout = Some(w);
            }
            let written = if held.is_empty() {
                (&*self.stream).write(more)
            } else if more.is_empty() {
                (&*self.stream).write(held)
            } else {
                send_two(&self.stream, held, more)
            };
            match written {
                Ok(0) => return Err(Error::Io(io::ErrorKind::WriteZero.into())),
                Ok(n) => {
                    let from_held = n.min(held.len());
                    held_sent += from_held;
                    more_sent += n - from_held;
                }
                Err(e) if is_timeout(&e) || e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::Io(e)),
            }
        }
        self.held.clear();
        Ok(())
    }
}

/// The socket timeout to set before the next blocking call, if the current one
/// must change; an error when no time is left.
///
/// The current timeout may stay while it is not longer than the time left.
fn socket_wait(
    current: Option<Duration>,
    limit: Option<Duration>,
    started: Instant,
    timeout: NextTimeout,
) -> Result<Option<Duration>, Error> {
    let Some(limit) = limit else {
        // No deadline: whatever is set only wakes the call early; it then waits again.
        return Ok(None);
    };
    let left = limit.saturating_sub(started.elapsed());
    if left.is_zero() {
        return Err(Error::Timeout(timeout.reason));
    }
    if current.is_some_and(|c| c <= left) {
        return Ok(None);
    }
    let wanted = if left > EXACT_BELOW {
        left - left / 8
    } else {
        left
    };
    Ok(Some(wanted))
}

impl Transport for FastTcpTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), Error> {
        let timeout = timeout.for_write();
        if timeout.after.is_zero() {
            return Err(Error::Timeout(timeout.reason));
        }
        self.just_read = false;
        if self.held.is_empty() && amount <= HOLD_MAX {
            // Most likely the headers of a request whose body comes next; a read
            // sends it anyway before waiting for the answer.
            let output = &self.buffers.output()[..amount];
            self.held.extend_from_slice(output);
            return Ok(());
        }
        self.send_all(amount, timeout)
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, Error> {
        if !self.held.is_empty() {
            self.send_all(0, timeout.for_write())?;
        }
        let timeout = timeout.for_read();
        let started = Instant::now();
        let limit = time_limit(timeout);
        let amount = loop {
            let wait = socket_wait(self.read_timeout, limit, started, timeout)?;
            if let Some(w) = wait {
                self.stream.set_read_timeout(Some(w))?;
                self.read_timeout = Some(w);
            }
            let input = self.buffers.input_append_buf();
            match (&*self.stream).read(input) {
                Ok(n) => break n,
                Err(e) if is_timeout(&e) || e.kind() == io::ErrorKind::Interrupted => {
                    // Woken before the deadline: wait again for what is left,
                    // exactly.
                    self.read_timeout = Some(Duration::MAX);
                }
                Err(e) => return Err(Error::Io(e)),
            }
        };
        self.buffers.input_appended(amount);
        self.just_read = amount > 0;
        Ok(amount > 0)
    }

    fn is_open(&mut self) -> bool {
        if !self.held.is_empty() {
            return false;
        }
        if std::mem::take(&mut self.just_read) {
            return true;
        }
        idle_and_open(&self.stream)
    }
}

impl std::fmt::Debug for FastTcpTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FastTcpTransport")
            .field("peer", &self.stream.peer_addr().ok())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    /// A loopback port nobody listens on (bound, then released).
    fn dead_port() -> SocketAddr {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    }

    #[test]
    fn a_refused_address_is_reported_and_the_next_one_used() {
        let live = TcpListener::bind("127.0.0.1:0").unwrap();
        let live_addr = live.local_addr().unwrap();
        let dead = dead_port();
        let mut failed = vec![];
        let stop = AtomicBool::new(false);
        let stream = connect_any(
            [dead, live_addr].into_iter(),
            Some(Duration::from_secs(5)),
            ureq::Timeout::Connect,
            &stop,
            |a| failed.push(a),
        )
        .unwrap();
        assert_eq!(stream.peer_addr().unwrap(), live_addr);
        assert_eq!(failed, [dead]);
        let mut failed = vec![];
        let e = connect_any(
            [dead].into_iter(),
            None,
            ureq::Timeout::Connect,
            &stop,
            |a| failed.push(a),
        )
        .unwrap_err();
        assert!(matches!(e, Error::Io(ref io) if io.kind() == io::ErrorKind::ConnectionRefused));
        assert_eq!(failed, [dead]);
    }
}
