//! Name resolution without a thread per request.
//!
//! ureq's default resolver starts a thread for every request that has a timeout,
//! even for an IP literal or a pooled connection. This one answers IP literals at
//! once and keeps resolved names for a short time, so a busy client resolves a
//! name about once per [`TTL`]. A cache miss runs the system resolver on a helper
//! thread bounded by the attempt's time left (a stuck DNS server cannot hold the
//! call past its deadline); that thread is the only one a send ever starts.
//!
//! An address whose connect fails is dropped from the cache at once
//! ([`CachingResolver::forget`], called by the TCP connector), so the retry
//! after a failover does not keep trying a dead address until the entry expires.

use crate::wire::loopback::{is_localhost_name, localhost_addrs};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Mutex};
use std::time::{Duration, Instant};
use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

/// How the message of a send whose host name did not resolve begins.
pub(crate) const NOT_RESOLVED: &str = "the host name did not resolve";

/// How long a resolved name is reused.
const TTL: Duration = Duration::from_secs(30);

/// The names a client resolved, each until its [`TTL`] passes; and whether
/// the client was shut down, which ends every wait of a lookup or a connect.
#[derive(Debug, Default)]
pub struct CachingResolver {
    cache: Mutex<HashMap<String, (Instant, ResolvedSocketAddrs)>>,
    stopped: AtomicBool,
}

/// The resolver of a client's agents: answers IP literals and `localhost`
/// directly and shares one [`CachingResolver`] among the agents, so a name is
/// looked up once for all of them.
#[derive(Clone, Debug, Default)]
pub struct SharedResolver(pub std::sync::Arc<CachingResolver>);

impl Resolver for SharedResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let authority = uri
            .authority()
            .ok_or_else(|| ureq::Error::BadUri(format!("{uri} has no host")))?;
        let port = match (authority.port_u16(), uri.scheme_str()) {
            (Some(p), _) => p,
            (None, Some("https")) => 443,
            (None, Some("http")) => 80,
            _ => return Err(ureq::Error::BadUri(format!("{uri} has no port"))),
        };
        let host = authority.host();
        let literal = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = literal.parse::<IpAddr>() {
            let mut out = self.empty();
            out.push(SocketAddr::new(ip, port));
            return Ok(out);
        }
        // The endpoint rule lets plain http through for these names: never ask
        // DNS, or a hostile answer could take a clear-text token off the machine.
        if is_localhost_name(host) {
            let mut out = self.empty();
            for addr in config
                .ip_family()
                .keep_wanted(localhost_addrs(port).into_iter())
            {
                out.push(addr);
            }
            return Ok(out);
        }
        let key = format!("{host}:{port}");
        if let Some(hit) = self.0.cached(&key) {
            return Ok(hit);
        }
        let found = lookup(key.clone(), *timeout.after, timeout.reason, &self.0.stopped)?;
        let mut out = self.empty();
        for addr in config.ip_family().keep_wanted(found.into_iter()).take(16) {
            out.push(addr);
        }
        if out.is_empty() {
            return Err(ureq::Error::HostNotFound);
        }
        if let Ok(mut cache) = self.0.cache.lock() {
            // A client talks to one or two hosts; the bound only guards against misuse.
            if cache.len() > 64 {
                cache.clear();
            }
            cache.insert(key, (Instant::now() + TTL, out.clone()));
        }
        Ok(out)
    }
}

impl SharedResolver {
    /// Ends every lookup and connect of the client's agents, now and later.
    pub(crate) fn stop(&self) {
        self.0.stopped.store(true, Ordering::Relaxed);
    }

    /// Raised once the client is shut down.
    pub(crate) fn stop_flag(&self) -> &AtomicBool {
        &self.0.stopped
    }

    /// Drops `addr` from every cached name (a name left with no address is
    /// looked up again at its next use).
    pub(crate) fn forget(&self, addr: SocketAddr) {
        let Ok(mut cache) = self.0.cache.lock() else {
            return;
        };
        cache.retain(|_, (_, addrs)| {
            if addrs.contains(&addr) {
                let mut kept = self.empty();
                for a in addrs.iter().filter(|a| **a != addr) {
                    kept.push(*a);
                }
                *addrs = kept;
            }
            !addrs.is_empty()
        });
    }
}

impl CachingResolver {
    fn cached(&self, key: &str) -> Option<ResolvedSocketAddrs> {
        let cache = self.cache.lock().ok()?;
        let (until, addrs) = cache.get(key)?;
        (Instant::now() < *until).then(|| addrs.clone())
    }
}

/// How long a lookup's wait lasts before the stop flag is looked at again.
const STOP_CHECK: Duration = Duration::from_millis(50);

