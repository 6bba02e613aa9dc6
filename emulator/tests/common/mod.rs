//! Shared helpers of the emulator's integration tests: start the real
//! `ua-emulator` binary on a free port and talk to it over plain sockets.
#![allow(dead_code)] // each test file uses a different subset

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

/// Organization every test emulator plays.
pub const ORG: &str = "test-org";
/// API key every test emulator knows.
pub const TOKEN: &str = "xx-test-key";
/// Bound on every socket read or write in the tests.
pub const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// A running `ua-emulator` process, killed when dropped.
pub struct Emulator {
    child: Child,
    /// `127.0.0.1:PORT`.
    pub addr: String,
    /// `http://127.0.0.1:PORT/rest/ua`.
    pub base: String,
}

impl Emulator {
    /// Starts with `--org test-org --api-key xx-test-key` plus `extra`.
    pub fn start(extra: &[&str]) -> Emulator {
        let mut args = vec!["--listen", "127.0.0.1:0", "--org", ORG, "--api-key", TOKEN];
        args.extend_from_slice(extra);
        Emulator::start_raw(&args)
    }

    /// Starts with exactly `args`.
    pub fn start_raw(args: &[&str]) -> Emulator {
        let bin = env!("CARGO_BIN_EXE_ua-emulator");
        let mut child = Command::new(bin)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {bin}: {e}"));
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = match rx.recv_timeout(Duration::from_secs(10)) {
            Ok(l) => l,
            Err(_) => {
                let _ = child.kill();
                panic!("ua-emulator printed no line within 10 s");
            }
        };
        let base = line
            .find("http://")
            .map(|i| line[i..].trim().to_string())
            .unwrap_or_else(|| {
                let _ = child.kill();
                panic!("unexpected first line from ua-emulator: {line:?}")
            });
        assert!(
            line.starts_with("ua-emulator listening on http://127.0.0.1:"),
            "{line:?}"
        );
        assert!(base.ends_with("/rest/ua"), "{base}");
        let addr = base["http://".len()..base.len() - "/rest/ua".len()].to_string();
        Emulator { child, addr, base }
    }

    /// Process id, for signals.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits up to `limit` for the process to exit; returns its status.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let deadline = std::time::Instant::now() + limit;
        while std::time::Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// A new keep-alive connection.
    pub fn connect(&self) -> Client {
        Client::connect(&self.addr)
    }

    /// One request on a fresh connection.
    pub fn request(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Resp {
        self.connect().request(method, path, headers, body)
    }

    /// POSTs an event of `kind` with the usual good headers.
    pub fn post(&self, kind: &str, body: &Value) -> Resp {
        self.post_with(kind, body, &[])
    }

    /// POSTs an event of `kind`, with the usual good headers plus or replaced by `extra`.
    pub fn post_with(&self, kind: &str, body: &Value, extra: &[(&str, &str)]) -> Resp {
        let auth = format!("Bearer {TOKEN}");
        let mut headers: Vec<(&str, &str)> = vec![
            ("Content-Type", "application/json"),
            ("Accept", "application/json"),
            ("Authorization", &auth),
        ];
        for (k, v) in extra {
            headers.retain(|(h, _)| !h.eq_ignore_ascii_case(k));
            headers.push((k, v));
        }
        let path = format!("/rest/ua/v15/analytics/{kind}");
        self.request("POST", &path, &headers, body.to_string().as_bytes())
    }

    /// Adds fault rules (object or array); asserts the control API took them.
    pub fn add_fault(&self, rule: Value) {
        let r = self.request(
            "POST",
            "/_emulator/faults",
            &[],
            rule.to_string().as_bytes(),
        );
        assert_eq!(r.status, 200, "fault rule refused: {}", r.text());
    }

    /// The event log.
    pub fn events(&self) -> Vec<Value> {
        let r = self.request("GET", "/_emulator/events", &[], b"");
        assert_eq!(r.status, 200);
        match r.json() {
            Value::Array(a) => a,
            other => panic!("events is not an array: {other}"),
        }
    }

    /// The counters.
    pub fn stats(&self) -> Value {
        let r = self.request("GET", "/_emulator/stats", &[], b"");
        assert_eq!(r.status, 200);
        r.json()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An answer.
#[derive(Debug)]
pub struct Resp {
    /// Status code.
    pub status: u16,
    /// Header lines (names as sent).
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl Resp {
    /// First header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Body as JSON; panics with the text when it is not.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("answer is not JSON ({e}): {}", self.text()))
    }

    /// Asserts a service error of `status` and `type`, JSON typed; returns the message.
    pub fn expect_error(&self, status: u16, kind: &str) -> String {
        assert_eq!(self.status, status, "unexpected answer: {}", self.text());
        assert_eq!(self.header("content-type"), Some("application/json"));
        let v = self.json();
        assert_eq!(v["type"], kind, "unexpected answer: {v}");
        v["message"]
            .as_str()
            .expect("message is a string")
            .to_string()
    }
}

/// A plain HTTP/1.1 client over one socket.
pub struct Client {
    /// The socket.
    pub stream: TcpStream,
    buf: Vec<u8>,
}

impl Client {
    /// Connects with bounded reads and writes.
    pub fn connect(addr: &str) -> Client {
        let stream = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
        stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        stream.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
        Client {
            stream,
            buf: Vec::new(),
        }
    }

    /// Sends bytes as they are.
    pub fn send_raw(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(bytes)
    }

    /// Sends one request with a Content-Length body.
    pub fn request(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Resp {
        self.send(method, path, headers, body);
        self.read_response()
            .unwrap_or_else(|e| panic!("no answer to {method} {path}: {e}"))
    }

    /// Sends one request without reading the answer.
    pub fn send(&mut self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) {
        let mut req = format!("{method} {path} HTTP/1.1\r\nHost: test\r\n").into_bytes();
        for (k, v) in headers {
            req.extend_from_slice(format!("{k}: {v}\r\n").as_bytes());
        }
        if !body.is_empty() || method == "POST" {
            req.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
        }
        req.extend_from_slice(b"\r\n");
        req.extend_from_slice(body);
        self.send_raw(&req).expect("send request");
    }

    fn fill(&mut self) -> std::io::Result<usize> {
        let mut chunk = [0u8; 8192];
        let n = self.stream.read(&mut chunk)?;
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(n)
    }

    /// Reads one answer (skipping `100 Continue`).
    pub fn read_response(&mut self) -> std::io::Result<Resp> {
        loop {
            let head_end = loop {
                if let Some(p) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    break p + 4;
                }
                if self.fill()? == 0 {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        format!(
                            "closed before a full answer head; got {:?}",
                            String::from_utf8_lossy(&self.buf)
                        ),
                    ));
                }
            };
            let head = String::from_utf8_lossy(&self.buf[..head_end]).into_owned();
            let mut lines = head.split("\r\n");
            let status_line = lines.next().unwrap_or_default();
            let status: u16 = status_line
                .get(9..12)
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| std::io::Error::other(format!("bad status line {status_line:?}")))?;
            let headers: Vec<(String, String)> = lines
                .filter(|l| !l.is_empty())
                .filter_map(|l| l.split_once(':'))
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .collect();
            self.buf.drain(..head_end);
            if status == 100 {
                continue;
            }
            let length: usize = headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                .map(|(_, v)| v.parse().expect("numeric Content-Length"))
                .unwrap_or(0);
            while self.buf.len() < length {
                if self.fill()? == 0 {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        format!("body cut at {} of {length} bytes", self.buf.len()),
                    ));
                }
            }
            let body = self.buf.drain(..length).collect();
            return Ok(Resp {
                status,
                headers,
                body,
            });
        }
    }

    /// Reads until the server closes; returns everything it sent (error if reset).
    pub fn read_to_close(&mut self) -> std::io::Result<Vec<u8>> {
        let mut all = std::mem::take(&mut self.buf);
        self.stream.read_to_end(&mut all)?;
        Ok(all)
    }
}

