//! The accept loop: one thread per connection, the connection limit, and
//! refused-connection windows (the listening socket closed, then bound again
//! on the same address).

use std::collections::BTreeMap;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsRawFd, RawFd};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::outage::Plan;
use crate::state::{State, Stats};
use crate::{http, server, SHUTDOWN};

/// Connections served at once; beyond it new ones get a 503 and are closed.
const MAX_CONNECTIONS: usize = 2048;
/// Stack of each connection thread: JSON nesting is capped at 128 levels by
/// serde_json, so this is plenty even for debug builds.
const CONNECTION_STACK: usize = 1 << 20;
/// How long to keep trying to listen again after a window.
const REBIND_FOR: Duration = Duration::from_secs(10);

/// Connections being served now.
static OPEN_CONNECTIONS: AtomicUsize = AtomicUsize::new(0);
/// A second handle on each connection being served, so a window can close them.
static OPEN_STREAMS: Mutex<BTreeMap<u64, TcpStream>> = Mutex::new(BTreeMap::new());
static NEXT_STREAM: AtomicU64 = AtomicU64::new(0);

/// Binds the listening socket, non-blocking for the accept loop. std sets
/// SO_REUSEADDR on Unix, so binding again after a window is not blocked by the
/// TIME_WAIT of the connections it closed.
pub fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let listener = TcpListener::bind(addr)?;
    listener.set_nonblocking(true)?;
    Ok(listener)
}

/// The address a client on this machine connects to: `addr` itself, or
/// loopback when `addr` is the unspecified address (0.0.0.0, ::). A URL naming
/// 0.0.0.0 is one the client library refuses (plain http only to loopback).
pub fn reachable_address(addr: SocketAddr) -> SocketAddr {
    let ip: IpAddr = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => Ipv4Addr::LOCALHOST.into(),
        IpAddr::V6(ip) if ip.is_unspecified() => Ipv6Addr::LOCALHOST.into(),
        ip => ip,
    };
    SocketAddr::new(ip, addr.port())
}

/// Waits up to `ms` for one of `fds` to be readable.
fn wait_readable(fds: &[RawFd], ms: i32) {
    let mut polled: Vec<libc::pollfd> = fds
        .iter()
        .map(|&fd| libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        })
        .collect();
    // SAFETY: a valid array of pollfd of the given length.
    unsafe {
        libc::poll(polled.as_mut_ptr(), polled.len() as libc::nfds_t, ms);
    }
}

/// Accepts connections until a signal asks to stop; checks the flag at least every 50 ms.
pub fn accept_loop(listener: TcpListener, state: &Arc<State>) {
    let mut listener = listener;
    while !SHUTDOWN.load(Ordering::SeqCst) {
        wait_readable(&[listener.as_raw_fd(), state.outage.wake_fd()], 50);
        if let Some(plan) = state.outage.requested() {
            match refuse_for(listener, &plan, state) {
                Some(again) => listener = again,
                None => return,
            }
            continue;
        }
        let stream = match listener.accept() {
            Ok((s, _)) => s,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                // Out of descriptors or similar: back off instead of spinning.
                eprintln!("ua-emulator: accept failed: {e}");
                std::thread::sleep(Duration::from_millis(20));
                continue;
            }
        };
        Stats::bump(&state.stats.connections, 1);
        let _ = stream.set_nonblocking(false);
        if OPEN_CONNECTIONS.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
            OPEN_CONNECTIONS.fetch_sub(1, Ordering::SeqCst);
            refuse_busy(stream);
            continue;
        }
        let open = OpenConnection::new(&stream);
        let state = state.clone();
        let spawned = std::thread::Builder::new()
            .stack_size(CONNECTION_STACK)
            .spawn(move || {
                let _open = open;
                server::serve(stream, state);
            });
        if spawned.is_err() {
            eprintln!("ua-emulator: could not start a connection thread");
        }
    }
}

/// One refused-connection window: closes `listener` (and the open connections
/// when asked), waits, and listens again on the same address. `None` when a
/// signal asked to stop meanwhile. Exits with status 1 if the address cannot
/// be bound again, as the emulator would be unreachable for good.
fn refuse_for(listener: TcpListener, plan: &Plan, state: &State) -> Option<TcpListener> {
    let addr = listener
        .local_addr()
        .expect("bound listener has an address");
    drop(listener);
    if plan.drop_connections {
        let open = OPEN_STREAMS.lock().unwrap_or_else(|p| p.into_inner());
        for stream in open.values() {
            // Their threads see end of file and finish; the clients see it next.
            let _ = stream.shutdown(Shutdown::Both);
        }
    }
    state.outage.refusing();
    let reopen = Instant::now() + Duration::from_millis(plan.refuse_ms);
    while Instant::now() < reopen {
        if SHUTDOWN.load(Ordering::SeqCst) {
            return None;
        }
        let left = reopen.saturating_duration_since(Instant::now());
        std::thread::sleep(left.min(Duration::from_millis(50)));
    }
    let give_up = Instant::now() + REBIND_FOR;
    let again = loop {
        match bind(addr) {
            Ok(l) => break l,
            Err(e) if Instant::now() >= give_up || SHUTDOWN.load(Ordering::SeqCst) => {
                eprintln!("ua-emulator: cannot listen on {addr} again after the outage: {e}");
                std::process::exit(1);
            }
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    };
    state.outage.over();
    Some(again)
}

/// Counts a connection as open and keeps a handle on it until its thread
/// ends, even by a panic.
struct OpenConnection {
    id: u64,
}

impl OpenConnection {
    fn new(stream: &TcpStream) -> OpenConnection {
        let id = NEXT_STREAM.fetch_add(1, Ordering::Relaxed);
        // Without a second handle the connection is served all the same; only
        // a window could not close it.
        if let Ok(handle) = stream.try_clone() {
            let mut open = OPEN_STREAMS.lock().unwrap_or_else(|p| p.into_inner());
            open.insert(id, handle);
        }
        OpenConnection { id }
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        let mut open = OPEN_STREAMS.lock().unwrap_or_else(|p| p.into_inner());
        open.remove(&self.id);
        drop(open);
        OPEN_CONNECTIONS.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Tells a client over the connection limit to come back later.
fn refuse_busy(mut stream: TcpStream) {
    let mut resp = http::Response::error(503, "ServiceUnavailable", "Too many open connections.");
    resp.close = true;
    let mut out = Vec::new();
    resp.encode(&mut out);
    let _ = stream.set_write_timeout(Some(Duration::from_millis(200)));
    let _ = stream.write_all(&out);
}
