//! The service's base URL: parsing, the plain-http rule, and the URLs of each kind.
//!
//! A base URL is `https://host[:port][/path]` where the path ends in `/rest/ua`
//! (an empty path or `/` becomes `/rest/ua`). Plain `http://` is accepted only for
//! loopback hosts (127.0.0.0/8, `localhost`, `[::1]`) so a token never travels in
//! clear text over a network by accident. User info, a query string or a fragment
//! is refused: the token and the organization travel in their own places.

use crate::error::Error;
use crate::event::EventKind;
use crate::wire::loopback::is_loopback_host;
use std::net::Ipv6Addr;

/// A checked base URL of the Write API, normalized (lowercase scheme, no trailing `/`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    base: String,
}

impl Endpoint {
    /// The default base URL (Coveo's US region).
    pub const DEFAULT: &'static str = "https://analytics.cloud.coveo.com/rest/ua";

    /// Parses and checks a base URL; see the module documentation for the rules.
    pub fn parse(url: &str) -> Result<Endpoint, Error> {
        let bad = |why: &str| Error::invalid_argument(format!("endpoint '{url}' refused: {why}"));
        if url.is_empty() {
            return Err(bad("it is empty"));
        }
        if url.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(bad("it contains a space or a control character"));
        }
        if !url.is_ascii() {
            return Err(bad(
                "it contains non-ASCII characters (use punycode and percent-encoding)",
            ));
        }
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| bad("it has no scheme (expected https://...)"))?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "https" && scheme != "http" {
            return Err(bad(
                "the scheme must be https (or http for a loopback host)",
            ));
        }
        if rest.contains('?') {
            return Err(bad("a query string is not allowed"));
        }
        if rest.contains('#') {
            return Err(bad("a fragment is not allowed"));
        }
        let (authority, path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        if authority.contains('@') {
            return Err(bad(
                "user info (user@host) is not allowed; the token goes in its own option",
            ));
        }
        let host = check_authority(authority).map_err(|why| bad(&why))?;
        if scheme == "http" && !is_loopback_host(host) {
            return Err(bad(
                "plain http is allowed only for loopback hosts (127.0.0.0/8, localhost, [::1]); use https",
            ));
        }
        let path = match path {
            "" | "/" => "/rest/ua",
            p => p.strip_suffix('/').unwrap_or(p),
        };
        if !path.ends_with("/rest/ua") {
            return Err(bad("the path must end in /rest/ua"));
        }
        if path.contains("//") {
            return Err(bad("the path contains an empty segment"));
        }
        Ok(Endpoint {
            base: format!("{scheme}://{authority}{path}"),
        })
    }

    /// The organization endpoint Coveo recommends: `https://<org>.analytics.org.coveo.com/rest/ua`.
    ///
    /// Fails when `org` cannot be a host label (letters, digits and inner `-`, at most 63).
    pub fn for_organization(org: &str) -> Result<Endpoint, Error> {
        let label_ok = !org.is_empty()
            && org.len() <= 63
            && org.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !org.starts_with('-')
            && !org.ends_with('-');
        if !label_ok {
            return Err(Error::invalid_argument(format!(
                "organization id '{org}' cannot form the organization endpoint host \
                 (letters, digits and inner '-' only); set the endpoint explicitly"
            )));
        }
        Endpoint::parse(&format!(
            "https://{}.analytics.org.coveo.com/rest/ua",
            org.to_ascii_lowercase()
        ))
    }

    /// The normalized base URL, e.g. `https://analytics.cloud.coveo.com/rest/ua`.
    pub fn as_str(&self) -> &str {
        &self.base
    }

    /// The URL an event of `kind` is posted to, with `org` as the `org` query parameter.
    pub fn event_url(&self, kind: EventKind, org: Option<&str>) -> String {
        let mut url = format!("{}/v15/analytics/{}", self.base, kind.path_segment());
        if let Some(org) = org {
            url.push_str("?org=");
            percent_encode_into(org, &mut url);
        }
        url
    }
}

impl Default for Endpoint {
    fn default() -> Self {
        Endpoint {
            base: Endpoint::DEFAULT.to_string(),
        }
    }
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.base)
    }
}