/// The system lookup of `host:port`, given up after `limit`, or as soon as
/// `stop` is raised (the lookup thread is left to finish on its own).
fn lookup(
    host_port: String,
    limit: Duration,
    reason: ureq::Timeout,
    stop: &AtomicBool,
) -> Result<Vec<SocketAddr>, ureq::Error> {
    let (tx, rx) = mpsc::sync_channel(1);
    // Detached: a lookup that outlives its wait finishes on its own.
    drop(
        crate::sys::thread::spawn("coveo-ua-resolve", move || {
            let found = host_port.to_socket_addrs().map(Iterator::collect::<Vec<_>>);
            let _ = tx.send(found);
        })
        .map_err(ureq::Error::Io)?,
    );
    let until = Instant::now() + limit;
    loop {
        if stop.load(Ordering::Relaxed) {
            return Err(ureq::Error::Io(std::io::Error::new(
                std::io::ErrorKind::ConnectionAborted,
                "the client was shut down while resolving",
            )));
        }
        let left = until.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left.min(STOP_CHECK)) {
            Ok(Ok(addrs)) => return Ok(addrs),
            Ok(Err(e)) => {
                let why = format!("{NOT_RESOLVED} ({e})");
                return Err(ureq::Error::Io(std::io::Error::new(e.kind(), why)));
            }
            Err(mpsc::RecvTimeoutError::Timeout) if left <= STOP_CHECK => {
                return Err(ureq::Error::Timeout(reason))
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => return Err(ureq::Error::HostNotFound),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(r: &SharedResolver, url: &str) -> Result<Vec<SocketAddr>, ureq::Error> {
        let uri: Uri = url.parse().unwrap();
        let config = Config::builder().build();
        let t = NextTimeout {
            after: ureq::unversioned::transport::time::Duration::from_secs(5),
            reason: ureq::Timeout::Resolve,
            per_read: None,
            per_write: None,
        };
        r.resolve(&uri, &config, t)
            .map(|a| a.iter().copied().collect())
    }

    #[test]
    fn ip_literals_need_no_lookup() {
        let r = SharedResolver::default();
        assert_eq!(
            resolve(&r, "http://127.0.0.1:8080/x").unwrap(),
            ["127.0.0.1:8080".parse::<SocketAddr>().unwrap()]
        );
        assert_eq!(
            resolve(&r, "https://[::1]/x").unwrap(),
            ["[::1]:443".parse::<SocketAddr>().unwrap()]
        );
        assert!(r.0.cache.lock().unwrap().is_empty());
    }

    #[test]
    fn localhost_is_loopback_without_asking_dns() {
        let r = SharedResolver::default();
        for url in ["http://localhost:9/x", "http://LOCALHOST.:9/x"] {
            let addrs = resolve(&r, url).unwrap();
            assert_eq!(addrs[0], "127.0.0.1:9".parse::<SocketAddr>().unwrap());
            assert!(addrs.iter().all(|a| a.ip().is_loopback() && a.port() == 9));
        }
        assert!(r.0.cache.lock().unwrap().is_empty());
    }

    #[test]
    fn names_are_served_from_the_cache_until_they_expire() {
        let r = SharedResolver::default();
        let mut seeded = r.empty();
        seeded.push("127.0.0.9:9".parse().unwrap());
        let key = "cached.invalid:9".to_string();
        r.0.cache
            .lock()
            .unwrap()
            .insert(key.clone(), (Instant::now() + TTL, seeded.clone()));
        // An .invalid name never resolves, so an answer can only be the cache's.
        assert_eq!(
            resolve(&r, "http://cached.invalid:9/x").unwrap(),
            ["127.0.0.9:9".parse::<SocketAddr>().unwrap()]
        );
        let expired = Instant::now()
            .checked_sub(Duration::from_secs(1))
            .expect("uptime over 1 s");
        r.0.cache.lock().unwrap().insert(key, (expired, seeded));
        assert!(resolve(&r, "http://cached.invalid:9/x").is_err());
    }

    #[test]
    fn a_failed_address_is_forgotten() {
        let r = SharedResolver::default();
        let dead: SocketAddr = "127.0.0.9:9".parse().unwrap();
        let live: SocketAddr = "127.0.0.10:9".parse().unwrap();
        let mut both = r.empty();
        both.push(dead);
        both.push(live);
        let mut only_dead = r.empty();
        only_dead.push(dead);
        let until = Instant::now() + TTL;
        r.0.cache
            .lock()
            .unwrap()
            .insert("a.invalid:9".into(), (until, both));
        r.0.cache
            .lock()
            .unwrap()
            .insert("b.invalid:9".into(), (until, only_dead));
        r.forget(dead);
        assert_eq!(resolve(&r, "http://a.invalid:9/x").unwrap(), [live]);
        // Nothing left for b: it is looked up again (and .invalid never resolves).
        assert!(!r.0.cache.lock().unwrap().contains_key("b.invalid:9"));
        r.forget("127.0.0.11:9".parse().unwrap());
        assert_eq!(resolve(&r, "http://a.invalid:9/x").unwrap(), [live]);
    }
}
