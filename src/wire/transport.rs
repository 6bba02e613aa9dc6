//! One HTTP attempt over ureq, and the agents it runs on.
//!
//! The agents are built once per client (see [`Agents`]): they never treat a
//! status as an error (every answer is read), never follow a redirect (the token
//! must not travel to a host the user did not name), ignore the proxy
//! environment variables, keep more idle connections per host than ureq's
//! default so a shared client reuses them, and resolve names through one
//! [`crate::wire::resolver::SharedResolver`] per client.

use crate::code::Code;
use crate::error::Error;
use crate::event::EventKind;
use crate::wire::answer::code_for_answer;
use crate::wire::resolver::SharedResolver;
use crate::wire::retry::{self, Verdict};
#[cfg(not(feature = "ureq-tcp-transport"))]
use crate::wire::tcp::FastTcpConnector;
use std::io::Read;
use std::time::{Duration, SystemTime};
use ureq::http::header::{AUTHORIZATION, CONTENT_TYPE};
use ureq::http::{HeaderValue, Method, Request, Uri};
use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig};
use ureq::unversioned::transport::{ConnectProxyConnector, Connector, RustlsConnector};
use ureq::Agent;

/// At most this much of an answer body is read and kept.
pub(crate) const MAX_ANSWER_BODY: u64 = 64 * 1024;

/// What the agent needs from the options.
pub(crate) struct AgentSettings<'a> {
    pub user_agent: &'a str,
    /// The attempt timeout: every request gets it unless it carries a shorter one.
    pub attempt_timeout: Duration,
    pub ca_file: Option<&'a std::path::Path>,
    pub proxy: Option<&'a str>,
}

/// Checks a proxy URL: `http://host:port` (an HTTP CONNECT proxy).
pub(crate) fn check_proxy(url: &str) -> Result<ureq::Proxy, Error> {
    let bad = |why: &str| Error::invalid_argument(format!("proxy refused: {why}"));
    if url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(bad("it contains a space or a control character"));
    }
    let scheme_ok = url
        .get(..7)
        .is_some_and(|s| s.eq_ignore_ascii_case("http://"));
    if !scheme_ok {
        return Err(bad(
            "it must be an HTTP CONNECT proxy written http://host:port",
        ));
    }
    ureq::Proxy::new(url).map_err(|e| bad(&e.to_string()))
}

/// How many agents (each with its own connection pool) a client spreads its
/// threads over. ureq's pool is one mutex, held while a pooled connection is
/// checked; with one pool, 4 to 8 sending threads queued on it (about 3 futex
/// calls per event at 8 threads) and went no faster than one.
const AGENT_SHARDS: usize = 8;

/// The agents of one client; each thread always uses the same one, so it keeps
/// reusing its own connections, and threads share a pool only past
/// [`AGENT_SHARDS`] threads.
#[derive(Clone)]
pub(crate) struct Agents {
    shards: Box<[Agent]>,
    /// Shared by the shards; shutting down stops its lookups and connects.
    resolver: SharedResolver,
}

impl Agents {
    /// Shuts every agent down: requests in flight fail at once, new ones too.
    pub(crate) fn shut_down(&self) {
        self.resolver.stop();
        for agent in self.shards.iter() {
            agent.clone().shutdown();
        }
    }

    /// The agent of the calling thread.
    pub(crate) fn for_this_thread(&self) -> &Agent {
        &self.shards[thread_number() % self.shards.len()]
    }
}

/// A small number for the calling thread, handed out in order of first use, so
/// the first threads of a process land on different shards.
fn thread_number() -> usize {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static NUMBER: usize = NEXT.fetch_add(1, Ordering::Relaxed);
    }
    // During thread teardown the slot may be gone: any shard is correct.
    NUMBER.try_with(|n| *n).unwrap_or(0)
}

/// The configuration of a client's agents, checked once: the CA file read,
/// the proxy judged. Agents are made from it with [`AgentConfig::agents`], as
/// many times as needed (once per process that sends).
#[derive(Clone)]
pub(crate) struct AgentConfig(ureq::config::Config);

