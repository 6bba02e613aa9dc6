//! `ua-emulator`: a local stand-in for the Coveo Usage Analytics Write API v15
//! with fault injection. See README.md beside this crate for the command line
//! and the control API.

mod api;
mod auth;
mod config;
mod control;
mod errors;
mod events;
mod faults;
mod http;
mod ids;
mod server;
mod state;
mod validate;

use std::fs::OpenOptions;
use std::io::Write;
use std::net::TcpListener;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use config::Config;
use events::EventLog;
use state::{State, Stats};

/// Set by SIGTERM/SIGINT; the accept loop and idle connections watch it.
pub static SHUTDOWN: AtomicBool = AtomicBool::new(false);

/// Connections served at once; beyond it new ones get a 503 and are closed.
const MAX_CONNECTIONS: usize = 2048;
/// Stack of each connection thread: JSON nesting is capped at 128 levels by
/// serde_json, so this is plenty even for debug builds.
const CONNECTION_STACK: usize = 1 << 20;

/// Connections being served now.
static OPEN_CONNECTIONS: AtomicUsize = AtomicUsize::new(0);

extern "C" fn on_signal(_: libc::c_int) {
    SHUTDOWN.store(true, Ordering::SeqCst);
}

/// Installs the SIGTERM/SIGINT handlers (without SA_RESTART, so a blocked
/// poll() returns at once).
fn install_signal_handlers() {
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_signal as *const () as usize;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(libc::SIGTERM, &action, std::ptr::null_mut());
        libc::sigaction(libc::SIGINT, &action, std::ptr::null_mut());
    }
}

/// Waits up to `ms` for the listener to have a connection ready.
fn wait_readable(listener: &TcpListener, ms: i32) {
    let mut fds = libc::pollfd {
        fd: listener.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd.
    unsafe {
        libc::poll(&mut fds, 1, ms);
    }
}

fn main() {
    let cfg = match Config::from_args(std::env::args().skip(1)) {
        Ok(c) => c,
        Err(e) if e.is_empty() => {
            print!("{}", config::USAGE);
            return;
        }
        Err(e) => {
            eprintln!("ua-emulator: {e}\n{}", config::USAGE);
            std::process::exit(2);
        }
    };
    let file = match &cfg.log_file {
        None => None,
        Some(path) => match OpenOptions::new().create(true).append(true).open(path) {
            Ok(f) => Some(f),
            Err(e) => {
                eprintln!("ua-emulator: cannot open --log {}: {e}", path.display());
                std::process::exit(2);
            }
        },
    };
    let log = Arc::new(EventLog::new(file));
    if cfg.log_file.is_some() {
        EventLog::spawn_flusher(log.clone(), Duration::from_millis(100));
    }
    let listener = match TcpListener::bind(cfg.listen) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("ua-emulator: cannot listen on {}: {e}", cfg.listen);
            std::process::exit(1);
        }
    };
    if let Err(e) = listener.set_nonblocking(true) {
        eprintln!("ua-emulator: {e}");
        std::process::exit(1);
    }
    install_signal_handlers();
    let addr = listener
        .local_addr()
        .expect("bound listener has an address");
    let state = Arc::new(State::new(cfg, log.clone()));
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "ua-emulator listening on http://{addr}{}", api::BASE);
        let _ = out.flush();
    }
    accept_loop(&listener, &state);
    log.flush();
    std::process::exit(0);
}

/// Accepts connections until a signal asks to stop; checks the flag at least every 50 ms.
fn accept_loop(listener: &TcpListener, state: &Arc<State>) {
    while !SHUTDOWN.load(Ordering::SeqCst) {
        wait_readable(listener, 50);
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
        let state = state.clone();
        let spawned = std::thread::Builder::new()
            .stack_size(CONNECTION_STACK)
            .spawn(move || {
                let _open = OpenConnection;
                server::serve(stream, state);
            });
        if spawned.is_err() {
            OPEN_CONNECTIONS.fetch_sub(1, Ordering::SeqCst);
            eprintln!("ua-emulator: could not start a connection thread");
        }
    }
}

/// Counts a connection as closed when its thread ends, even by a panic.
struct OpenConnection;

impl Drop for OpenConnection {
    fn drop(&mut self) {
        OPEN_CONNECTIONS.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Tells a client over the connection limit to come back later.
fn refuse_busy(mut stream: std::net::TcpStream) {
    let mut resp = http::Response::error(503, "ServiceUnavailable", "Too many open connections.");
    resp.close = true;
    let mut out = Vec::new();
    resp.encode(&mut out);
    let _ = stream.set_write_timeout(Some(Duration::from_millis(200)));
    let _ = stream.write_all(&out);
}