/// A valid custom event.
pub fn custom_event() -> Value {
    serde_json::json!({"eventType": "test", "eventValue": "value", "language": "en"})
}

/// Sends a valid custom event with the test token on `c` without reading the
/// answer.
pub fn send_event(c: &mut Client) {
    let auth = format!("Bearer {TOKEN}");
    let h = [
        ("Content-Type", "application/json"),
        ("Authorization", auth.as_str()),
    ];
    c.send(
        "POST",
        "/rest/ua/v15/analytics/custom",
        &h,
        custom_event().to_string().as_bytes(),
    );
}

/// A valid event of each kind.
pub fn valid_event(kind: &str) -> Value {
    match kind {
        "search" => serde_json::json!({"actionCause": "searchboxSubmit", "language": "en",
            "queryText": "q", "responseTime": 12, "searchQueryUid": "u-1"}),
        "click" => serde_json::json!({"actionCause": "documentOpen", "documentPosition": 1,
            "language": "en", "searchQueryUid": "u-1", "sourceName": "web"}),
        "custom" => custom_event(),
        "view" => serde_json::json!({"location": "https://example.com/page"}),
        "collect" => serde_json::json!({"t": "event", "ec": "case", "ea": "open",
            "cid": "5d1c0a7e-3b2f-4c8d-9e6a-1f2b3c4d5e6f", "svc_action": "ticket_create"}),
        other => panic!("no such kind {other}"),
    }
}

/// Sends a signal to a process.
pub fn signal(pid: u32, sig: libc::c_int) {
    // SAFETY: plain kill(2) on a child we started.
    let rc = unsafe { libc::kill(pid as libc::pid_t, sig) };
    assert_eq!(rc, 0, "kill failed");
}

/// True for a random (version 4) UUID, which is what the emulator hands out:
/// five hexadecimal groups of 8-4-4-4-12 digits, version digit 4, variant
/// 8, 9, a or b. Checked here on its own terms, not with the emulator's code.
pub fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    let lengths: Vec<usize> = groups.iter().map(|g| g.len()).collect();
    lengths == [8, 4, 4, 4, 12]
        && groups
            .iter()
            .all(|g| g.chars().all(|c| c.is_ascii_hexdigit()))
        && groups[2].starts_with('4')
        && groups[3].starts_with(['8', '9', 'a', 'b', 'A', 'B'])
}

/// A search token (JWT, HS256) with `payload` as claims, signed with `secret`.
pub fn search_token(payload: &Value, secret: &str) -> String {
    use base64::Engine;
    let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let signed = format!(
        "{}.{}",
        e.encode(r#"{"alg":"HS256","typ":"JWT"}"#),
        e.encode(payload.to_string())
    );
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
    let sig = ring::hmac::sign(&key, signed.as_bytes());
    format!("{signed}.{}", e.encode(sig.as_ref()))
}

/// Seconds since the epoch, plus `offset`.
pub fn epoch_plus(offset: i64) -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64;
    now + offset
}