/// Builds the agents' configuration; fails on an unreadable CA file or a
/// proxy URL [`check_proxy`] refuses.
pub(crate) fn agent_config(settings: &AgentSettings<'_>) -> Result<AgentConfig, Error> {
    let roots = match settings.ca_file {
        None => RootCerts::PlatformVerifier,
        Some(path) => RootCerts::new_with_certs(&read_ca_file(path)?),
    };
    let proxy = settings.proxy.map(check_proxy).transpose()?;
    Ok(AgentConfig(
        Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .https_only(false)
            .proxy(proxy)
            .max_idle_connections(64)
            .max_idle_connections_per_host(16)
            .timeout_global(Some(settings.attempt_timeout))
            .user_agent(settings.user_agent)
            .accept("application/json")
            .tls_config(TlsConfig::builder().root_certs(roots).build())
            .build(),
    ))
}

impl AgentConfig {
    /// New agents ([`AGENT_SHARDS`] pools, empty) with one shared resolver.
    pub(crate) fn agents(&self) -> Agents {
        let resolver = SharedResolver::default();
        let shards = (0..AGENT_SHARDS)
            .map(|_| {
                // ureq's default chain minus SOCKS (refused by check_proxy) and
                // native-tls, with its TCP transport replaced by one that makes
                // fewer system calls (unless testing against ureq's own).
                #[cfg(not(feature = "ureq-tcp-transport"))]
                let tcp = FastTcpConnector {
                    resolver: resolver.clone(),
                };
                #[cfg(feature = "ureq-tcp-transport")]
                let tcp = ureq::unversioned::transport::TcpConnector::default();
                let connector =
                    ().chain(ConnectProxyConnector::default())
                        .chain(tcp)
                        .chain(RustlsConnector::default());
                Agent::with_parts(self.0.clone(), connector, resolver.clone())
            })
            .collect();
        Agents { shards, resolver }
    }
}

/// Reads every certificate of a PEM file; an unreadable file or one without a
/// certificate is refused.
fn read_ca_file(path: &std::path::Path) -> Result<Vec<Certificate<'static>>, Error> {
    let shown = path.display();
    let pem = std::fs::read(path)
        .map_err(|e| Error::invalid_argument(format!("CA file '{shown}' cannot be read: {e}")))?;
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        match item {
            Ok(PemItem::Certificate(c)) => certs.push(c),
            Ok(_) => {}
            Err(e) => {
                return Err(Error::invalid_argument(format!(
                    "CA file '{shown}' is not valid PEM: {e}"
                )))
            }
        }
    }
    if certs.is_empty() {
        return Err(Error::invalid_argument(format!(
            "CA file '{shown}' holds no PEM certificate"
        )));
    }
    Ok(certs)
}

/// What one attempt produced.
#[derive(Debug)]
pub(crate) enum AttemptOutcome {
    /// An HTTP answer, read in full (up to [`MAX_ANSWER_BODY`]).
    Answer {
        status: u16,
        retry_after: Option<Duration>,
        location: Option<String>,
        body: Vec<u8>,
    },
    /// No usable answer: DNS, refused, reset, TLS, or not readable as HTTP.
    ConnectionFailed(String),
    /// A timeout fired; `cut_by_deadline` when the budget was the call's time left.
    TimedOut { cut_by_deadline: bool },
    /// A local problem that retrying cannot fix.
    Refused(String),
}

impl AttemptOutcome {
    /// The code this outcome ends a send with, as far as retrying goes: an
    /// answer's code from its status alone (the code table guarantees that
    /// every transient answer code is decided by status alone).
    fn code_for_retry(&self) -> Code {
        match self {
            AttemptOutcome::Answer { status, .. } => code_for_answer(*status, None),
            AttemptOutcome::ConnectionFailed(_) => Code::ConnectionFailed,
            AttemptOutcome::TimedOut { .. } => Code::Timeout,
            AttemptOutcome::Refused(_) => Code::InvalidArgument,
        }
    }
}

impl retry::Attempt for AttemptOutcome {
    /// Transient codes (the code table's column) are retried; a `Retry-After`
    /// read from the answer replaces the backoff draw.
    fn verdict(&self) -> Verdict {
        if !self.code_for_retry().is_transient() {
            return Verdict::Final;
        }
        let retry_after = match self {
            AttemptOutcome::Answer { retry_after, .. } => *retry_after,
            _ => None,
        };
        Verdict::Retry { retry_after }
    }
}

/// What every request of a client shares, parsed and formatted once: the URI of
/// each event kind and the header values (cloning them only bumps counters).
pub(crate) struct RequestParts {
    /// One URI per kind, in [`crate::event::EventKind`] number order; an error
    /// text for a URL that does not parse (reported when sending, as before).
    uris: [Result<Uri, String>; EventKind::ALL.len()],
    authorization: HeaderValue,
    /// The agent's own timeout: a request with this budget needs no
    /// per-request configuration (which would copy the whole agent config).
    attempt_timeout: Duration,
}

