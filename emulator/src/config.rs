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

/// The text printed for `--help`.
pub const USAGE: &str = "\
usage: ua-emulator --listen ADDR:PORT --org ORG --api-key KEY [options]

  --listen ADDR:PORT     where to listen (port 0 picks a free one); default 127.0.0.1:0
  --org ORG              organization id the emulator plays (required)
  --api-key KEY          API key allowed to push events (repeatable)
  --readonly-key KEY     known key without the push right: UnauthorizedOrg (repeatable)
  --oauth-token TOKEN    token with no organization: needs ?org=ORG (repeatable)
  --jwt-secret SECRET    verify HS256 signatures of search tokens
  --rate-limit N         per-token limit in requests per second (429 beyond it)
  --log FILE             append every accepted event to FILE as JSON lines
  --max-body BYTES       largest request body accepted (default 1048576)
  --latency-ms N         every request outside /_emulator/ waits N ms (0..600000,
                         default 0); PUT /_emulator/latency changes it at run time

Control API (no token): /_emulator/faults, /latency, /outage, /events, /stats;
README.md beside the emulator's sources describes each.
";

impl Config {
    /// Parses the arguments that follow the program name.
    pub fn from_args<I: IntoIterator<Item = String>>(args: I) -> Result<Config, String> {
        let mut cfg = Config {
            listen: "127.0.0.1:0".parse().expect("literal address"),
            org: String::new(),
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
            if flag == "--help" || flag == "-h" {
                return Err(String::new());
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
                "--org" => cfg.org = value()?,
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
        if cfg.org.is_empty() {
            return Err("--org is required".into());
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
        Ok(cfg)
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
    fn rejects_missing_org_and_unknown_flags() {
        assert!(parse(&["--api-key", "k"]).is_err());
        assert!(parse(&["--org", "o", "--nope"]).is_err());
        assert!(parse(&["--org", "o", "--listen"]).is_err());
        assert!(parse(&["--org", "o", "--latency-ms", "600001"]).is_err());
        assert!(parse(&["--org", "o", "--latency-ms", "-5"]).is_err());
    }
}
