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
mod listen;
mod outage;
mod server;
mod state;
mod validate;

use std::fs::OpenOptions;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use config::{Config, Invocation};
use events::EventLog;
use outage::Outage;
use state::State;

/// Set by SIGTERM/SIGINT; the accept loop and idle connections watch it.
pub static SHUTDOWN: AtomicBool = AtomicBool::new(false);

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

fn main() {
    let cfg = match Config::parse(std::env::args().skip(1)) {
        Ok(Invocation::Run(c)) => c,
        Ok(Invocation::Help) => {
            print!("{}", config::HELP);
            return;
        }
        Ok(Invocation::Version) => {
            println!("ua-emulator {}", env!("CARGO_PKG_VERSION"));
            return;
        }
        Err(e) => {
            eprintln!(
                "ua-emulator: {e}\n{}\n(ua-emulator --help says more)",
                config::USAGE_LINE
            );
            std::process::exit(2);
        }
    };
    if cfg.api_keys.is_empty() {
        eprintln!(
            "ua-emulator: no --api-key given: every API key is refused with InvalidToken \
             (search tokens of organization '{}' are still accepted)",
            cfg.org
        );
    }
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
    let listener = match listen::bind(cfg.listen) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("ua-emulator: cannot listen on {}: {e}", cfg.listen);
            std::process::exit(1);
        }
    };
    let outage = match Outage::new() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("ua-emulator: {e}");
            std::process::exit(1);
        }
    };
    install_signal_handlers();
    let addr = listener
        .local_addr()
        .expect("bound listener has an address");
    let state = Arc::new(State::new(cfg, log.clone(), outage));
    {
        let reachable = listen::reachable_address(addr);
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            "ua-emulator listening on http://{reachable}{}",
            api::BASE
        );
        let _ = out.flush();
        if reachable != addr {
            eprintln!("ua-emulator: listening on every interface ({addr}); the URL above is the loopback one");
        }
    }
    listen::accept_loop(listener, &state);
    log.flush();
    std::process::exit(0);
}
