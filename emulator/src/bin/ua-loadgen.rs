//! `ua-loadgen`: sends one pre-serialized custom event over raw keep-alive TCP
//! sockets as fast as the server answers, and prints one JSON line of results.
//! With `--connections 1` it is the "socket floor" the client benchmarks are
//! compared with, so the loop does the least it can: one write, reads into a
//! reused buffer, and only the status line and Content-Length are looked at.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

const USAGE: &str = "\
usage: ua-loadgen --url http://HOST:PORT/rest/ua [--token T] [--connections C]
                  [--requests N | --seconds S]
Prints {\"connections\",\"events\",\"seconds\",\"events_per_s\",\"p50_us\",\"p99_us\",
\"cpu_user_s\",\"cpu_sys_s\",\"cpu_us_per_event\",\"errors\"} on one line.";

struct Options {
    host_port: String,
    base_path: String,
    token: String,
    connections: usize,
    requests: Option<u64>,
    seconds: Option<f64>,
}

fn parse_args() -> Result<Options, String> {
    let mut url = None;
    let mut token = "xx-test-key".to_string();
    let mut connections = 1usize;
    let mut requests = None;
    let mut seconds = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--url" => url = Some(value()?),
            "--token" => token = value()?,
            "--connections" => {
                connections = value()?
                    .parse()
                    .map_err(|_| "--connections: not a number")?
            }
            "--requests" => {
                requests = Some(value()?.parse().map_err(|_| "--requests: not a number")?)
            }
            "--seconds" => seconds = Some(value()?.parse().map_err(|_| "--seconds: not a number")?),
            "--help" | "-h" => return Err(String::new()),
            other => return Err(format!("unknown option '{other}'")),
        }
    }
    let url = url.ok_or("--url is required")?;
    let rest = url
        .strip_prefix("http://")
        .ok_or("--url must start with http:// (the load generator speaks plain HTTP only)")?;
    let (host_port, base) = rest.split_once('/').unwrap_or((rest, ""));
    if connections == 0 || connections > 1024 {
        return Err("--connections must be from 1 to 1024".into());
    }
    if requests.is_none() && seconds.is_none() {
        requests = Some(10_000);
    }
    if let Some(s) = seconds {
        if !(s > 0.0 && s <= 3600.0) {
            return Err("--seconds must be above 0 and at most 3600".into());
        }
    }
    Ok(Options {
        host_port: host_port.to_string(),
        base_path: format!("/{}", base.trim_end_matches('/')),
        token,
        connections,
        requests,
        seconds,
    })
}

/// The one request every connection sends, about 300 bytes.
fn build_request(o: &Options) -> Vec<u8> {
    let body = r#"{"eventType":"loadgen","eventValue":"tick","language":"en","clientId":"6f1c4e9a-2b7d-4c1e-9a3f-5d8b0e2c7a14","originLevel1":"bench"}"#;
    format!(
        "POST {}/v15/analytics/custom HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         Accept: application/json\r\nAuthorization: Bearer {}\r\nContent-Length: {}\r\n\r\n{}",
        o.base_path.trim_end_matches('/'),
        o.host_port,
        o.token,
        body.len(),
        body
    )
    .into_bytes()
}

/// What one connection did.
struct Outcome {
    latencies_us: Vec<u32>,
    errors: u64,
}

/// Reads one answer; returns its status. `buf` is reused between calls.
fn read_answer(stream: &mut TcpStream, buf: &mut [u8]) -> std::io::Result<u16> {
    let mut have = 0usize;
    let head_end = loop {
        let n = stream.read(&mut buf[have..])?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        have += n;
        if let Some(p) = buf[..have].windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
        if have == buf.len() {
            return Err(std::io::Error::other("answer head too large"));
        }
    };
    let head = &buf[..head_end];
    let status = std::str::from_utf8(head.get(9..12).unwrap_or_default())
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other("bad status line"))?;
    let mut length = 0usize;
    for line in head.split(|&b| b == b'\n') {
        if line.len() > 15 && line[..15].eq_ignore_ascii_case(b"content-length:") {
            length = std::str::from_utf8(&line[15..])
                .ok()
                .and_then(|s| s.trim().parse().ok())
                .ok_or_else(|| std::io::Error::other("bad Content-Length"))?;
        }
    }
    let mut body_have = have - head_end;
    let mut sink = [0u8; 4096];
    while body_have < length {
        let want = (length - body_have).min(sink.len());
        let n = stream.read(&mut sink[..want])?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        body_have += n;
    }
    Ok(status)
}

