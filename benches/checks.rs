//! Times the library's checks of an event before sending (JSON syntax,
//! required fields, field types), with no network: `validate::check_event` on
//! the same bodies the network rows send, many times, reporting ns per event.
//!
//! Usage: bench-checks --event NAME=FILE [--event NAME=FILE ...] [--iterations N] [--batches B]
//! Prints one JSON line per event: {"label","bytes","iterations","batches",
//! "ns_per_event" (median batch), "ns_per_event_min"}.

use coveo_ua::__internals::check_event;
use coveo_ua::EventKind;
use std::hint::black_box;
use std::process::exit;
use std::time::Instant;

struct Args {
    events: Vec<(String, String)>,
    iterations: u64,
    batches: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        events: Vec::new(),
        iterations: 200_000,
        batches: 5,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--event" => {
                let (name, path) = value.split_once('=').ok_or("--event wants NAME=FILE")?;
                let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
                args.events
                    .push((name.to_string(), text.trim_end().to_string()));
            }
            "--iterations" => {
                args.iterations = value.parse().map_err(|_| "--iterations: not a number")?
            }
            "--batches" => args.batches = value.parse().map_err(|_| "--batches: not a number")?,
            other => return Err(format!("unknown option {other}")),
        }
    }
    if args.events.is_empty() || args.iterations == 0 || args.batches == 0 {
        return Err("give at least one --event, and positive --iterations and --batches".into());
    }
    Ok(args)
}

/// Nanoseconds per check over `n` checks of `body`.
fn time_batch(body: &str, n: u64) -> f64 {
    let start = Instant::now();
    for _ in 0..n {
        let verdict = check_event(
            black_box(EventKind::Custom),
            black_box(body),
            black_box(None),
        );
        black_box(verdict.is_ok());
    }
    start.elapsed().as_nanos() as f64 / n as f64
}

fn main() {
    let args = parse_args().unwrap_or_else(|e| {
        eprintln!("bench-checks: {e}");
        exit(2);
    });
    for (name, body) in &args.events {
        // A benchmark of an event the checks refuse would time the error path.
        if let Err(rejection) = check_event(EventKind::Custom, body, None) {
            eprintln!("bench-checks: event {name} is refused: {rejection:?}");
            exit(1);
        }
        // Scale iterations with size so every event gets similar wall time.
        let n = (args.iterations * 300 / body.len().max(300) as u64).max(100);
        time_batch(body, n / 10 + 1); // warm-up: caches, branch predictors, allocator
        let mut per_batch: Vec<f64> = (0..args.batches).map(|_| time_batch(body, n)).collect();
        per_batch.sort_by(|a, b| a.total_cmp(b));
        println!(
            "{{\"label\":\"checks-{name}\",\"bytes\":{},\"iterations\":{},\"batches\":{},\
             \"ns_per_event\":{:.1},\"ns_per_event_min\":{:.1}}}",
            body.len(),
            n,
            args.batches,
            per_batch[per_batch.len() / 2],
            per_batch[0]
        );
    }
}
