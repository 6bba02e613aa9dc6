//! The delivery queue from Rust: `coveo_ua::Queue::enqueue` timed per call,
//! the Rust side of bench_queue's `--mode enqueue` (one thread), so the two
//! rows show what the C boundary adds. Same method: a warm-up, flushed; pass 1
//! reads `Instant::now()` (clock_gettime(CLOCK_MONOTONIC)) around every call;
//! pass 2 times batches of 100 calls; then the flush, untimed, and the
//! counters, which must show every event delivered.
//!
//! Built by benches/harness/build.py with rustc against the workspace's
//! release rlib (target/release/libcoveo_ua.rlib), so it needs no Cargo target.
//!
//! Usage: bench_queue_rs --endpoint URL --token T --event-file F [--events N]
//! [--warmup N] [--spool-dir D] [--label L]. Prints one JSON line.

use coveo_ua::{EventKind, Options, Queue};
use std::process::exit;
use std::time::{Duration, Instant};

struct Args {
    endpoint: String,
    token: String,
    body: String,
    events: usize,
    warmup: usize,
    spool_dir: Option<String>,
    label: String,
}

fn parse() -> Result<Args, String> {
    let mut a = Args {
        endpoint: String::new(),
        token: String::new(),
        body: String::new(),
        events: 1000,
        warmup: 200,
        spool_dir: None,
        label: "rust-queue".into(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let v = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--endpoint" => a.endpoint = v,
            "--token" => a.token = v,
            "--event-file" => {
                a.body = std::fs::read_to_string(&v)
                    .map_err(|e| format!("{v}: {e}"))?
                    .trim_end()
                    .to_string()
            }
            "--events" => a.events = v.parse().map_err(|_| "--events: not a number")?,
            "--warmup" => a.warmup = v.parse().map_err(|_| "--warmup: not a number")?,
            "--spool-dir" => a.spool_dir = Some(v),
            "--label" => a.label = v,
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    if a.endpoint.is_empty() || a.token.is_empty() || a.body.is_empty() || a.events == 0 {
        return Err("--endpoint, --token, --event-file and --events >= 1 are required".into());
    }
    Ok(a)
}

/// Nearest-rank percentile of sorted nanoseconds.
fn pct(sorted: &[u64], p: f64) -> u64 {
    let n = sorted.len();
    let rank = ((p / 100.0) * n as f64).ceil().clamp(1.0, n as f64) as usize;
    sorted[rank - 1]
}

fn main() {
    let a = parse().unwrap_or_else(|e| {
        eprintln!("bench_queue_rs: {e}");
        exit(2)
    });
    let total = a.warmup + 2 * a.events;
    let mut o = Options::new();
    o.set_token(&a.token).expect("token");
    o.set_endpoint(Some(&a.endpoint)).expect("endpoint");
    // Room for the whole run and a quarter more, as bench_queue.c does.
    let cap_events = (total + total / 4 + 16) as u32;
    let cap_bytes = (total * (a.body.len() + 21) * 5 / 4 + 65536) as u64;
    o.set_queue_capacity(cap_events, cap_bytes)
        .expect("capacity");
    // At most 8 workers, as bench_queue.c sets: with the default (64) the
    // workers keep up during the passes and take the CPU the timed thread
    // needs, so the rows would not compare.
    o.set_queue_workers(8).expect("workers");
    if let Some(d) = &a.spool_dir {
        o.set_spool_dir(Some(d)).expect("spool dir");
    }
    let q = Queue::new(&o).unwrap_or_else(|e| {
        eprintln!("bench_queue_rs: Queue::new: {e}");
        exit(2)
    });
    let mut errors = 0u64;
    for _ in 0..a.warmup {
        errors += q.enqueue(EventKind::Custom, &a.body).is_err() as u64;
    }
    if q.flush(Duration::from_secs(60)).is_err() {
        eprintln!("bench_queue_rs: the warm-up's flush did not finish within 60 s");
        exit(2);
    }
    // Pass 1: one clock pair around every call.
    let mut lat = vec![0u64; a.events];
    let t0 = Instant::now();
    for slot in lat.iter_mut() {
        let s = Instant::now();
        errors += q.enqueue(EventKind::Custom, &a.body).is_err() as u64;
        *slot = s.elapsed().as_nanos() as u64;
    }
    let secs = t0.elapsed().as_secs_f64();
    // Pass 2: one clock pair per batch of 100 calls.
    let mut batches = Vec::with_capacity(a.events / 100 + 1);
    let mut done = 0;
    while done + 100 <= a.events {
        let s = Instant::now();
        for _ in 0..100 {
            errors += q.enqueue(EventKind::Custom, &a.body).is_err() as u64;
        }
        batches.push(s.elapsed().as_nanos() as u64 / 100);
        done += 100;
    }
    for _ in done..a.events {
        errors += q.enqueue(EventKind::Custom, &a.body).is_err() as u64;
    }
    let f0 = Instant::now();
    let flushed = q.flush(Duration::from_secs(300));
    let drain = f0.elapsed().as_secs_f64();
    let c = q.counters();
    let closed = q.close(Duration::from_secs(5));
    drop(q);

    let mean = lat.iter().sum::<u64>() as f64 / lat.len() as f64;
    lat.sort_unstable();
    batches.sort_unstable();
    let identity = c.enqueued + c.recovered == c.delivered + c.failed + c.pending;
    let expected = total as u64 - errors;
    let undelivered = c.failed + c.pending + expected.saturating_sub(c.delivered);
    println!(
        "{{\"label\":\"{}\",\"mode\":\"enqueue\",\"language\":\"rust\",\"threads\":1,\"spool\":{},\"latency_ms\":0,\
         \"events\":{},\"errors\":{},\"seconds\":{:.6},\"events_per_s\":{:.1},\"p50_ns\":{},\"p90_ns\":{},\
         \"p99_ns\":{},\"p999_ns\":{},\"max_ns\":{},\"mean_ns\":{:.1},\"batch_p50_ns\":{},\"batch_p99_ns\":{},\
         \"drain_s\":{:.3},\"flush\":\"{}\",\"close\":\"{}\",\"expected_delivered\":{},\"undelivered\":{},\
         \"counters\":{{\"enqueued\":{},\"delivered\":{},\"failed\":{},\"refused\":{},\"pending\":{},\
         \"attempts\":{},\"recovered\":{}}},\"identity_ok\":{}}}",
        a.label,
        a.spool_dir.is_some(),
        a.events,
        errors,
        secs,
        a.events as f64 / secs,
        pct(&lat, 50.0),
        pct(&lat, 90.0),
        pct(&lat, 99.0),
        pct(&lat, 99.9),
        lat[lat.len() - 1],
        mean,
        if batches.is_empty() { 0 } else { pct(&batches, 50.0) },
        if batches.is_empty() { 0 } else { pct(&batches, 99.0) },
        drain,
        if flushed.is_ok() { "UA_OK" } else { "UA_TIMEOUT" },
        if closed.is_ok() { "UA_OK" } else { "UA_TIMEOUT" },
        expected,
        undelivered,
        c.enqueued,
        c.delivered,
        c.failed,
        c.refused,
        c.pending,
        c.attempts,
        c.recovered,
        identity
    );
    if errors > 0 || undelivered > 0 || !identity {
        exit(1);
    }
}
