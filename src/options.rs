//! Options of a client: every value checked when it is set.

use crate::error::Error;
use crate::wire::endpoint::Endpoint;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// The settings a [`crate::Client`] is built from.
///
/// Every setter checks its value and returns [`crate::Code::InvalidArgument`]
/// with a message on a bad one, leaving the options unchanged. `Debug` never
/// shows the token.
#[derive(Clone)]
pub struct Options {
    pub(crate) token: Option<String>,
    pub(crate) endpoint: Option<Endpoint>,
    pub(crate) org: Option<String>,
    pub(crate) timeout_ms: u32,
    pub(crate) deadline_ms: u32,
    pub(crate) max_retries: u32,
    pub(crate) backoff_base_ms: u32,
    pub(crate) backoff_max_ms: u32,
    pub(crate) user_agent_product: Option<String>,
    pub(crate) local_checks: bool,
    pub(crate) ca_file: Option<PathBuf>,
    pub(crate) proxy: Option<String>,
    /// The delivery queue's settings (`crate::queue::settings`).
    pub(crate) queue: crate::queue::settings::QueueSettings,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            token: None,
            endpoint: None,
            org: None,
            timeout_ms: Options::DEFAULT_TIMEOUT_MS,
            deadline_ms: Options::DEFAULT_DEADLINE_MS,
            max_retries: Options::DEFAULT_MAX_RETRIES,
            backoff_base_ms: Options::DEFAULT_BACKOFF_BASE_MS,
            backoff_max_ms: Options::DEFAULT_BACKOFF_MAX_MS,
            user_agent_product: None,
            local_checks: true,
            ca_file: None,
            proxy: None,
            queue: Default::default(),
        }
    }
}

/// Defaults and limits of the options.
impl Options {
    /// Default timeout of one attempt: a healthy service answers in well under a second.
    pub const DEFAULT_TIMEOUT_MS: u32 = 2_000;
    /// Default deadline of a whole call, retries and waits included.
    pub const DEFAULT_DEADLINE_MS: u32 = 8_000;
    /// Default number of retries after the first attempt.
    pub const DEFAULT_MAX_RETRIES: u32 = 3;
    /// Default base of the exponential backoff.
    pub const DEFAULT_BACKOFF_BASE_MS: u32 = 100;
    /// Default cap of one backoff wait.
    pub const DEFAULT_BACKOFF_MAX_MS: u32 = 2_000;

    /// Largest accepted attempt timeout (10 minutes).
    pub const MAX_TIMEOUT_MS: u32 = 600_000;
    /// Largest accepted deadline (1 hour).
    pub const MAX_DEADLINE_MS: u32 = 3_600_000;
    /// Largest accepted number of retries.
    pub const MAX_RETRIES_CAP: u32 = 100;
    /// Largest accepted backoff cap (10 minutes).
    pub const MAX_BACKOFF_MS: u32 = 600_000;
}

impl Options {
    /// Options with every default and no token.
    pub fn new() -> Options {
        Options::default()
    }

