//! One thread per connection: read a request, apply a pending fault rule if
//! any, answer, repeat while the connection is kept alive.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::faults::{Action, BodyStyle, Rule};
use crate::http::{Conn, ReadError, Request, Response};
use crate::state::{State, Stats};
use crate::{api, control, SHUTDOWN};

/// Serves one connection until it closes.
pub fn serve(stream: TcpStream, state: Arc<State>) {
    let Ok(mut conn) = Conn::new(stream) else {
        return;
    };
    loop {
        let req = match conn.read_request(state.cfg.max_body) {
            Ok(r) => r,
            Err(e) => {
                refuse_unreadable(&mut conn, &state, e);
                return;
            }
        };
        let keep_going = if req.path.starts_with(control::PREFIX) {
            let (mut resp, outage) = control::handle(&state, &req);
            resp.close |= !req.keep_alive;
            let sent = conn.send(&resp);
            match outage {
                // The answer is out before the listener closes, and this
                // connection ends only after it has: the client's end of file
                // tells it the window is open.
                Some(plan) => {
                    state.outage.begin(plan);
                    false
                }
                None => sent && req.keep_alive,
            }
        } else {
            Stats::bump(&state.stats.requests, 1);
            let kind = api::counted_kind(&req.path);
            state.stats.requests_by_kind.bump(kind);
            let rule = state.faults.take(&req.path);
            if rule.is_some() {
                Stats::bump(&state.stats.faults_applied, 1);
                state.stats.faults_by_kind.bump(kind);
            }
            // This thread serves only this connection, so sleeping here delays
            // nobody else.
            let added = state.latency_ms.load(Ordering::Relaxed)
                + rule.as_ref().and_then(|r| r.latency_ms).unwrap_or(0);
            sleep_ms(Some(added));
            match rule {
                None => {
                    let mut resp = api::handle(&state, &req);
                    resp.close = !req.keep_alive;
                    count_answer(&state, &resp);
                    conn.send(&resp) && req.keep_alive
                }
                Some(rule) => apply_fault(&mut conn, &state, &req, &rule),
            }
        };
        conn.recycle(req.body);
        if !keep_going {
            return;
        }
    }
}

fn count_answer(state: &State, resp: &Response) {
    if resp.status >= 400 {
        Stats::bump(&state.stats.rejected, 1);
    }
}

/// Answers a request that could not be read (or says nothing if the client left), then closes.
fn refuse_unreadable(conn: &mut Conn, state: &State, e: ReadError) {
    let resp = match e {
        ReadError::Gone => return,
        ReadError::Malformed(why) => Response::error(
            400,
            "InvalidRequest",
            &format!("Malformed HTTP request: {why}."),
        ),
        ReadError::BadHeaderBytes => Response::error(
            400,
            "InvalidHeadersException",
            "A header name or value holds characters HTTP does not allow.",
        ),
        ReadError::HeadTooLarge => Response::error(
            431,
            "RequestHeaderFieldsTooLarge",
            "The request line and headers are over 16 KiB or 64 lines.",
        ),
        ReadError::BodyTooLarge(n) => Response::error(
            413,
            "PayloadTooLarge",
            &format!(
                "The request body ({n} bytes or more) is over the limit of {} bytes.",
                state.cfg.max_body
            ),
        ),
        ReadError::TooSlow => Response::error(
            408,
            "RequestTimeout",
            "The request was not received in time.",
        ),
    };
    Stats::bump(&state.stats.requests, 1);
    state.stats.requests_by_kind.bump(api::OTHER_KIND);
    Stats::bump(&state.stats.rejected, 1);
    let mut resp = resp;
    resp.close = true;
    if conn.send(&resp) {
        drain_then_close(&conn.stream);
    }
}

/// Stops sending, then reads and drops what the client still sends for a
/// short while: closing with unread data would reset the connection and could
/// destroy the answer before the client reads it.
fn drain_then_close(stream: &TcpStream) {
    let _ = stream.shutdown(Shutdown::Write);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
    let deadline = Instant::now() + Duration::from_secs(2);
    let mut sink = [0u8; 16 * 1024];
    let mut total = 0usize;
    let mut s = stream;
    while Instant::now() < deadline && total < (64 << 20) {
        match s.read(&mut sink) {
            Ok(0) => break,
            Ok(n) => total += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        }
    }
}

/// Closes with RST instead of FIN: SO_LINGER on with a zero timeout.
fn reset(stream: &TcpStream) {
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: valid socket descriptor and a properly sized linger struct.
    unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            &linger as *const libc::linger as *const libc::c_void,
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
}

fn sleep_ms(ms: Option<u64>) {
    if let Some(ms) = ms.filter(|m| *m > 0) {
        std::thread::sleep(Duration::from_millis(ms));
    }
}

