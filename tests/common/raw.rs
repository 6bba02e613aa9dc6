//! Raw loopback servers for answers the emulator cannot give (a redirect with
//! a Location, a huge body, a connection closed after each answer), and the
//! request reader they share.

use std::time::Duration;

/// A loopback listener that hands each connection to `handler` on a thread of
/// its own. Stopped (its accept thread joined) when dropped, and stops by
/// itself after a minute so a failed test never leaves it running.
pub struct TcpService {
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// Connections accepted so far.
    pub accepted: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    accept_thread: Option<std::thread::JoinHandle<()>>,
}

impl TcpService {
    /// Listens on a free loopback port; `handler` gets each accepted stream
    /// (blocking, with 5 s read and 10 s write timeouts).
    pub fn start(handler: impl Fn(std::net::TcpStream) + Send + Sync + 'static) -> TcpService {
        use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
        use std::sync::Arc;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().expect("addr").port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let handler = Arc::new(handler);
        let (count, stopping) = (accepted.clone(), stop.clone());
        let accept_thread = std::thread::spawn(move || {
            let give_up = std::time::Instant::now() + Duration::from_secs(60);
            while !stopping.load(Ordering::Relaxed) && std::time::Instant::now() < give_up {
                match listener.accept() {
                    Ok((stream, _)) => {
                        count.fetch_add(1, Ordering::SeqCst);
                        let handler = handler.clone();
                        std::thread::spawn(move || {
                            let _ = stream.set_nonblocking(false);
                            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                            let _ = stream.set_write_timeout(Some(Duration::from_secs(10)));
                            handler(stream);
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        TcpService {
            port,
            accepted,
            stop,
            accept_thread: Some(accept_thread),
        }
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.accepted.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Drop for TcpService {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(t) = self.accept_thread.take() {
            let _ = t.join();
        }
    }
}

/// A tiny HTTP/1.1 responder for answers the emulator cannot give (a redirect
/// with a Location, a huge body): each connection's request is read (head,
/// then Content-Length bytes), recorded, and handed with the stream to `respond`.
pub struct RawServer {
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// Every request received (head and body), in arrival order.
    pub requests: std::sync::Arc<std::sync::Mutex<Vec<Vec<u8>>>>,
    _service: TcpService,
}

impl RawServer {
    /// Starts a responder; `respond` writes the answer (errors are ignored: the
    /// client may leave early, which is the point of some tests).
    pub fn start(
        respond: impl Fn(&[u8], &mut std::net::TcpStream) + Send + Sync + 'static,
    ) -> RawServer {
        let requests = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = requests.clone();
        let service = TcpService::start(move |mut stream| {
            let request = read_request(&mut stream);
            seen.lock().unwrap().push(request.clone());
            respond(&request, &mut stream);
        });
        RawServer {
            port: service.port,
            requests,
            _service: service,
        }
    }

    /// How many requests arrived.
    pub fn request_count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }
}

/// Reads one HTTP request: the head up to the blank line, then as many body
/// bytes as its Content-Length says (bounded, with the stream's read timeout).
pub fn read_request(stream: &mut impl std::io::Read) -> Vec<u8> {
    let mut data = Vec::new();
    let mut byte = [0u8; 1];
    while !data.ends_with(b"\r\n\r\n") && data.len() < 64 * 1024 {
        match stream.read(&mut byte) {
            Ok(1) => data.push(byte[0]),
            _ => return data,
        }
    }
    let head = String::from_utf8_lossy(&data).to_ascii_lowercase();
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0)
        .min(1 << 20);
    let mut body = vec![0u8; length];
    if stream.read_exact(&mut body).is_ok() {
        data.extend_from_slice(&body);
    }
    data
}
