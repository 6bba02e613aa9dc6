//! A small blocking HTTP/1.1 server side: reads one request at a time from a
//! keep-alive connection (Content-Length or chunked bodies, pipelining kept in
//! the buffer) and writes answers. Every limit answers with a clear status
//! instead of buffering without bound or waiting forever.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use std::os::fd::AsRawFd;

use std::sync::atomic::AtomicUsize;

use crate::SHUTDOWN;

/// How long an idle keep-alive connection polls before blocking (see `Conn::spin_read`).
const SPIN: Duration = Duration::from_micros(50);
/// After a poll that saw nothing, a connection blocks at once this many times
/// before polling again: a client that is slow or idle costs no CPU.
const SPIN_BACKOFF: u32 = 32;

/// Connections polling right now. Only one may, so that polling never takes
/// more than one core from the clients, however many connections are busy.
static SPINNERS: AtomicUsize = AtomicUsize::new(0);

/// Largest request line plus header section accepted (431 beyond it).
pub const MAX_HEAD: usize = 16 * 1024;
/// Most header lines accepted (431 beyond it).
const MAX_HEADERS: usize = 64;
/// How long a keep-alive connection may sit idle between requests.
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a client may take to send one whole request once it started.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Granularity of blocking reads, so idle connections notice shutdown and deadlines.
const READ_SLICE: Duration = Duration::from_secs(1);

/// One parsed request. The fields the emulator looks at are pulled out of the
/// header section; the rest is dropped.
#[derive(Debug, Default)]
pub struct Request {
    /// Method token as sent (`POST`, `GET`, ...).
    pub method: String,
    /// Path part of the request target, without the query.
    pub path: String,
    /// Query string without the `?` (empty when absent).
    pub query: String,
    /// `Accept` header, if sent.
    pub accept: Option<String>,
    /// `Content-Type` header, if sent.
    pub content_type: Option<String>,
    /// Every `Authorization` header, in order (normally zero or one).
    pub authorization: Vec<String>,
    /// Why the header section is not acceptable to the service (InvalidHeadersException).
    pub bad_header: Option<String>,
    /// Whether the connection may serve another request after this one.
    pub keep_alive: bool,
    /// The request body, de-chunked.
    pub body: Vec<u8>,
}

impl Request {
    /// Value of query parameter `name`, percent-decoded; `None` when absent.
    pub fn query_param(&self, name: &str) -> Option<String> {
        self.query.split('&').find_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (k == name).then(|| percent_decode(v))
        })
    }
}

/// Why a request could not be read. Each maps to an answer (or none) and a close.
#[derive(Debug)]
pub enum ReadError {
    /// The client closed or went quiet between requests: close silently.
    Gone,
    /// Not HTTP/1.x as we understand it: 400, then close.
    Malformed(String),
    /// A header name or value holds bytes HTTP forbids: 400 InvalidHeadersException, then close.
    BadHeaderBytes,
    /// Request line and headers over [`MAX_HEAD`] or too many headers: 431, then close.
    HeadTooLarge,
    /// Declared or de-chunked body over the limit: 413, then close (body left unread).
    BodyTooLarge(usize),
    /// The client started a request and did not finish it in time: 408, then close.
    TooSlow,
}

/// An answer to write.
#[derive(Debug)]
pub struct Response {
    /// HTTP status code.
    pub status: u16,
    /// Value of `Content-Type`; `None` sends no such header.
    pub content_type: Option<&'static str>,
    /// Body bytes.
    pub body: Vec<u8>,
    /// Extra header lines as (name, value).
    pub headers: Vec<(&'static str, String)>,
    /// Close the connection after this answer.
    pub close: bool,
}

impl Response {
    /// A JSON answer.
    pub fn json(status: u16, body: Vec<u8>) -> Response {
        Response {
            status,
            content_type: Some("application/json"),
            body,
            headers: Vec::new(),
            close: false,
        }
    }

    /// The service's error shape: `{"message": ..., "type": ...}`.
    pub fn error(status: u16, kind: &str, message: &str) -> Response {
        let body = serde_json::json!({ "message": message, "type": kind });
        Response::json(status, body.to_string().into_bytes())
    }

