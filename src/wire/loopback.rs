//! What counts as loopback: one predicate for the security rule that lets a
//! token travel over plain http only to this machine, used both where the
//! endpoint is checked and where its host name is resolved.
//!
//! The two must agree: if the endpoint rule accepted a name the resolver then
//! sent to DNS, a hostile answer could take a clear-text token off the machine.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// `localhost` in any case, with or without the trailing dot of a fully
/// qualified name (RFC 6761: always loopback, never a DNS question).
pub(crate) fn is_localhost_name(host: &str) -> bool {
    host.strip_suffix('.')
        .unwrap_or(host)
        .eq_ignore_ascii_case("localhost")
}

/// A URL host that is loopback: 127.0.0.0/8, `[::1]` (any spelling), or a
/// `localhost` name.
pub(crate) fn is_loopback_host(host: &str) -> bool {
    if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return v6.parse::<Ipv6Addr>().is_ok_and(|a| a.is_loopback());
    }
    is_localhost_name(host) || host.parse::<Ipv4Addr>().is_ok_and(|a| a.is_loopback())
}

/// The addresses a `localhost` name stands for on `port`.
pub(crate) fn localhost_addrs(port: u16) -> [SocketAddr; 2] {
    [
        SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port),
        SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), port),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_spellings() {
        for host in [
            "localhost",
            "LocalHost.",
            "127.0.0.1",
            "127.255.0.9",
            "[::1]",
            "[0:0:0:0:0:0:0:1]",
        ] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in [
            "localhost.evil.com",
            "localhost..",
            "128.0.0.1",
            "[::2]",
            "::1",
            "10.0.0.1",
            "",
        ] {
            assert!(!is_loopback_host(host), "{host}");
        }
        assert!(localhost_addrs(9).iter().all(|a| a.ip().is_loopback()));
    }
}
