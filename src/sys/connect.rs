//! A TCP connect that ends at once when its client is shut down.
//!
//! `TcpStream::connect_timeout` blocks until the peer answers or the time is
//! up; a queue that closes while a worker waits on an unreachable host would
//! have to leave that worker behind for up to the attempt timeout. Here the
//! socket is made non-blocking, the connect started, and the wait for it to
//! complete done in short slices that look at the client's stop flag between
//! them. The stream returned is blocking again, as std would give it.

use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use std::io;
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How long one wait lasts before the stop flag is looked at again.
const SLICE: Duration = Duration::from_millis(50);

/// Connects to `addr` within `limit` (`None`: no limit). `TimedOut` when the
/// time is up, `ConnectionAborted` when `stop` is raised meanwhile.
pub(crate) fn connect(
    addr: SocketAddr,
    limit: Option<Duration>,
    stop: &AtomicBool,
) -> io::Result<TcpStream> {
    let started = Instant::now();
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_nonblocking(true)?;
    match socket.connect(&SockAddr::from(addr)) {
        Ok(()) => {}
        Err(e) if in_progress(&e) => loop {
            if stop.load(Ordering::Relaxed) {
                return Err(aborted());
            }
            let slice = match limit {
                None => SLICE,
                Some(limit) => {
                    let left = limit.saturating_sub(started.elapsed());
                    if left.is_zero() {
                        return Err(io::ErrorKind::TimedOut.into());
                    }
                    left.min(SLICE)
                }
            };
            if imp::wait_writable(&socket, slice)? {
                if let Some(e) = socket.take_error()? {
                    return Err(e);
                }
                break;
            }
        },
        Err(e) => return Err(e),
    }
    socket.set_nonblocking(false)?;
    Ok(socket.into())
}

fn aborted() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionAborted,
        "the client was shut down while connecting",
    )
}

/// Whether a non-blocking connect's error only says it goes on.
fn in_progress(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::WouldBlock || e.raw_os_error() == Some(imp::EINPROGRESS)
}

#[cfg(unix)]
mod imp {
    use socket2::Socket;
    use std::io;
    use std::os::fd::AsRawFd;
    use std::time::Duration;

    pub(super) const EINPROGRESS: i32 = libc::EINPROGRESS;

    /// Waits up to `d` for the socket to become writable (connected or
    /// failed): true when it did.
    pub(super) fn wait_writable(socket: &Socket, d: Duration) -> io::Result<bool> {
        let mut fd = libc::pollfd {
            fd: socket.as_raw_fd(),
            events: libc::POLLOUT,
            revents: 0,
        };
        let ms = d.as_millis().clamp(1, i32::MAX as u128) as i32;
        // SAFETY: one pollfd that lives across the call.
        match unsafe { libc::poll(&mut fd, 1, ms) } {
            -1 => {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    Ok(false)
                } else {
                    Err(e)
                }
            }
            0 => Ok(false),
            _ => Ok(true),
        }
    }
}

#[cfg(windows)]
mod imp {
    use socket2::Socket;
    use std::io;
    use std::os::windows::io::AsRawSocket;
    use std::time::Duration;
    use windows_sys::Win32::Networking::WinSock::{
        WSAPoll, POLLWRNORM, SOCKET, SOCKET_ERROR, WSAEWOULDBLOCK, WSAPOLLFD,
    };

    pub(super) const EINPROGRESS: i32 = WSAEWOULDBLOCK;

    /// Waits up to `d` for the socket to become writable (connected) or to
    /// report an error: true when it did.
    pub(super) fn wait_writable(socket: &Socket, d: Duration) -> io::Result<bool> {
        let mut fd = WSAPOLLFD {
            fd: socket.as_raw_socket() as SOCKET,
            events: POLLWRNORM,
            revents: 0,
        };
        let ms = d.as_millis().clamp(1, i32::MAX as u128) as i32;
        // SAFETY: one WSAPOLLFD that lives across the call.
        match unsafe { WSAPoll(&mut fd, 1, ms) } {
            SOCKET_ERROR => Err(io::Error::last_os_error()),
            0 => Ok(false),
            _ => Ok(true),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn connects_and_gives_a_blocking_stream() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = AtomicBool::new(false);
        let stream = connect(addr, Some(Duration::from_secs(5)), &stop).unwrap();
        assert_eq!(stream.peer_addr().unwrap(), addr);
        let (_accepted, _) = listener.accept().unwrap();
        stream
            .set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        let mut buf = [0u8; 1];
        let started = Instant::now();
        let read = std::io::Read::read(&mut &stream, &mut buf);
        assert!(read.is_err());
        assert!(
            started.elapsed() >= Duration::from_millis(40),
            "a blocking read waits for its timeout, a non-blocking one fails at once"
        );
    }

    #[test]
    fn a_raised_stop_ends_the_wait() {
        // A listener whose backlog is full leaves further connects waiting.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = AtomicBool::new(false);
        let mut held = Vec::new();
        let started = Instant::now();
        let waiting = loop {
            match connect(addr, Some(Duration::from_millis(300)), &stop) {
                Ok(s) => held.push(s),
                Err(e) => break e,
            }
            assert!(held.len() < 4096, "the backlog never filled");
        };
        assert_eq!(waiting.kind(), io::ErrorKind::TimedOut, "{waiting:?}");
        assert!(started.elapsed() < Duration::from_secs(20));
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let raiser = {
            let stop = std::sync::Arc::clone(&stop);
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(100));
                stop.store(true, Ordering::Relaxed);
            })
        };
        let started = Instant::now();
        let e = connect(addr, Some(Duration::from_secs(30)), &stop).unwrap_err();
        raiser.join().unwrap();
        assert_eq!(e.kind(), io::ErrorKind::ConnectionAborted, "{e:?}");
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
        drop(listener);
    }

    #[test]
    fn a_refused_connect_fails_at_once() {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let stop = AtomicBool::new(false);
        let e = connect(port, Some(Duration::from_secs(5)), &stop).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::ConnectionRefused, "{e:?}");
    }
}