    /// Serializes status line, headers and body into `out` (cleared first).
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.clear();
        out.extend_from_slice(b"HTTP/1.1 ");
        out.extend_from_slice(self.status.to_string().as_bytes());
        out.push(b' ');
        out.extend_from_slice(reason(self.status).as_bytes());
        out.extend_from_slice(b"\r\n");
        if let Some(ct) = self.content_type {
            out.extend_from_slice(b"Content-Type: ");
            out.extend_from_slice(ct.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"Content-Length: ");
        out.extend_from_slice(self.body.len().to_string().as_bytes());
        out.extend_from_slice(b"\r\n");
        for (name, value) in &self.headers {
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        if self.close {
            out.extend_from_slice(b"Connection: close\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&self.body);
    }
}

/// Reason phrase for the statuses the emulator sends (others get a generic one).
pub fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        408 => "Request Timeout",
        413 => "Content Too Large",
        415 => "Unsupported Media Type",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        s if s < 300 => "Success",
        s if s < 400 => "Redirection",
        s if s < 500 => "Client Error",
        _ => "Server Error",
    }
}

/// One client connection with its reusable buffers.
pub struct Conn {
    /// The socket.
    pub stream: TcpStream,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// Scratch space for encoding answers.
    pub out: Vec<u8>,
    spare_body: Vec<u8>,
    /// Idle waits left before this connection may poll again.
    spin_skips: u32,
}

impl Conn {
    /// Wraps an accepted socket and sets its timeouts.
    pub fn new(stream: TcpStream) -> std::io::Result<Conn> {
        stream.set_read_timeout(Some(READ_SLICE))?;
        stream.set_write_timeout(Some(REQUEST_TIMEOUT))?;
        stream.set_nodelay(true)?;
        Ok(Conn {
            stream,
            buf: vec![0; MAX_HEAD + 4096],
            start: 0,
            end: 0,
            out: Vec::with_capacity(1024),
            spare_body: Vec::with_capacity(4096),
            spin_skips: 0,
        })
    }

    /// Hands a request body back so its allocation serves the next request.
    pub fn recycle(&mut self, mut body: Vec<u8>) {
        if body.capacity() <= 1 << 16 {
            body.clear();
            self.spare_body = body;
        }
    }

    /// Reads more bytes into the buffer. `started` is when the current request
    /// began (`None` while idle between requests). Returns the count read (> 0).
    fn fill(&mut self, started: Option<Instant>, idle_since: Instant) -> Result<usize, ReadError> {
        if self.start > 0 && self.end == self.buf.len() {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.len() {
            // Only reachable when the head is over the limit; the caller checks.
            return Err(ReadError::HeadTooLarge);
        }
        if started.is_none() {
            if let Some(n) = self.maybe_spin() {
                return Ok(n);
            }
        }
        loop {
            match self.stream.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    return Err(match started {
                        None => ReadError::Gone,
                        Some(_) => ReadError::Malformed("connection closed mid-request".into()),
                    })
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(n);
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    if SHUTDOWN.load(Ordering::Relaxed) {
                        return Err(ReadError::Gone);
                    }
                    match started {
                        Some(t) if t.elapsed() >= REQUEST_TIMEOUT => {
                            return Err(ReadError::TooSlow)
                        }
                        None if idle_since.elapsed() >= IDLE_TIMEOUT => {
                            return Err(ReadError::Gone)
                        }
                        _ => continue,
                    }
                }
                Err(_) => return Err(ReadError::Gone),
            }
        }
    }

    /// Polls for the next request when allowed (see `spin_read`), and backs off
    /// after a poll that saw nothing.
    fn maybe_spin(&mut self) -> Option<usize> {
        if self.spin_skips > 0 {
            self.spin_skips -= 1;
            return None;
        }
        if SPINNERS.fetch_add(1, Ordering::Acquire) > 0 {
            SPINNERS.fetch_sub(1, Ordering::Release);
            return None;
        }
        let got = self.spin_read();
        SPINNERS.fetch_sub(1, Ordering::Release);
        if got.is_none() {
            self.spin_skips = SPIN_BACKOFF;
        }
        got
    }

    /// Polls the socket without blocking for a few microseconds. A client that
    /// sends its next request at once is then served without this thread going
    /// to sleep and being woken again, which on a small (virtual) machine costs
    /// more than the request itself. Returns the count read, if any.
    fn spin_read(&mut self) -> Option<usize> {
        let t0 = Instant::now();
        while t0.elapsed() < SPIN {
            let free = &mut self.buf[self.end..];
            // SAFETY: `free` is a valid writable buffer of the given length.
            let n = unsafe {
                libc::recv(
                    self.stream.as_raw_fd(),
                    free.as_mut_ptr() as *mut libc::c_void,
                    free.len(),
                    libc::MSG_DONTWAIT,
                )
            };
            if n > 0 {
                self.end += n as usize;
                return Some(n as usize);
            }
            if n == 0 {
                return None; // orderly close: let the blocking read report it
            }
            std::hint::spin_loop();
        }
        None
    }