    /// The access token (API key or search token) sent as `Authorization: Bearer <token>`.
    ///
    /// Refused when empty or when it contains whitespace, control characters or
    /// non-ASCII characters (which could forge headers).
    pub fn set_token(&mut self, token: &str) -> Result<(), Error> {
        if token.is_empty() {
            return Err(Error::invalid_argument("the token is empty"));
        }
        if !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Error::invalid_argument(
                "the token contains a space, a control character or a non-ASCII character",
            ));
        }
        self.token = Some(token.to_string());
        Ok(())
    }

    /// The base URL of the Write API; `None` restores the default.
    ///
    /// `https://host[:port][/path]` with a path ending in `/rest/ua` (an empty
    /// path or `/` gets it). Plain `http://` only for loopback hosts
    /// (127.0.0.0/8, `localhost`, `[::1]`); user info, a query string or a
    /// fragment is refused.
    ///
    /// Without an explicit endpoint, the client uses the organization endpoint
    /// `https://<org>.analytics.org.coveo.com/rest/ua` when an organization is set,
    /// and `https://analytics.cloud.coveo.com/rest/ua` otherwise.
    pub fn set_endpoint(&mut self, base_url: Option<&str>) -> Result<(), Error> {
        self.endpoint = base_url.map(Endpoint::parse).transpose()?;
        Ok(())
    }

    /// The organization id, sent as the `org` query parameter; `None` or `""` unsets it.
    pub fn set_org(&mut self, org_id: Option<&str>) -> Result<(), Error> {
        match org_id {
            None | Some("") => self.org = None,
            Some(org) => {
                if org.chars().any(|c| c.is_control() || c.is_whitespace()) {
                    return Err(Error::invalid_argument(
                        "the organization id contains a space or a control character",
                    ));
                }
                if org.len() > 255 {
                    return Err(Error::invalid_argument(
                        "the organization id is longer than 255 bytes",
                    ));
                }
                self.org = Some(org.to_string());
            }
        }
        Ok(())
    }

    /// The timeout of one attempt (resolve, connect, send and read the answer), 1 to 600000 ms.
    pub fn set_timeout_ms(&mut self, ms: u32) -> Result<(), Error> {
        self.timeout_ms = in_range("timeout", ms, 1, Options::MAX_TIMEOUT_MS, " ms")?;
        Ok(())
    }

    /// The deadline of a whole call, retries and waits included, 1 to 3600000 ms.
    pub fn set_deadline_ms(&mut self, ms: u32) -> Result<(), Error> {
        self.deadline_ms = in_range("deadline", ms, 1, Options::MAX_DEADLINE_MS, " ms")?;
        Ok(())
    }

    /// How many times a failed attempt may be retried (0 to 100).
    pub fn set_max_retries(&mut self, retries: u32) -> Result<(), Error> {
        self.max_retries = in_range("max_retries", retries, 0, Options::MAX_RETRIES_CAP, "")?;
        Ok(())
    }

    /// Backoff: the wait before retry n is drawn from `[0, min(max_ms, base_ms * 2^n)]`.
    ///
    /// `base_ms` must not exceed `max_ms`; `max_ms` is at most 600000.
    pub fn set_retry_backoff_ms(&mut self, base_ms: u32, max_ms: u32) -> Result<(), Error> {
        in_range("backoff max", max_ms, 0, Options::MAX_BACKOFF_MS, " ms")?;
        if base_ms > max_ms {
            return Err(Error::invalid_argument(format!(
                "backoff base ({base_ms} ms) is larger than backoff max ({max_ms} ms)"
            )));
        }
        self.backoff_base_ms = base_ms;
        self.backoff_max_ms = max_ms;
        Ok(())
    }

    /// A product token appended to the User-Agent (`coveo-ua/<version> <product>`);
    /// `None` or `""` removes it. Printable ASCII only, at most 256 bytes.
    pub fn set_user_agent(&mut self, product: Option<&str>) -> Result<(), Error> {
        match product {
            None | Some("") => self.user_agent_product = None,
            Some(p) => {
                if !p.bytes().all(|b| (0x20..0x7f).contains(&b)) {
                    return Err(Error::invalid_argument(
                        "the user agent product contains a control or non-ASCII character",
                    ));
                }
                if p.len() > 256 {
                    return Err(Error::invalid_argument(
                        "the user agent product is longer than 256 bytes",
                    ));
                }
                self.user_agent_product = Some(p.to_string());
            }
        }
        Ok(())
    }

    /// Whether events are checked before sending (default true). Off: the body is
    /// sent as given and only the service judges it.
    pub fn set_local_checks(&mut self, enabled: bool) {
        self.local_checks = enabled;
    }

    /// Trust the certificates of this PEM file instead of the operating system's
    /// store; `None` or `""` restores the system store. The file is read when the
    /// client is built.
    pub fn set_ca_file(&mut self, pem_path: Option<&str>) -> Result<(), Error> {
        match pem_path {
            None | Some("") => self.ca_file = None,
            Some(p) => self.ca_file = Some(PathBuf::from(p)),
        }
        Ok(())
    }

    /// An HTTP CONNECT proxy, `http://host:port`; `None` or `""` means no proxy.
    ///
    /// The proxy environment variables (`HTTPS_PROXY`...) are never read: a
    /// proxy is used only when set here.
    pub fn set_proxy(&mut self, proxy_url: Option<&str>) -> Result<(), Error> {
        match proxy_url {
            None | Some("") => self.proxy = None,
            Some(url) => {
                crate::wire::transport::check_proxy(url)?;
                self.proxy = Some(url.to_string());
            }
        }
        Ok(())
    }

    /// The attempt timeout.
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms.into())
    }

    /// The whole-call deadline.
    pub fn deadline(&self) -> Duration {
        Duration::from_millis(self.deadline_ms.into())
    }

    /// The retry limit.
    pub fn max_retries(&self) -> u32 {
        self.max_retries
    }

    /// The backoff base and cap in milliseconds.
    pub fn retry_backoff_ms(&self) -> (u32, u32) {
        (self.backoff_base_ms, self.backoff_max_ms)
    }

    /// The organization id, if set.
    pub fn org(&self) -> Option<&str> {
        self.org.as_deref()
    }

    /// Whether a token is set (the token itself is never handed out).
    pub fn has_token(&self) -> bool {
        self.token.is_some()
    }

    /// Whether local checks are on.
    pub fn local_checks(&self) -> bool {
        self.local_checks
    }

    /// The base URL the client will use, after the organization rule.
    pub(crate) fn effective_endpoint(&self) -> Result<Endpoint, Error> {
        match (&self.endpoint, &self.org) {
            (Some(e), _) => Ok(e.clone()),
            (None, Some(org)) => Endpoint::for_organization(org),
            (None, None) => Ok(Endpoint::default()),
        }
    }
}

