//! The two socket calls the TCP transport (`src/wire/tcp.rs`) needs beyond
//! std's: one write of two buffers that never raises SIGPIPE, and a one-call
//! check that an idle pooled connection is still open and silent.
//!
//! SIGPIPE would kill a C, Python or Go host that did not ignore it (Rust
//! programs ignore it; the library cannot assume that of its hosts). std's own
//! `write` passes MSG_NOSIGNAL where the system has it, and std sets
//! SO_NOSIGPIPE on every socket it makes on Apple systems; its
//! `write_vectored`, though, is a plain `writev` on Unix, so the two-buffer
//! write is done here. Windows has no SIGPIPE at all.

use std::io;
use std::net::TcpStream;

pub(crate) use platform::{idle_and_open, send_two};

#[cfg(unix)]
mod platform {
    use super::*;
    use std::os::fd::AsRawFd;

    /// Sends `first` then `second` in one `sendmsg` with MSG_NOSIGNAL,
    /// returning how many bytes left. `msg_nosignal` is set by build.rs on
    /// every system where std relies on that flag.
    #[cfg(msg_nosignal)]
    pub(crate) fn send_two(stream: &TcpStream, first: &[u8], second: &[u8]) -> io::Result<usize> {
        let mut iov = [
            libc::iovec {
                iov_base: first.as_ptr() as *mut libc::c_void,
                iov_len: first.len(),
            },
            libc::iovec {
                iov_base: second.as_ptr() as *mut libc::c_void,
                iov_len: second.len(),
            },
        ];
        // SAFETY: an all-zero msghdr is valid (no name, no control data).
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_iov = iov.as_mut_ptr();
        msg.msg_iovlen = iov.len() as _;
        // SAFETY: a valid socket; the iovecs point into slices that outlive
        // the call, and sendmsg only reads them.
        let sent = unsafe { libc::sendmsg(stream.as_raw_fd(), &msg, libc::MSG_NOSIGNAL) };
        if sent < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(sent as usize)
        }
    }

    /// Sends `first` then `second` in one `writev`: Apple systems have no
    /// MSG_NOSIGNAL, but every socket std makes there has SO_NOSIGPIPE.
    #[cfg(all(not(msg_nosignal), target_vendor = "apple"))]
    pub(crate) fn send_two(stream: &TcpStream, first: &[u8], second: &[u8]) -> io::Result<usize> {
        use std::io::Write;
        let mut stream = stream;
        stream.write_vectored(&[io::IoSlice::new(first), io::IoSlice::new(second)])
    }

    /// Sends `first` alone (the caller loops for the rest): on other Unix
    /// systems only std's `write` is trusted about SIGPIPE, so the saving of
    /// one call is given up.
    #[cfg(all(not(msg_nosignal), not(target_vendor = "apple")))]
    pub(crate) fn send_two(stream: &TcpStream, first: &[u8], _second: &[u8]) -> io::Result<usize> {
        use std::io::Write;
        let mut stream = stream;
        stream.write(first)
    }

    /// Whether an idle connection is still open and silent: nothing to read
    /// and no end of stream, checked with one non-blocking peek.
    pub(crate) fn idle_and_open(stream: &TcpStream) -> bool {
        let mut byte = 0u8;
        // SAFETY: a valid socket and a 1-byte buffer that lives across the call.
        let got = unsafe {
            libc::recv(
                stream.as_raw_fd(),
                (&mut byte as *mut u8).cast(),
                1,
                libc::MSG_PEEK | libc::MSG_DONTWAIT,
            )
        };
        // -1 with EAGAIN: open and silent. 0: closed by the peer. >0: unexpected bytes.
        got < 0 && io::Error::last_os_error().kind() == io::ErrorKind::WouldBlock
    }
}

#[cfg(not(unix))]
mod platform {
    use super::*;
    use std::io::Write;

    /// Sends `first` then `second` in one call: std's `write_vectored` is one
    /// `WSASend` of both buffers on Windows, which has no SIGPIPE.
    pub(crate) fn send_two(stream: &TcpStream, first: &[u8], second: &[u8]) -> io::Result<usize> {
        let mut stream = stream;
        stream.write_vectored(&[io::IoSlice::new(first), io::IoSlice::new(second)])
    }

    /// Whether an idle connection is still open and silent. Windows has no
    /// per-call MSG_DONTWAIT, so the socket is made non-blocking around one
    /// peek (three calls instead of one).
    pub(crate) fn idle_and_open(stream: &TcpStream) -> bool {
        if stream.set_nonblocking(true).is_err() {
            return false;
        }
        let mut byte = [0u8];
        let silent =
            matches!(stream.peek(&mut byte), Err(e) if e.kind() == io::ErrorKind::WouldBlock);
        stream.set_nonblocking(false).is_ok() && silent
    }
}
