//! Name resolution without a thread per request.
//!
//! ureq's default resolver starts a thread for every request that has a timeout,
//! even for an IP literal or a pooled connection. This one answers IP literals at
//! once and keeps resolved names for a short time, so a busy client resolves a
//! name about once per [`TTL`]. A cache miss runs the system resolver on a helper
//! thread bounded by the attempt's time left (a stuck DNS server cannot hold the
//! call past its deadline); that thread is the only one the library ever starts.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::{mpsc, Mutex};
use std::time::{Duration, Instant};
use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

/// How long a resolved name is reused.
const TTL: Duration = Duration::from_secs(30);

/// A resolver that answers IP literals directly and caches names for [`TTL`].
#[derive(Debug, Default)]
pub struct CachingResolver {
    cache: Mutex<HashMap<String, (Instant, ResolvedSocketAddrs)>>,
}

/// One [`CachingResolver`] shared by the agents of a client, so a name is
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
        self.0.resolve(uri, config, timeout)
    }
}

impl Resolver for CachingResolver {
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
        // `localhost` is loopback by definition (RFC 6761): never ask DNS, or a
        // hostile answer for `localhost.` could take a clear-text http:// token
        // off the machine.
        if is_localhost(host) {
            let mut out = self.empty();
            let loopback = [
                SocketAddr::new(IpAddr::from([127, 0, 0, 1]), port),
                SocketAddr::new(IpAddr::from(std::net::Ipv6Addr::LOCALHOST), port),
            ];
            for addr in config.ip_family().keep_wanted(loopback.into_iter()) {
                out.push(addr);
            }
            return Ok(out);
        }
        let key = format!("{host}:{port}");
        if let Some(hit) = self.cached(&key) {
            return Ok(hit);
        }
        let found = lookup(key.clone(), *timeout.after, timeout.reason)?;
        let mut out = self.empty();
        for addr in config.ip_family().keep_wanted(found.into_iter()).take(16) {
            out.push(addr);
        }
        if out.is_empty() {
            return Err(ureq::Error::HostNotFound);
        }
        if let Ok(mut cache) = self.cache.lock() {
            // A client talks to one or two hosts; the bound only guards against misuse.
            if cache.len() > 64 {
                cache.clear();
            }
            cache.insert(key, (Instant::now() + TTL, out.clone()));
        }
        Ok(out)
    }
}

/// `localhost` in any case, with or without the trailing dot of a fully
/// qualified name.
fn is_localhost(host: &str) -> bool {
    host.strip_suffix('.')
        .unwrap_or(host)
        .eq_ignore_ascii_case("localhost")
}

impl CachingResolver {
    fn cached(&self, key: &str) -> Option<ResolvedSocketAddrs> {
        let cache = self.cache.lock().ok()?;
        let (until, addrs) = cache.get(key)?;
        (Instant::now() < *until).then(|| addrs.clone())
    }
}

/// The system lookup of `host:port`, given up after `limit`.
fn lookup(
    host_port: String,
    limit: Duration,
    reason: ureq::Timeout,
) -> Result<Vec<SocketAddr>, ureq::Error> {
    let (tx, rx) = mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name("coveo-ua-resolve".into())
        .spawn(move || {
            let found = host_port.to_socket_addrs().map(Iterator::collect::<Vec<_>>);
            let _ = tx.send(found);
        })
        .map_err(ureq::Error::Io)?;
    match rx.recv_timeout(limit) {
        Ok(Ok(addrs)) => Ok(addrs),
        Ok(Err(e)) => Err(ureq::Error::Io(e)),
        Err(mpsc::RecvTimeoutError::Timeout) => Err(ureq::Error::Timeout(reason)),
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(ureq::Error::HostNotFound),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(r: &CachingResolver, url: &str) -> Result<Vec<SocketAddr>, ureq::Error> {
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
        let r = CachingResolver::default();
        assert_eq!(
            resolve(&r, "http://127.0.0.1:8080/x").unwrap(),
            ["127.0.0.1:8080".parse::<SocketAddr>().unwrap()]
        );
        assert_eq!(
            resolve(&r, "https://[::1]/x").unwrap(),
            ["[::1]:443".parse::<SocketAddr>().unwrap()]
        );
        assert!(r.cache.lock().unwrap().is_empty());
    }

    #[test]
    fn localhost_is_loopback_without_asking_dns() {
        let r = CachingResolver::default();
        for url in ["http://localhost:9/x", "http://LOCALHOST.:9/x"] {
            let addrs = resolve(&r, url).unwrap();
            assert_eq!(addrs[0], "127.0.0.1:9".parse::<SocketAddr>().unwrap());
            assert!(addrs.iter().all(|a| a.ip().is_loopback() && a.port() == 9));
        }
        assert!(r.cache.lock().unwrap().is_empty());
    }

    #[test]
    fn names_are_served_from_the_cache_until_they_expire() {
        let r = CachingResolver::default();
        let mut seeded = r.empty();
        seeded.push("127.0.0.9:9".parse().unwrap());
        let key = "cached.invalid:9".to_string();
        r.cache
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
        r.cache.lock().unwrap().insert(key, (expired, seeded));
        assert!(resolve(&r, "http://cached.invalid:9/x").is_err());
    }
}