    /// Reads the next request. `max_body` bounds the body size.
    pub fn read_request(&mut self, max_body: usize) -> Result<Request, ReadError> {
        let idle_since = Instant::now();
        let mut started = (self.end > self.start).then(Instant::now);
        // Head.
        let (mut req, head_len, body_kind, expect_continue) = loop {
            if self.end > self.start {
                let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
                let mut parsed = httparse::Request::new(&mut headers);
                match parsed.parse(&self.buf[self.start..self.end]) {
                    Ok(httparse::Status::Complete(len)) => {
                        if len > MAX_HEAD {
                            return Err(ReadError::HeadTooLarge);
                        }
                        let (req, kind, expect) = interpret_head(&parsed)?;
                        break (req, len, kind, expect);
                    }
                    Ok(httparse::Status::Partial) => {
                        if self.end - self.start >= MAX_HEAD {
                            return Err(ReadError::HeadTooLarge);
                        }
                    }
                    Err(httparse::Error::TooManyHeaders) => return Err(ReadError::HeadTooLarge),
                    Err(httparse::Error::HeaderName | httparse::Error::HeaderValue) => {
                        return Err(ReadError::BadHeaderBytes)
                    }
                    Err(e) => return Err(ReadError::Malformed(format!("unreadable request: {e}"))),
                }
            }
            self.fill(started, idle_since)?;
            started.get_or_insert_with(Instant::now);
        };
        let started = started.unwrap_or_else(Instant::now);
        self.start += head_len;
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
        let mut body = std::mem::take(&mut self.spare_body);
        body.clear();
        match body_kind {
            BodyKind::None => {}
            BodyKind::Length(n) => {
                if n > max_body {
                    return Err(ReadError::BodyTooLarge(n));
                }
                if expect_continue && self.end - self.start < n {
                    self.send_continue()?;
                }
                body.reserve(n);
                while body.len() < n {
                    if self.start == self.end {
                        self.start = 0;
                        self.end = 0;
                        self.fill(Some(started), idle_since)?;
                    }
                    let take = (n - body.len()).min(self.end - self.start);
                    body.extend_from_slice(&self.buf[self.start..self.start + take]);
                    self.start += take;
                }
            }
            BodyKind::Chunked => {
                if expect_continue && self.start == self.end {
                    self.send_continue()?;
                }
                self.read_chunked(&mut body, max_body, started, idle_since)?;
            }
        }
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
        req.body = body;
        Ok(req)
    }

    fn send_continue(&mut self) -> Result<(), ReadError> {
        self.stream
            .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
            .map_err(|_| ReadError::Gone)
    }

    /// Reads one CRLF-terminated line of the chunked framing (without the CRLF).
    fn read_line(&mut self, started: Instant, idle_since: Instant) -> Result<Vec<u8>, ReadError> {
        loop {
            let window = &self.buf[self.start..self.end];
            if let Some(pos) = window.windows(2).position(|w| w == b"\r\n") {
                let line = window[..pos].to_vec();
                self.start += pos + 2;
                return Ok(line);
            }
            if self.end - self.start > 4096 {
                return Err(ReadError::Malformed("chunk framing line too long".into()));
            }
            self.fill(Some(started), idle_since)?;
        }
    }

    fn read_chunked(
        &mut self,
        body: &mut Vec<u8>,
        max_body: usize,
        started: Instant,
        idle_since: Instant,
    ) -> Result<(), ReadError> {
        loop {
            let line = self.read_line(started, idle_since)?;
            let size_text = line.split(|&b| b == b';').next().unwrap_or_default();
            let size_text = std::str::from_utf8(size_text)
                .ok()
                .map(str::trim)
                .filter(|s| !s.is_empty() && s.len() <= 15)
                .ok_or_else(|| ReadError::Malformed("bad chunk size".into()))?;
            let size = usize::from_str_radix(size_text, 16)
                .map_err(|_| ReadError::Malformed("bad chunk size".into()))?;
            if size == 0 {
                // Trailer section: lines until an empty one.
                while !self.read_line(started, idle_since)?.is_empty() {}
                return Ok(());
            }
            if body.len() + size > max_body {
                return Err(ReadError::BodyTooLarge(body.len() + size));
            }
            let want = body.len() + size;
            while body.len() < want {
                if self.start == self.end {
                    self.start = 0;
                    self.end = 0;
                    self.fill(Some(started), idle_since)?;
                }
                let take = (want - body.len()).min(self.end - self.start);
                body.extend_from_slice(&self.buf[self.start..self.start + take]);
                self.start += take;
            }
            if !self.read_line(started, idle_since)?.is_empty() {
                return Err(ReadError::Malformed("chunk not followed by CRLF".into()));
            }
        }
    }

