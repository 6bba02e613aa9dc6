//! Command-line options of `ua-emulator`.

use std::net::SocketAddr;
use std::path::PathBuf;

/// Everything the emulator is told on its command line.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on; port 0 picks a free port.
    pub listen: SocketAddr,
    /// The organization this emulator plays.
    pub org: String,
    /// API keys allowed to push analytics events to `org`.
    pub api_keys: Vec<String>,
    /// Keys known to `org` but lacking the analytics push right.
    pub readonly_keys: Vec<String>,
    /// OAuth2-style tokens tied to no organization.
    pub oauth_tokens: Vec<String>,
    /// Secret that search tokens (JWT, HS256) must be signed with; `None` accepts them unverified.
    pub jwt_secret: Option<String>,
    /// Requests per second allowed per token; `None` disables rate limiting.
    pub rate_limit: Option<u32>,
    /// File that every accepted event is appended to as one JSON line.
    pub log_file: Option<PathBuf>,
    /// Largest request body accepted, in bytes.
    pub max_body: usize,
    /// Wait added before every request outside `/_emulator/` is processed, at start.
    pub latency_ms: u64,
}

/// Largest added latency, on the command line or in a rule: ten minutes, so
/// every wait stays bounded.
pub const MAX_LATENCY_MS: u64 = 600_000;

/// The organization played when `--org` is not given, so that `ua-emulator`
/// starts with no argument at all for a quick try.
pub const DEFAULT_ORG: &str = "emulator-org";

/// One line saying how to call the emulator, printed after a command-line error.
pub const USAGE_LINE: &str =
    "usage: ua-emulator [--listen ADDR:PORT] [--org ORG] [--api-key KEY ...] [options]";

/// The text printed for `--help`: complete by itself, since a user who
/// installed the binary (with `cargo install` or from the tarball) may have
/// no copy of emulator/README.md.
pub const HELP: &str = "\
ua-emulator: a local stand-in for the Coveo Usage Analytics Write API v15,
with fault injection, for tests. Plain HTTP, no TLS, no Coveo account.

usage: ua-emulator [--listen ADDR:PORT] [--org ORG] [--api-key KEY ...] [options]

  --listen ADDR:PORT     where to listen; port 0 picks a free one (default 127.0.0.1:0)
  --org ORG              the organization it plays (default emulator-org)
  --api-key KEY          an API key allowed to push events to ORG (repeatable);
                         without one, every API key is refused (InvalidToken)
  --readonly-key KEY     a known key without the push right: UnauthorizedOrg (repeatable)
  --oauth-token TOKEN    a token of no organization: needs ?org=ORG (repeatable)
  --jwt-secret SECRET    verify HS256 signatures of search tokens (unverified without it)
  --rate-limit N         per-token limit in requests per second (429 + Retry-After beyond it)
  --log FILE             append every accepted event to FILE as one JSON line
  --max-body BYTES       largest request body accepted (default 1048576)
  --latency-ms N         every request outside /_emulator/ waits N ms first
                         (0..600000, default 0); PUT /_emulator/latency changes it
  --version              print the version and exit
  --help                 print this text and exit

Once it accepts connections it prints one line on stdout,
  ua-emulator listening on http://127.0.0.1:PORT/rest/ua
the base URL to give the client (a loopback one even with --listen 0.0.0.0:PORT).
SIGTERM or SIGINT stops it with status 0; a bad command line exits with 2, an
address it cannot listen on with 1.

