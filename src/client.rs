//! The client: a few HTTP agents, shared by any number of threads, and the send loop.

use crate::code::Code;
use crate::error::Error;
use crate::event::validate;
use crate::event::EventKind;
use crate::options::Options;
use crate::outcome::{SendError, SendResult};
use crate::per_process::PerProcess;
use crate::wire::answer::{code_for_answer, read_fields};
use crate::wire::endpoint::Endpoint;
use crate::wire::retry::{self, Clock, FastJitter, Policy, SystemClock};
use crate::wire::transport::{self, AgentSettings, AttemptOutcome};
use std::fmt;
use std::time::Duration;

/// How long a thread of a forked child waits while another thread of the
/// child makes the child's agents.
const AGENTS_WAIT: Duration = Duration::from_secs(5);

/// The library version, as in Cargo.toml.
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// A blocking client of the Write API. Cheap to share: `Send + Sync`; its
/// connections are pooled and reused by every thread (spread over a few pools so
/// that threads do not queue on one lock).
///
/// After a `fork`, a client made before it keeps working in the child, with
/// connections of the child's own: a pooled connection is never shared
/// between two processes (each would read answers meant for the other).
pub struct Client {
    /// The HTTP agents (connection pools) the calling threads are spread
    /// over: each process's own (see [`PerProcess`]).
    agents: PerProcess<transport::Agents>,
    /// What a forked child makes its agents from.
    agent_config: transport::AgentConfig,
    endpoint: Endpoint,
    /// The URI of each kind and the header values, built once.
    request_parts: transport::RequestParts,
    /// Finds the token (never empty: `set_token` refuses that) to redact it.
    token_finder: memchr::memmem::Finder<'static>,
    token_hub: Option<String>,
    policy: Policy,
    timeout: Duration,
    deadline: Duration,
    local_checks: bool,
}

impl Client {
    /// Builds a client from `options` (which are copied).
    ///
    /// Fails with [`Code::InvalidArgument`] when no token is set, when the
    /// organization id cannot form the organization endpoint, or when the CA
    /// file cannot be read or holds no certificate.
    pub fn new(options: &Options) -> Result<Client, Error> {
        let token = options
            .token
            .clone()
            .ok_or_else(|| Error::invalid_argument("no token is set (a token is required)"))?;
        let endpoint = options.effective_endpoint()?;
        let org = options.org.as_deref();
        let urls = EventKind::ALL.map(|k| endpoint.event_url(k, org));
        let user_agent = match &options.user_agent_product {
            Some(product) => format!("coveo-ua/{VERSION} {product}"),
            None => format!("coveo-ua/{VERSION}"),
        };
        let agent_config = transport::agent_config(&AgentSettings {
            user_agent: &user_agent,
            attempt_timeout: options.timeout(),
            ca_file: options.ca_file.as_deref(),
            proxy: options.proxy.as_deref(),
        })?;
        Ok(Client {
            agents: PerProcess::new(agent_config.agents()),
            agent_config,
            endpoint,
            request_parts: transport::RequestParts::new(urls, &token, options.timeout())?,
            token_hub: crate::wire::token::search_hub_of(&token),
            token_finder: memchr::memmem::Finder::new(token.as_bytes()).into_owned(),
            policy: Policy {
                max_retries: options.max_retries,
                base_ms: options.backoff_base_ms.into(),
                max_ms: options.backoff_max_ms.into(),
            },
            timeout: options.timeout(),
            deadline: options.deadline(),
            local_checks: options.local_checks,
        })
    }

    /// The base URL this client posts to.
    pub fn endpoint(&self) -> &str {
        self.endpoint.as_str()
    }

    /// Sends one event of `kind`, blocking until it is accepted or has failed for
    /// good (retries and waits included, never past the deadline).
    ///
    /// `event_json` is sent unchanged. With local checks on (the default), an
    /// event the service would refuse is refused here without a round trip
    /// (`attempts` 0, `http_status` 0).
    pub fn send(&self, kind: EventKind, event_json: &str) -> SendResult {
        self.send_within(kind, event_json, self.deadline)
    }

    /// Like [`Client::send`], with this call's deadline the shorter of `deadline`
    /// and the client's own; a zero `deadline` means the client's alone. Meant for
    /// hosts whose callers carry their own deadline (a Go `context.Context`).
    pub fn send_with_deadline(
        &self,
        kind: EventKind,
        event_json: &str,
        deadline: Duration,
    ) -> SendResult {
        let deadline = if deadline.is_zero() {
            self.deadline
        } else {
            deadline.min(self.deadline)
        };
        self.send_within(kind, event_json, deadline)
    }