fn run_connection(
    o: &Options,
    request: &[u8],
    count: Option<u64>,
    deadline: Option<Instant>,
    start: &Barrier,
) -> Outcome {
    let mut out = Outcome {
        latencies_us: Vec::with_capacity(count.unwrap_or(100_000).min(10_000_000) as usize),
        errors: 0,
    };
    let stream = TcpStream::connect(&o.host_port);
    start.wait();
    let mut stream = match stream {
        Ok(s) => s,
        Err(e) => {
            eprintln!("ua-loadgen: connect to {}: {e}", o.host_port);
            out.errors += 1;
            return out;
        }
    };
    let _ = stream.set_nodelay(true);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(10)));
    let mut buf = vec![0u8; 8192];
    let mut sent = 0u64;
    loop {
        if count.is_some_and(|c| sent >= c) {
            break;
        }
        if sent % 64 == 0 && deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
        let t0 = Instant::now();
        let result = stream
            .write_all(request)
            .and_then(|_| read_answer(&mut stream, &mut buf));
        sent += 1;
        match result {
            Ok(200) => out
                .latencies_us
                .push(t0.elapsed().as_micros().min(u32::MAX as u128) as u32),
            Ok(_) => out.errors += 1,
            Err(e) => {
                eprintln!("ua-loadgen: connection failed after {sent} requests: {e}");
                out.errors += 1;
                break;
            }
        }
    }
    out
}

fn cpu_seconds() -> (f64, f64) {
    // SAFETY: getrusage fills the zeroed struct we own.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    (secs(ru.ru_utime), secs(ru.ru_stime))
}

fn main() {
    let o = match parse_args() {
        Ok(o) => Arc::new(o),
        Err(e) if e.is_empty() => {
            println!("{USAGE}");
            return;
        }
        Err(e) => {
            eprintln!("ua-loadgen: {e}\n{USAGE}");
            std::process::exit(2);
        }
    };
    let request = Arc::new(build_request(&o));
    let start = Arc::new(Barrier::new(o.connections + 1));
    let (cpu_u0, cpu_s0) = cpu_seconds();
    let mut threads = Vec::new();
    for i in 0..o.connections {
        let (o2, req, start) = (o.clone(), request.clone(), start.clone());
        let count = o
            .requests
            .map(|n| n / o.connections as u64 + u64::from((i as u64) < n % o.connections as u64));
        let seconds = o.seconds;
        threads.push(std::thread::spawn(move || {
            let deadline = seconds.map(|s| Instant::now() + Duration::from_secs_f64(s));
            run_connection(&o2, &req, count, deadline, &start)
        }));
    }
    start.wait();
    let t0 = Instant::now();
    let mut latencies = Vec::new();
    let mut errors = 0;
    for t in threads {
        match t.join() {
            Ok(out) => {
                latencies.extend(out.latencies_us);
                errors += out.errors;
            }
            Err(_) => errors += 1,
        }
    }
    let elapsed = t0.elapsed().as_secs_f64();
    let (cpu_u1, cpu_s1) = cpu_seconds();
    latencies.sort_unstable();
    let pct = |p: f64| -> u32 {
        if latencies.is_empty() {
            0
        } else {
            latencies[((latencies.len() - 1) as f64 * p).round() as usize]
        }
    };
    let events = latencies.len() as f64;
    let (user, sys) = (cpu_u1 - cpu_u0, cpu_s1 - cpu_s0);
    println!(
        "{{\"connections\":{},\"events\":{},\"seconds\":{:.3},\"events_per_s\":{:.0},\"p50_us\":{},\"p99_us\":{},\
         \"cpu_user_s\":{:.3},\"cpu_sys_s\":{:.3},\"cpu_us_per_event\":{:.2},\"errors\":{}}}",
        o.connections,
        latencies.len(),
        elapsed,
        if elapsed > 0.0 { events / elapsed } else { 0.0 },
        pct(0.50),
        pct(0.99),
        user,
        sys,
        if events > 0.0 { (user + sys) * 1e6 / events } else { 0.0 },
        errors
    );
    if errors > 0 {
        std::process::exit(1);
    }
}