impl RequestParts {
    /// Parses the URL of each kind and formats the `Authorization` value of `token`.
    pub(crate) fn new(
        urls: [String; EventKind::ALL.len()],
        token: &str,
        attempt_timeout: Duration,
    ) -> Result<RequestParts, Error> {
        let mut authorization = HeaderValue::try_from(format!("Bearer {token}"))
            .map_err(|_| Error::invalid_argument("the token cannot be sent in a header"))?;
        authorization.set_sensitive(true);
        Ok(RequestParts {
            uris: urls.map(|u| {
                Uri::try_from(u).map_err(|e| format!("the request could not be built: {e}"))
            }),
            authorization,
            attempt_timeout,
        })
    }
}

/// One POST of `body` for event kind number `kind_index` (0-based), given
/// `budget` for all of it.
pub(crate) fn post(
    agent: &Agent,
    parts: &RequestParts,
    kind_index: usize,
    body: &[u8],
    budget: Duration,
    cut_by_deadline: bool,
) -> AttemptOutcome {
    let uri = match &parts.uris[kind_index] {
        Ok(uri) => uri.clone(),
        Err(why) => return AttemptOutcome::Refused(why.clone()),
    };
    let mut request = Request::new(body);
    *request.method_mut() = Method::POST;
    *request.uri_mut() = uri;
    let headers = request.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(AUTHORIZATION, parts.authorization.clone());
    let sent = if budget == parts.attempt_timeout {
        agent.run(request)
    } else {
        let request = agent
            .configure_request(request)
            .timeout_global(Some(budget))
            .build();
        agent.run(request)
    };
    let mut response = match sent {
        Ok(r) => r,
        Err(e) => return classify(e, cut_by_deadline),
    };
    let status = response.status().as_u16();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let retry_after = match status {
        429 | 503 => {
            header("retry-after").and_then(|v| retry::parse_retry_after(&v, SystemTime::now()))
        }
        _ => None,
    };
    let location = header("location");
    // Sized from Content-Length when given, so the body is read in one pass
    // (an empty Vec grows through several small reads, each through ureq's
    // reader layers).
    let expected = header("content-length")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map_or(0, |n| n.min(MAX_ANSWER_BODY) as usize);
    let mut answer = Vec::with_capacity(expected);
    let read = response
        .body_mut()
        .as_reader()
        .take(MAX_ANSWER_BODY)
        .read_to_end(&mut answer);
    if let Err(e) = read {
        return classify_read(e, status, cut_by_deadline);
    }
    AttemptOutcome::Answer {
        status,
        retry_after,
        location,
        body: answer,
    }
}

/// Sorts a ureq error into timeout, connection failure, or a final refusal.
fn classify(e: ureq::Error, cut_by_deadline: bool) -> AttemptOutcome {
    use ureq::Error as E;
    match e {
        E::Timeout(_) => AttemptOutcome::TimedOut { cut_by_deadline },
        E::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => {
            AttemptOutcome::TimedOut { cut_by_deadline }
        }
        E::Io(io) => AttemptOutcome::ConnectionFailed(io_text(&io)),
        E::HostNotFound => {
            AttemptOutcome::ConnectionFailed(crate::wire::resolver::NOT_RESOLVED.into())
        }
        E::BadUri(_) | E::Http(_) | E::RequireHttpsOnly(_) | E::InvalidProxyUrl => {
            AttemptOutcome::Refused(format!("the request could not be built: {e}"))
        }
        other => AttemptOutcome::ConnectionFailed(other.to_string()),
    }
}

/// A failure while reading the answer body: the answer was cut short.
fn classify_read(e: std::io::Error, status: u16, cut_by_deadline: bool) -> AttemptOutcome {
    // ureq wraps its own errors (a timeout among them) in io::Error.
    let inner_timeout = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<ureq::Error>())
        .is_some_and(|u| matches!(u, ureq::Error::Timeout(_)));
    if inner_timeout || e.kind() == std::io::ErrorKind::TimedOut {
        return AttemptOutcome::TimedOut { cut_by_deadline };
    }
    AttemptOutcome::ConnectionFailed(format!(
        "the HTTP {status} answer was cut short: {}",
        io_text(&e)
    ))
}

fn io_text(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::UnexpectedEof => {
            format!("the server closed the connection without a complete answer ({e})")
        }
        _ => e.to_string(),
    }
}