    /// Encodes and sends an answer. Returns false when the client is gone.
    pub fn send(&mut self, resp: &Response) -> bool {
        let mut out = std::mem::take(&mut self.out);
        resp.encode(&mut out);
        let ok = self.stream.write_all(&out).is_ok();
        self.out = out;
        ok
    }
}

enum BodyKind {
    None,
    Length(usize),
    Chunked,
}

/// Pulls what the emulator needs out of a parsed head and decides how the body is framed.
fn interpret_head(parsed: &httparse::Request) -> Result<(Request, BodyKind, bool), ReadError> {
    let method = parsed.method.unwrap_or_default().to_string();
    let target = parsed.path.unwrap_or_default();
    // Absolute-form targets (proxies) carry scheme and authority first.
    let target = match target.find("://") {
        Some(i) => target[i + 3..]
            .find('/')
            .map_or("/", |j| &target[i + 3 + j..]),
        None => target,
    };
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let version = parsed.version.unwrap_or(1);
    // An answer to HEAD would carry no body; ours always have one (405), so
    // the connection is closed after it rather than left out of step.
    let head_method = method == "HEAD";
    let mut req = Request {
        method,
        path: path.to_string(),
        query: query.to_string(),
        keep_alive: version >= 1,
        ..Request::default()
    };
    let mut length: Option<usize> = None;
    let mut chunked = false;
    let mut expect = false;
    for h in parsed.headers.iter() {
        let name = h.name;
        let value = h.value;
        if req.bad_header.is_none() {
            if let Some(b) = value
                .iter()
                .find(|&&b| !(b == b'\t' || (0x20..0x7f).contains(&b)))
            {
                req.bad_header = Some(format!(
                    "header '{name}' holds byte 0x{b:02x}, which is not visible ASCII"
                ));
            }
        }
        let text = || String::from_utf8_lossy(value).trim().to_string();
        if name.eq_ignore_ascii_case("content-length") {
            let v = std::str::from_utf8(value).unwrap_or("").trim();
            if v.is_empty() || v.len() > 18 || !v.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ReadError::Malformed(
                    "Content-Length is not a number".into(),
                ));
            }
            let n: usize = v
                .parse()
                .map_err(|_| ReadError::Malformed("Content-Length".into()))?;
            if length.is_some_and(|m| m != n) {
                return Err(ReadError::Malformed(
                    "conflicting Content-Length headers".into(),
                ));
            }
            length = Some(n);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            let v = text().to_ascii_lowercase();
            if v != "chunked" {
                return Err(ReadError::Malformed(format!(
                    "Transfer-Encoding '{v}' is not supported (only chunked)"
                )));
            }
            chunked = true;
        } else if name.eq_ignore_ascii_case("connection") {
            let v = text().to_ascii_lowercase();
            if v.split(',').any(|t| t.trim() == "close") {
                req.keep_alive = false;
            } else if v.split(',').any(|t| t.trim() == "keep-alive") {
                req.keep_alive = true;
            }
        } else if name.eq_ignore_ascii_case("accept") {
            req.accept = Some(text());
        } else if name.eq_ignore_ascii_case("content-type") {
            req.content_type = Some(text());
        } else if name.eq_ignore_ascii_case("authorization") {
            req.authorization.push(text());
        } else if name.eq_ignore_ascii_case("expect") {
            expect = text().eq_ignore_ascii_case("100-continue");
        } else if name.eq_ignore_ascii_case("x-forwarded-for") && req.bad_header.is_none() {
            let v = text();
            let valid = v
                .split(',')
                .all(|part| part.trim().parse::<std::net::IpAddr>().is_ok());
            if !valid {
                req.bad_header =
                    Some("header 'X-Forwarded-For' is not a list of IP addresses".into());
            }
        }
    }
    if head_method {
        req.keep_alive = false;
    }
    if req.authorization.len() > 1 && req.bad_header.is_none() {
        req.bad_header = Some("header 'Authorization' is repeated".into());
    }
    let kind = match (chunked, length) {
        (true, Some(_)) => {
            return Err(ReadError::Malformed(
                "both Content-Length and Transfer-Encoding were sent".into(),
            ))
        }
        (true, None) => BodyKind::Chunked,
        (false, Some(0)) | (false, None) => BodyKind::None,
        (false, Some(n)) => BodyKind::Length(n),
    };
    Ok((req, kind, expect))
}

/// Decodes `%XX` escapes and `+` (as space) in a query value; bad escapes stay as they are.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding_handles_escapes_and_bad_input() {
        assert_eq!(percent_decode("a%20b+c"), "a b c");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
        assert_eq!(percent_decode("%4"), "%4");
    }

    #[test]
    fn encode_writes_length_and_close() {
        let mut r = Response::error(404, "InvalidUri", "nope");
        r.close = true;
        let mut out = Vec::new();
        r.encode(&mut out);
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("HTTP/1.1 404 Not Found\r\n"));
        assert!(text.contains("Connection: close\r\n"));
        assert!(text.contains(&format!("Content-Length: {}\r\n", r.body.len())));
    }
}