    fn send_within(&self, kind: EventKind, event_json: &str, deadline: Duration) -> SendResult {
        if let Err(refusal) = self.check(kind, event_json) {
            return refusal.into_inner();
        }
        self.post_with_retries(
            kind,
            event_json,
            deadline,
            &mut SystemClock::start(),
            |_| true,
        )
    }

    /// Checks an event as [`Client::send`] would before sending (nothing is
    /// sent): `Err` with the result a send would have given.
    pub(crate) fn check(&self, kind: EventKind, event_json: &str) -> Result<(), SendError> {
        if !self.local_checks {
            return Ok(());
        }
        validate::check_event(kind, event_json, self.token_hub.as_deref())
            .map_err(|r| SendError::refusal(r.code, self.redact(r.message)))
    }

    /// Sends an event already checked, with the client's retry rules, the
    /// waits on `clock`, and one more rule: no retry once `keep_going` says
    /// no (the delivery queue's shared pause, or its shutdown).
    pub(crate) fn send_checked(
        &self,
        kind: EventKind,
        event_json: &str,
        clock: &mut impl Clock,
        keep_going: impl FnMut(bool) -> bool,
    ) -> SendResult {
        self.post_with_retries(kind, event_json, self.deadline, clock, keep_going)
    }

    /// Cuts off every request in flight on this client's connections and
    /// refuses new ones (for a queue that stops): they end as connection
    /// failures at once.
    pub(crate) fn shut_down(&self) {
        // Only this process's connections: a parent's are not ours to cut
        // (a child that never sent has none).
        if let Some(agents) = self.agents.get_here() {
            agents.shut_down();
        }
    }