/// Carries out a fault rule for one request. Returns whether the connection stays open.
fn apply_fault(conn: &mut Conn, state: &State, req: &Request, rule: &Rule) -> bool {
    let normal = || {
        let mut resp = api::handle(state, req);
        resp.close = !req.keep_alive;
        count_answer(state, &resp);
        resp
    };
    match rule.action {
        Action::Delay => {
            sleep_ms(rule.delay_ms);
            let resp = normal();
            conn.send(&resp) && req.keep_alive
        }
        Action::Respond => {
            sleep_ms(rule.delay_ms);
            let accepted_first = rule.status < 300 && rule.body == BodyStyle::Garbage;
            if accepted_first {
                // A server that accepted the event and then sent a broken body;
                // only the injected answer is counted.
                let _ = api::handle(state, req);
            }
            let mut resp = injected_response(rule);
            resp.close = !req.keep_alive;
            count_answer(state, &resp);
            conn.send(&resp) && req.keep_alive
        }
        Action::Close => {
            sleep_ms(rule.delay_ms);
            let _ = conn.stream.shutdown(Shutdown::Both);
            false
        }
        Action::Reset => {
            sleep_ms(rule.delay_ms);
            reset(&conn.stream);
            false
        }
        Action::RecordThenClose => {
            sleep_ms(rule.delay_ms);
            let _ = normal();
            let _ = conn.stream.shutdown(Shutdown::Both);
            false
        }
        Action::Truncate => {
            sleep_ms(rule.delay_ms);
            let resp = normal();
            let mut out = Vec::new();
            resp.encode(&mut out);
            let cut = (resp.body.len() / 2).max(1);
            let _ = conn.stream.write_all(&out[..out.len() - cut]);
            let _ = conn.stream.shutdown(Shutdown::Both);
            false
        }
        Action::Stall => {
            let until = Instant::now() + Duration::from_millis(rule.delay_ms.unwrap_or(60_000));
            let _ = conn
                .stream
                .set_read_timeout(Some(Duration::from_millis(100)));
            let mut sink = [0u8; 4096];
            while Instant::now() < until && !SHUTDOWN.load(Ordering::Relaxed) {
                match conn.stream.read(&mut sink) {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(e)
                        if matches!(
                            e.kind(),
                            std::io::ErrorKind::WouldBlock
                                | std::io::ErrorKind::TimedOut
                                | std::io::ErrorKind::Interrupted
                        ) => {}
                    Err(_) => break,
                }
            }
            let _ = conn.stream.shutdown(Shutdown::Both);
            false
        }
        Action::Trickle => {
            let resp = normal();
            let mut out = Vec::new();
            resp.encode(&mut out);
            let pace = Duration::from_millis(rule.delay_ms.unwrap_or(50));
            for (i, b) in out.iter().enumerate() {
                if i > 0 {
                    std::thread::sleep(pace);
                }
                if conn.stream.write_all(std::slice::from_ref(b)).is_err() {
                    return false;
                }
            }
            req.keep_alive
        }
        Action::Garbage => {
            sleep_ms(rule.delay_ms);
            let _ = conn.stream.write_all(
                b"\x16\x03\x01\x00\xa5garbage: this is not an HTTP answer\x00\xff\r\n\r\n",
            );
            let _ = conn.stream.shutdown(Shutdown::Both);
            false
        }
    }
}

/// The answer of a `respond` rule.
fn injected_response(rule: &Rule) -> Response {
    let status = rule.status;
    let default_kind = match status {
        429 => "TooManyRequestsException",
        500 => "InternalServerError",
        502 => "BadGateway",
        503 => "ServiceUnavailable",
        504 => "GatewayTimeout",
        _ => "InjectedFault",
    };
    let kind = rule.kind.as_deref().unwrap_or(default_kind);
    let reason = crate::http::reason(status);
    let message = rule
        .message
        .clone()
        .unwrap_or_else(|| format!("Injected fault: {status} {reason}."));
    let mut resp = match rule.body {
        BodyStyle::Json => Response::error(status, kind, &message),
        BodyStyle::None => Response {
            status,
            content_type: None,
            body: Vec::new(),
            headers: Vec::new(),
            close: false,
        },
        BodyStyle::Html => Response {
            status,
            content_type: Some("text/html"),
            body: format!("<html><head><title>{status} {reason}</title></head><body><h1>{status} {reason}</h1></body></html>\n")
                .into_bytes(),
            headers: Vec::new(),
            close: false,
        },
        BodyStyle::Text => Response {
            status,
            content_type: Some("text/plain"),
            body: format!("{status} {reason}: {message}\n").into_bytes(),
            headers: Vec::new(),
            close: false,
        },
        BodyStyle::Garbage => Response {
            status,
            content_type: Some("application/json"),
            body: b"{\"visitId\": \x00\xff<not json".to_vec(),
            headers: Vec::new(),
            close: false,
        },
    };
    if let Some(ra) = &rule.retry_after {
        resp.headers.push(("Retry-After", ra.clone()));
    }
    if let Some(location) = &rule.location {
        resp.headers.push(("Location", location.clone()));
    }
    resp
}
