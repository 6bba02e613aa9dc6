//! `Endpoint::parse` on arbitrary text. An accepted endpoint ends in /rest/ua,
//! is https (or http on a loopback host), parses again to itself, and makes
//! event URLs free of spaces and control characters for any organization id.
#![no_main]

use coveo_ua::__internals::Endpoint;
use coveo_ua::EventKind;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (url, org) = text.split_once('\u{1}').unwrap_or((text, ""));
    let Ok(endpoint) = Endpoint::parse(url) else {
        return;
    };
    let base = endpoint.as_str();
    assert!(base.ends_with("/rest/ua"), "{base}");
    let lower = base.to_ascii_lowercase();
    if let Some(rest) = lower.strip_prefix("http://") {
        let host_port = rest.split('/').next().unwrap_or("");
        let host = match host_port.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or(""),
            None => host_port.rsplit_once(':').map_or(host_port, |(h, _)| h),
        };
        // "localhost." (the absolute form) is accepted as loopback by design.
        let host = host.strip_suffix('.').unwrap_or(host);
        let loopback = host == "localhost"
            || host
                .parse::<std::net::Ipv6Addr>()
                .is_ok_and(|ip| ip.is_loopback())
            || host
                .parse::<std::net::Ipv4Addr>()
                .is_ok_and(|ip| ip.is_loopback());
        assert!(
            loopback,
            "clear-text endpoint for a non-loopback host: {base}"
        );
    } else {
        assert!(lower.starts_with("https://"), "{base}");
    }
    let authority = lower.split("://").nth(1).and_then(|r| r.split('/').next());
    assert!(!base.contains('?'), "query string kept: {base}");
    assert!(
        !authority.unwrap_or("").contains('@'),
        "user info kept: {base}"
    );
    let again = Endpoint::parse(base).expect("an accepted endpoint parses again");
    assert_eq!(again.as_str(), base);
    for kind in EventKind::ALL {
        let event_url = endpoint.event_url(kind, Some(org).filter(|o| !o.is_empty()));
        assert!(
            !event_url
                .chars()
                .any(|c| c.is_control() || c.is_whitespace()),
            "{event_url:?}"
        );
    }
});
