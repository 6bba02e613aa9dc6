//! What all connections share: configuration, tokens, visitors, the event log,
//! fault rules, counters, the rate limiter, the added latency and outages.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::api;
use crate::auth::Auth;
use crate::config::Config;
use crate::events::EventLog;
use crate::faults::Faults;
use crate::ids::Visitors;
use crate::outage::Outage;

/// Counters shown by `GET /_emulator/stats`.
#[derive(Default)]
pub struct Stats {
    /// Requests answered (or dropped by a fault) outside `/_emulator/`.
    pub requests: AtomicU64,
    /// Events recorded (a `/searches` batch counts each item).
    pub accepted: AtomicU64,
    /// Requests answered with a status of 400 or more.
    pub rejected: AtomicU64,
    /// Requests a fault rule was applied to.
    pub faults_applied: AtomicU64,
    /// TCP connections accepted since start.
    pub connections: AtomicU64,
    /// `requests`, split by [`api::COUNTED_KINDS`].
    pub requests_by_kind: ByKind,
    /// `faults_applied`, split by [`api::COUNTED_KINDS`].
    pub faults_by_kind: ByKind,
}

/// One counter per entry of [`api::COUNTED_KINDS`].
#[derive(Default)]
pub struct ByKind([AtomicU64; api::COUNTED_KINDS.len()]);

impl ByKind {
    /// Adds one to the counter of kind `index`.
    pub fn bump(&self, index: usize) {
        self.0[index].fetch_add(1, Ordering::Relaxed);
    }

    fn to_json(&self) -> serde_json::Value {
        let counts = api::COUNTED_KINDS
            .iter()
            .zip(&self.0)
            .map(|(name, c)| (name.to_string(), c.load(Ordering::Relaxed).into()));
        serde_json::Value::Object(counts.collect())
    }
}

impl Stats {
    /// Adds one to a counter.
    pub fn bump(counter: &AtomicU64, by: u64) {
        counter.fetch_add(by, Ordering::Relaxed);
    }

    /// The counters as a JSON object.
    pub fn to_json(&self) -> serde_json::Value {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        serde_json::json!({
            "requests": get(&self.requests),
            "accepted": get(&self.accepted),
            "rejected": get(&self.rejected),
            "faults_applied": get(&self.faults_applied),
            "connections": get(&self.connections),
            "requests_by_kind": self.requests_by_kind.to_json(),
            "faults_by_kind": self.faults_by_kind.to_json(),
        })
    }

    /// Sets every counter back to zero.
    pub fn reset(&self) {
        for c in [
            &self.requests,
            &self.accepted,
            &self.rejected,
            &self.faults_applied,
            &self.connections,
        ] {
            c.store(0, Ordering::Relaxed);
        }
        let by_kind = self.requests_by_kind.0.iter().chain(&self.faults_by_kind.0);
        for c in by_kind {
            c.store(0, Ordering::Relaxed);
        }
    }
}

/// Fixed one-second windows per token.
pub struct RateLimiter {
    per_second: u32,
    windows: Mutex<HashMap<String, (u64, u32)>>,
}

impl RateLimiter {
    /// A limiter allowing `per_second` requests per token and second.
    pub fn new(per_second: u32) -> RateLimiter {
        RateLimiter {
            per_second,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a request for `token`; `Err(seconds)` says when to retry when over the limit.
    pub fn admit(&self, token: &str) -> Result<(), u64> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if windows.len() > 10_000 {
            windows.retain(|_, w| w.0 == now);
        }
        let w = windows.entry(token.to_string()).or_insert((now, 0));
        if w.0 != now {
            *w = (now, 0);
        }
        if w.1 >= self.per_second {
            return Err(1);
        }
        w.1 += 1;
        Ok(())
    }

    /// The configured limit.
    pub fn limit(&self) -> u32 {
        self.per_second
    }
}

/// Shared by every connection thread.
pub struct State {
    /// The command line.
    pub cfg: Config,
    /// Token tables.
    pub auth: Auth,
    /// clientId to visitorId.
    pub visitors: Visitors,
    /// Accepted events.
    pub log: Arc<EventLog>,
    /// Pending fault rules.
    pub faults: Faults,
    /// Counters.
    pub stats: Stats,
    /// Per-token limiter when `--rate-limit` is set.
    pub rate: Option<RateLimiter>,
    /// Wait added to every request outside `/_emulator/`; `--latency-ms`, then
    /// `PUT /_emulator/latency`.
    pub latency_ms: AtomicU64,
    /// Refused-connection windows asked for by `POST /_emulator/outage`.
    pub outage: Outage,
}

impl State {
    /// Builds the shared state; `log` already holds the opened `--log` file.
    pub fn new(cfg: Config, log: Arc<EventLog>, outage: Outage) -> State {
        State {
            outage,
            latency_ms: AtomicU64::new(cfg.latency_ms),
            auth: Auth::new(&cfg),
            rate: cfg.rate_limit.map(RateLimiter::new),
            cfg,
            visitors: Visitors::default(),
            log,
            faults: Faults::default(),
            stats: Stats::default(),
        }
    }
}