/// `value` if it is in `min..=max`; otherwise an error naming `what`, the
/// value and the range, each with its `unit` (every host shows this text).
fn in_range(what: &str, value: u32, min: u32, max: u32, unit: &str) -> Result<u32, Error> {
    if value < min || value > max {
        return Err(Error::invalid_argument(format!(
            "{what} {value}{unit} is out of range ({min} to {max}{unit})"
        )));
    }
    Ok(value)
}

impl fmt::Debug for Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Options")
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("endpoint", &self.endpoint.as_ref().map(Endpoint::as_str))
            .field("org", &self.org)
            .field("timeout_ms", &self.timeout_ms)
            .field("deadline_ms", &self.deadline_ms)
            .field("max_retries", &self.max_retries)
            .field("backoff_base_ms", &self.backoff_base_ms)
            .field("backoff_max_ms", &self.backoff_max_ms)
            .field("user_agent_product", &self.user_agent_product)
            .field("local_checks", &self.local_checks)
            .field("ca_file", &self.ca_file)
            .field("proxy", &self.proxy)
            .field("queue", &self.queue)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        let o = Options::new();
        assert_eq!(o.timeout(), Duration::from_millis(2000));
        assert_eq!(o.deadline(), Duration::from_millis(8000));
        assert_eq!(o.max_retries(), 3);
        assert_eq!(o.retry_backoff_ms(), (100, 2000));
        assert!(o.local_checks());
        assert!(!o.has_token());
    }

    #[test]
    fn absurd_values_are_refused_and_leave_options_unchanged() {
        let mut o = Options::new();
        assert!(o.set_timeout_ms(0).is_err());
        assert!(o.set_timeout_ms(600_001).is_err());
        assert!(o.set_deadline_ms(0).is_err());
        assert!(o.set_deadline_ms(u32::MAX).is_err());
        assert!(o.set_max_retries(101).is_err());
        assert!(o.set_retry_backoff_ms(500, 100).is_err());
        assert!(o.set_retry_backoff_ms(0, u32::MAX).is_err());
        assert_eq!(o.timeout(), Duration::from_millis(2000));
        assert_eq!(o.retry_backoff_ms(), (100, 2000));
        o.set_retry_backoff_ms(0, 0).unwrap();
        o.set_max_retries(100).unwrap();
    }

    #[test]
    fn header_injection_is_refused() {
        let mut o = Options::new();
        assert!(o.set_token("abc\r\nX-Evil: 1").is_err());
        assert!(o.set_token("abc def").is_err());
        assert!(o.set_token("").is_err());
        assert!(o.set_org(Some("org\nx")).is_err());
        assert!(o.set_user_agent(Some("app\r\n")).is_err());
        assert!(o.set_user_agent(Some("app/1.0 (linux)")).is_ok());
    }

    #[test]
    fn debug_hides_the_token() {
        let mut o = Options::new();
        o.set_token("xx-very-secret").unwrap();
        let shown = format!("{o:?}");
        assert!(!shown.contains("very-secret"), "{shown}");
        assert!(shown.contains("<redacted>"));
    }

    #[test]
    fn org_selects_the_organization_endpoint() {
        let mut o = Options::new();
        assert_eq!(o.effective_endpoint().unwrap().as_str(), Endpoint::DEFAULT);
        o.set_org(Some("acme")).unwrap();
        assert_eq!(
            o.effective_endpoint().unwrap().as_str(),
            "https://acme.analytics.org.coveo.com/rest/ua"
        );
        o.set_endpoint(Some("http://127.0.0.1:1/rest/ua")).unwrap();
        assert_eq!(
            o.effective_endpoint().unwrap().as_str(),
            "http://127.0.0.1:1/rest/ua"
        );
    }
}