The service: POST /rest/ua/v15/analytics/search, /click, /custom, /view (one
event) and /searches (an array of search events), with 'Authorization: Bearer
KEY' and 'Content-Type: application/json'; errors as the real service answers
them, {\"message\": ..., \"type\": ...}.

Control API (no token; not part of the real service):
  POST   /_emulator/faults    a fault rule, or an array of rules (below)
  GET    /_emulator/faults    the pending rules; DELETE removes them
  GET    /_emulator/events    the accepted events, oldest first (?after=SEQ); DELETE clears them
  GET    /_emulator/stats     request counters; DELETE sets them to zero
  GET    /_emulator/latency   the added latency; PUT {\"latency_ms\": N} changes it
  POST   /_emulator/outage    {\"refuse_ms\": N}: refuse every connection for N ms
A refused control request gets 400 with type InvalidJson (not JSON) or
InvalidRequest (naming the field at fault).

A fault rule applies to the next requests outside /_emulator/, e.g.
{\"status\": 503, \"count\": 2} answers the next two with 503. Its fields:
  count          how many requests (default 1; 0: every one until DELETE), or
  duration_ms    every request for this many ms (an outage window)
  action         respond (implied by status), delay (implied by waits alone),
                 close, reset, record_then_close, truncate, stall, trickle, garbage
  status         200..599, for respond
  type, message  the JSON error body's fields
  body           json (default), none, html, text, garbage
  retry_after    a Retry-After value, sent verbatim
  location       a Location value, sent verbatim
  delay_ms       wait before acting; latency_ms: wait added to the global latency
  path           only requests whose path starts with this

The full reference is emulator/README.md in the coveo-ua sources.
";

/// What the command line asks for.
#[derive(Debug)]
pub enum Invocation {
    /// Run the emulator.
    Run(Config),
    /// Print [`HELP`].
    Help,
    /// Print the version.
    Version,
}

impl Config {
    /// Parses the arguments of a run (`--help` and `--version` are errors
    /// here), for the unit tests.
    #[cfg(test)]
    pub fn from_args<I: IntoIterator<Item = String>>(args: I) -> Result<Config, String> {
        match Config::parse(args)? {
            Invocation::Run(cfg) => Ok(cfg),
            other => Err(format!("{other:?} is not a run")),
        }
    }

    /// Parses the arguments that follow the program name.
    pub fn parse<I: IntoIterator<Item = String>>(args: I) -> Result<Invocation, String> {
        let mut cfg = Config {
            listen: "127.0.0.1:0".parse().expect("literal address"),
            org: DEFAULT_ORG.to_string(),
            api_keys: Vec::new(),
            readonly_keys: Vec::new(),
            oauth_tokens: Vec::new(),
            jwt_secret: None,
            rate_limit: None,
            log_file: None,
            max_body: 1 << 20,
            latency_ms: 0,
        };
        let mut args = args.into_iter();
        while let Some(flag) = args.next() {
            match flag.as_str() {
                "--help" | "-h" => return Ok(Invocation::Help),
                "--version" | "-V" => return Ok(Invocation::Version),
                _ => {}
            }
            // Accept both `--flag value` and `--flag=value`.
            let (name, inline) = match flag.split_once('=') {
                Some((n, v)) if n.starts_with("--") => (n.to_string(), Some(v.to_string())),
                _ => (flag.clone(), None),
            };
            let mut value = || -> Result<String, String> {
                match inline.clone() {
                    Some(v) => Ok(v),
                    None => args.next().ok_or_else(|| format!("{name} needs a value")),
                }
            };
            match name.as_str() {
                "--listen" => {
                    let v = value()?;
                    cfg.listen = v
                        .parse()
                        .map_err(|_| format!("--listen: '{v}' is not ADDRESS:PORT"))?;
                }
                "--org" => {
                    cfg.org = value()?;
                    if cfg.org.is_empty() {
                        return Err("--org: the organization id is empty".into());
                    }
                }
                "--api-key" => cfg.api_keys.push(value()?),
                "--readonly-key" => cfg.readonly_keys.push(value()?),
                "--oauth-token" => cfg.oauth_tokens.push(value()?),
                "--jwt-secret" => cfg.jwt_secret = Some(value()?),
                "--rate-limit" => {
                    let v = value()?;
                    let n: u32 = v
                        .parse()
                        .map_err(|_| format!("--rate-limit: '{v}' is not a whole number"))?;
                    cfg.rate_limit = (n > 0).then_some(n);
                }
                "--log" => cfg.log_file = Some(PathBuf::from(value()?)),
                "--max-body" => {
                    let v = value()?;
                    cfg.max_body = v
                        .parse()
                        .map_err(|_| format!("--max-body: '{v}' is not a number of bytes"))?;
                }
                "--latency-ms" => {
                    let v = value()?;
                    cfg.latency_ms = v
                        .parse()
                        .ok()
                        .filter(|ms| *ms <= MAX_LATENCY_MS)
                        .ok_or_else(|| {
                            format!("--latency-ms: '{v}' is not a whole number from 0 to {MAX_LATENCY_MS}")
                        })?;
                }
                other => return Err(format!("unknown option '{other}'")),
            }
        }
        let all_tokens = cfg
            .api_keys
            .iter()
            .chain(&cfg.readonly_keys)
            .chain(&cfg.oauth_tokens);
        for t in all_tokens {
            if t.is_empty() || t.bytes().any(|b| !(0x21..0x7f).contains(&b)) {
                return Err("tokens must be non-empty visible ASCII".into());
            }
        }
        Ok(Invocation::Run(cfg))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(a: &[&str]) -> Result<Config, String> {
        Config::from_args(a.iter().map(|s| s.to_string()))
    }

    #[test]
    fn parses_repeated_and_inline_flags() {
        let c = parse(&[
            "--org=o",
            "--api-key",
            "k1",
            "--api-key=k2",
            "--rate-limit",
            "5",
            "--max-body",
            "10",
            "--latency-ms=25",
        ])
        .unwrap();
        assert_eq!(c.latency_ms, 25);
        assert_eq!(c.api_keys, ["k1", "k2"]);
        assert_eq!(c.rate_limit, Some(5));
        assert_eq!(c.max_body, 10);
    }

    #[test]
    fn org_defaults_and_unknown_flags_are_rejected() {
        assert_eq!(parse(&["--api-key", "k"]).unwrap().org, DEFAULT_ORG);
        assert!(parse(&["--org", ""]).is_err());
        assert!(parse(&["--org", "o", "--nope"]).is_err());
        assert!(parse(&["--org", "o", "--listen"]).is_err());
        assert!(parse(&["--org", "o", "--latency-ms", "600001"]).is_err());
        assert!(parse(&["--org", "o", "--latency-ms", "-5"]).is_err());
    }
}