    /// This process's agents, made first in a forked child.
    fn agents(&self) -> std::borrow::Cow<'_, transport::Agents> {
        // Making agents cannot fail and takes microseconds, so the wait for
        // another thread of the child to make them ends well within its bound;
        // past it, this call gets agents of its own rather than waiting on.
        match self
            .agents
            .get_or_make(|| Ok::<_, ()>(self.agent_config.agents()), AGENTS_WAIT)
        {
            Ok(agents) => std::borrow::Cow::Borrowed(agents),
            Err(_) => std::borrow::Cow::Owned(self.agent_config.agents()),
        }
    }

    fn post_with_retries(
        &self,
        kind: EventKind,
        event_json: &str,
        deadline: Duration,
        clock: &mut impl Clock,
        keep_going: impl FnMut(bool) -> bool,
    ) -> SendResult {
        let kind_index = kind as usize - 1;
        let agents = self.agents();
        let finished = retry::run(
            &self.policy,
            deadline,
            self.timeout,
            clock,
            &mut FastJitter,
            keep_going,
            |budget| {
                transport::post(
                    agents.for_this_thread(),
                    &self.request_parts,
                    kind_index,
                    event_json.as_bytes(),
                    budget,
                    budget < self.timeout,
                )
            },
        );
        self.result_of(finished.last, finished.attempts, deadline)
    }

    fn result_of(&self, last: AttemptOutcome, attempts: u32, deadline: Duration) -> SendResult {
        let failed = |code: Code, message: String| SendResult {
            code,
            http_status: 0,
            attempts,
            error_type: None,
            message: self.redact(message),
            visitor_id: None,
            body: None,
            retry_after: None,
        };
        match last {
            AttemptOutcome::Answer {
                status,
                retry_after,
                location,
                body,
            } => {
                let mut result = self.answer_result(status, location, body, attempts);
                result.retry_after = retry_after;
                result
            }
            AttemptOutcome::ConnectionFailed(why) => failed(
                Code::ConnectionFailed,
                format!(
                    "no usable answer from {} after {attempts} attempt(s): {why}",
                    self.endpoint
                ),
            ),
            AttemptOutcome::TimedOut { cut_by_deadline } => {
                let why = if cut_by_deadline {
                    format!(
                        "the call's deadline of {} ms passed before {} answered",
                        deadline.as_millis(),
                        self.endpoint
                    )
                } else {
                    format!(
                        "{} did not answer within the attempt timeout of {} ms",
                        self.endpoint,
                        self.timeout.as_millis()
                    )
                };
                failed(Code::Timeout, format!("{why} ({attempts} attempt(s))"))
            }
            AttemptOutcome::Refused(why) => failed(Code::InvalidArgument, why),
        }
    }

    fn answer_result(
        &self,
        status: u16,
        location: Option<String>,
        body: Vec<u8>,
        attempts: u32,
    ) -> SendResult {
        let fields = read_fields(&body);
        let code = code_for_answer(status, fields.error_type.as_deref());
        let message = match (code, fields.message) {
            // The usual answer skips the formatting machinery.
            (Code::Ok, _) if status == 200 => "the service accepted the event (HTTP 200)".into(),
            (Code::Ok, _) => format!("the service accepted the event (HTTP {status})"),
            (_, Some(m)) if !m.is_empty() => m,
            _ if (300..400).contains(&status) => format!(
                "the service answered HTTP {status}, a redirect{}; redirects are not followed \
                 so the token never travels to a host you did not name",
                location
                    .map(|l| format!(" to '{}'", l.chars().take(200).collect::<String>()))
                    .unwrap_or_default()
            ),
            _ => format!("the service answered HTTP {status} without a readable error message"),
        };
        let body = (!body.is_empty()).then(|| self.redact_bytes(body));
        SendResult {
            code,
            http_status: status,
            attempts,
            error_type: fields
                .error_type
                .filter(|_| !code.is_ok())
                .map(|t| self.redact(t)),
            message: self.redact(message),
            visitor_id: fields
                .visitor_id
                .filter(|_| code.is_ok())
                .map(|v| self.redact(v)),
            body,
            retry_after: None,
        }
    }

    /// The text with every occurrence of the token replaced; returned as it is
    /// (no copy) when the token does not occur.
    fn redact(&self, text: String) -> String {
        if self.token_finder.find(text.as_bytes()).is_none() {
            return text;
        }
        // The token is ASCII, so replacing it keeps the text valid UTF-8.
        String::from_utf8(self.redact_bytes(text.into_bytes()))
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }

    /// The bytes with every occurrence of the token replaced (left to right, not
    /// overlapping); returned as they are when the token does not occur.
    fn redact_bytes(&self, body: Vec<u8>) -> Vec<u8> {
        let Some(first) = self.token_finder.find(&body) else {
            return body;
        };
        let token_len = self.token_finder.needle().len();
        let mut out = Vec::with_capacity(body.len());
        out.extend_from_slice(&body[..first]);
        let mut from = first;
        while let Some(at) = self.token_finder.find(&body[from..]) {
            out.extend_from_slice(&body[from..from + at]);
            out.extend_from_slice(b"<redacted>");
            from += at + token_len;
        }
        out.extend_from_slice(&body[from..]);
        out
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.endpoint.as_str())
            .field("token", &"<redacted>")
            .field("policy", &self.policy)
            .field("timeout", &self.timeout)
            .field("deadline", &self.deadline)
            .field("local_checks", &self.local_checks)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_is_send_and_sync() {
        fn shared<T: Send + Sync>() {}
        shared::<Client>();
    }

    #[test]
    fn needs_a_token() {
        let e = Client::new(&Options::new()).unwrap_err();
        assert_eq!(e.code(), Code::InvalidArgument);
    }

    #[test]
    fn debug_and_messages_hide_the_token() {
        let mut o = Options::new();
        o.set_token("xx-secret-123").unwrap();
        o.set_endpoint(Some("http://127.0.0.1:9/rest/ua")).unwrap();
        let c = Client::new(&o).unwrap();
        assert!(!format!("{c:?}").contains("secret"));
        assert_eq!(c.redact("echo xx-secret-123!".into()), "echo <redacted>!");
        assert_eq!(
            c.redact_bytes(b"a xx-secret-123 b".to_vec()),
            b"a <redacted> b"
        );
        // Every occurrence, back to back and at both ends; nothing else changes.
        assert_eq!(
            c.redact("xx-secret-123xx-secret-123 é xx-secret-123".into()),
            "<redacted><redacted> é <redacted>"
        );
        assert_eq!(c.redact("xx-secret-12 x".into()), "xx-secret-12 x");
        assert_eq!(c.redact_bytes(b"".to_vec()), b"");
        assert_eq!(
            c.redact_bytes(b"\xffxx-secret-123\x00".to_vec()),
            b"\xff<redacted>\x00"
        );
    }

    #[test]
    fn bad_ca_file_is_refused() {
        let mut o = Options::new();
        o.set_token("t").unwrap();
        o.set_ca_file(Some("/nonexistent/ca.pem")).unwrap();
        assert_eq!(Client::new(&o).unwrap_err().code(), Code::InvalidArgument);
        let dir = std::env::temp_dir().join(format!("coveo-ua-ca-{}", std::process::id()));
        std::fs::write(&dir, "not a pem").unwrap();
        o.set_ca_file(dir.to_str()).unwrap();
        let e = Client::new(&o).unwrap_err();
        let _ = std::fs::remove_file(&dir);
        assert_eq!(e.code(), Code::InvalidArgument);
        assert!(
            e.message().contains("no PEM certificate"),
            "{}",
            e.message()
        );
    }
}