/// Checks `host[:port]` (or `[v6]:port`) and returns the host part.
fn check_authority(authority: &str) -> Result<&str, String> {
    if authority.is_empty() {
        return Err("it has no host".into());
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let end = v6
            .find(']')
            .ok_or("an IPv6 address lacks its closing ']'")?;
        let addr = &v6[..end];
        addr.parse::<Ipv6Addr>()
            .map_err(|_| format!("'{addr}' is not an IPv6 address"))?;
        let after = &v6[end + 1..];
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':').ok_or("junk after the IPv6 address")?),
        };
        (&authority[..end + 2], port)
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if let Some(port) = port {
        let ok = !port.is_empty()
            && port.len() <= 5
            && port.bytes().all(|b| b.is_ascii_digit())
            && matches!(port.parse::<u32>(), Ok(1..=65535));
        if !ok {
            return Err(format!("'{port}' is not a port number (1-65535)"));
        }
    }
    if !host.starts_with('[') {
        let ok = !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_')
            && !host.starts_with('.')
            && !host.contains("..");
        if !ok {
            return Err(format!("'{host}' is not a host name"));
        }
    }
    Ok(host)
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn percent_encode_into(text: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in text.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[(b >> 4) as usize] as char);
            out.push(HEX[(b & 15) as usize] as char);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(url: &str) -> String {
        Endpoint::parse(url)
            .unwrap_or_else(|e| panic!("{url}: {e}"))
            .as_str()
            .to_string()
    }

    fn refused(url: &str) {
        assert!(Endpoint::parse(url).is_err(), "{url} was accepted");
    }

    #[test]
    fn accepts_and_normalizes() {
        assert_eq!(
            ok("https://analytics.cloud.coveo.com/rest/ua"),
            Endpoint::DEFAULT
        );
        assert_eq!(ok("https://analytics.cloud.coveo.com"), Endpoint::DEFAULT);
        assert_eq!(ok("https://analytics.cloud.coveo.com/"), Endpoint::DEFAULT);
        assert_eq!(
            ok("HTTPS://analytics.cloud.coveo.com/rest/ua/"),
            Endpoint::DEFAULT
        );
        assert_eq!(
            ok("http://127.0.0.1:8080/rest/ua"),
            "http://127.0.0.1:8080/rest/ua"
        );
        assert_eq!(ok("http://127.5.6.7:1"), "http://127.5.6.7:1/rest/ua");
        assert_eq!(
            ok("http://localhost:9/rest/ua"),
            "http://localhost:9/rest/ua"
        );
        assert_eq!(
            ok("http://LOCALHOST/prefix/rest/ua"),
            "http://LOCALHOST/prefix/rest/ua"
        );
        assert_eq!(ok("http://[::1]:8080/rest/ua"), "http://[::1]:8080/rest/ua");
        assert_eq!(
            ok("https://[2001:db8::1]:443"),
            "https://[2001:db8::1]:443/rest/ua"
        );
    }

    #[test]
    fn refuses_what_the_contract_forbids() {
        refused("");
        refused("analytics.cloud.coveo.com/rest/ua");
        refused("ftp://analytics.cloud.coveo.com/rest/ua");
        refused("http://analytics.cloud.coveo.com/rest/ua");
        refused("http://10.0.0.1/rest/ua");
        refused("http://[::2]/rest/ua");
        refused("http://localhost.evil.com/rest/ua");
        refused("http://128.0.0.1/rest/ua");
        refused("https://user:pw@analytics.cloud.coveo.com/rest/ua");
        refused("https://analytics.cloud.coveo.com/rest/ua?org=x");
        refused("https://analytics.cloud.coveo.com/rest/ua#x");
        refused("https://analytics.cloud.coveo.com/rest/v2");
        refused("https://analytics.cloud.coveo.com/rest/ua/v15");
        refused("https://analytics.cloud.coveo.com:0/rest/ua");
        refused("https://analytics.cloud.coveo.com:99999/rest/ua");
        refused("https://analytics.cloud.coveo.com:/rest/ua");
        refused("https:///rest/ua");
        refused("https://a b/rest/ua");
        refused("https://host/rest/ua\r\nX: y");
        refused("https://[::1/rest/ua");
        refused("https://hôst/rest/ua");
    }

    #[test]
    fn event_urls_and_org_encoding() {
        let e = Endpoint::default();
        assert_eq!(
            e.event_url(EventKind::Custom, None),
            "https://analytics.cloud.coveo.com/rest/ua/v15/analytics/custom"
        );
        assert_eq!(
            e.event_url(EventKind::View, Some("my org&x=1")),
            "https://analytics.cloud.coveo.com/rest/ua/v15/analytics/view?org=my%20org%26x%3D1"
        );
    }

    #[test]
    fn organization_endpoint() {
        assert_eq!(
            Endpoint::for_organization("MyOrg-1").unwrap().as_str(),
            "https://myorg-1.analytics.org.coveo.com/rest/ua"
        );
        assert!(Endpoint::for_organization("a.b").is_err());
        assert!(Endpoint::for_organization("-a").is_err());
        assert!(Endpoint::for_organization("").is_err());
    }
}
