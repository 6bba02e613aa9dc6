//! Test support shared by every integration suite: a real `ua-emulator`
//! process with helpers to drive its control API and to build clients against
//! it (here), raw loopback servers (`raw`), and the reconciliation of what a
//! client reported against the emulator's log (`reconcile`).
//!
//! The emulator is an independent oracle: it is written from the service's
//! documentation, not from the library, and shares no code with it. Where its
//! rules mirror the library's checks (required fields, typed fields, the
//! search hub), each side was written from the documentation on its own, so a
//! test that compares them can catch a mistake in either.
#![allow(dead_code)]

mod raw;
mod reconcile;

#[allow(unused_imports)]
pub use raw::{read_request, RawServer, TcpService};
#[allow(unused_imports)]
pub use reconcile::{
    assert_counter_identity, logged_values, marked_event, marker_counts, reconcile, valued_event,
    Tally, REFUSED_BY_THE_SERVICE,
};

use coveo_ua::{Client, Options};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The API key every emulator here accepts.
pub const KEY: &str = "xx-test-key-5f3a9c";
/// A key the emulator knows but without the right to push analytics.
pub const READONLY_KEY: &str = "xx-readonly-key-77";
/// An OAuth-like token tied to no organization.
pub const OAUTH_TOKEN: &str = "oauth-token-no-org-42";
/// The emulator's organization.
pub const ORG: &str = "test-org";

/// A running emulator, killed when dropped.
pub struct Emulator {
    process: EmulatorProcess,
    /// Its base URL, `http://127.0.0.1:PORT/rest/ua`.
    pub url: String,
    /// `http://127.0.0.1:PORT`.
    pub origin: String,
    /// The port it listens on.
    pub port: u16,
    agent: ureq::Agent,
}

/// The emulator binary: `UA_EMULATOR_BIN`, else target/release/ua-emulator.
/// A missing binary fails the test (it is a prerequisite, never a skip).
pub fn emulator_bin() -> PathBuf {
    let path = std::env::var_os("UA_EMULATOR_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/release/ua-emulator")
        });
    assert!(
        path.is_file(),
        "the emulator binary {} is missing: run `cargo build --release --workspace` \
         (or set UA_EMULATOR_BIN)",
        path.display()
    );
    path
}

/// How a test holds its emulator: as its own child, or, for a test program
/// that cannot start a Linux process (a Windows one under Wine), as a
/// connection to `scripts/emulator-launcher.py` (named by
/// `UA_EMULATOR_LAUNCHER`), which stops the emulator when it closes.
enum EmulatorProcess {
    Child(Child),
    Launched(TcpStream),
}

impl EmulatorProcess {
    /// Starts `ua-emulator --listen 127.0.0.1:0 ARGS...` and returns it with
    /// its first stdout line (read within 15 s).
    fn start(args: &[&str]) -> (EmulatorProcess, String) {
        if let Some(launcher) = std::env::var_os("UA_EMULATOR_LAUNCHER") {
            let launcher = launcher.to_string_lossy().into_owned();
            let mut conn = TcpStream::connect(&launcher)
                .unwrap_or_else(|e| panic!("emulator launcher at {launcher}: {e}"));
            conn.set_read_timeout(Some(Duration::from_secs(15)))
                .unwrap();
            let request: String = args.iter().map(|a| format!("{a}\n")).collect();
            conn.write_all(format!("{request}\n").as_bytes()).unwrap();
            let mut line = String::new();
            BufReader::new(&conn)
                .read_line(&mut line)
                .expect("the launcher's answer within 15 s");
            return (EmulatorProcess::Launched(conn), line);
        }
        let mut child = Command::new(emulator_bin())
            .arg("--listen")
            .arg("127.0.0.1:0")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start ua-emulator");
        let stdout = child.stdout.take().expect("emulator stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        match rx.recv_timeout(Duration::from_secs(15)) {
            Ok(line) => (EmulatorProcess::Child(child), line),
            Err(_) => {
                let _ = child.kill();
                panic!("ua-emulator printed no listening line within 15 s");
            }
        }
    }

    fn stop(&mut self) {
        match self {
            EmulatorProcess::Child(child) => {
                let _ = child.kill();
                let _ = child.wait();
            }
            EmulatorProcess::Launched(conn) => {
                let _ = conn.shutdown(std::net::Shutdown::Both);
            }
        }
    }
}

impl Emulator {
    /// Starts an emulator with the test keys and `extra` arguments.
    pub fn start(extra: &[&str]) -> Emulator {
        Emulator::start_with_key(KEY, extra)
    }

    /// Starts an emulator whose push-allowed API key is `key` (plus the
    /// read-only key and the OAuth-like token).
    pub fn start_with_key(key: &str, extra: &[&str]) -> Emulator {
        let mut args = vec!["--org", ORG, "--api-key", key];
        args.extend(["--readonly-key", READONLY_KEY, "--oauth-token", OAUTH_TOKEN]);
        args.extend(extra);
        let (mut process, line) = EmulatorProcess::start(&args);
        let url = match line.find("http://") {
            Some(i) => line[i..].trim().to_string(),
            None => {
                process.stop();
                panic!("unexpected first line from ua-emulator: {line:?}");
            }
        };
        let origin = url.trim_end_matches("/rest/ua").to_string();
        let port = origin
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("port in the emulator URL");
        // proxy(None): some suites set the proxy variables on purpose.
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .proxy(None)
            .timeout_global(Some(Duration::from_secs(10)))
            .build()
            .new_agent();
        Emulator {
            process,
            url,
            origin,
            port,
            agent,
        }
    }

    /// Appends a fault rule (JSON text).
    pub fn fault(&self, rule: &str) {
        let mut r = self
            .agent
            .post(format!("{}/_emulator/faults", self.origin))
            .header("Content-Type", "application/json")
            .send(rule)
            .expect("post fault rule");
        let body = r.body_mut().read_to_string().unwrap_or_default();
        assert_eq!(
            r.status().as_u16(),
            200,
            "fault rule {rule} refused: {body}"
        );
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        self.agent
            .delete(format!("{}/_emulator/faults", self.origin))
            .call()
            .expect("delete faults");
    }

    /// The accepted events, oldest first.
    pub fn events(&self) -> Vec<serde_json::Value> {
        let mut r = self
            .agent
            .get(format!("{}/_emulator/events", self.origin))
            .call()
            .expect("get events");
        // 80,000 events are far past ureq's default 10 MB read limit.
        let text = r
            .body_mut()
            .with_config()
            .limit(1 << 30)
            .read_to_string()
            .expect("events body");
        match serde_json::from_str(&text).expect("events are JSON") {
            serde_json::Value::Array(items) => items,
            other => panic!("events are not an array: {other}"),
        }
    }

    /// The counter `name` of `/_emulator/stats` (requests, accepted, rejected...).
    pub fn stat(&self, name: &str) -> u64 {
        let mut r = self
            .agent
            .get(format!("{}/_emulator/stats", self.origin))
            .call()
            .expect("get stats");
        let text = r.body_mut().read_to_string().expect("stats body");
        let v: serde_json::Value = serde_json::from_str(&text).expect("stats are JSON");
        v[name]
            .as_u64()
            .unwrap_or_else(|| panic!("stats lack {name}: {v}"))
    }

    /// Sends a control request (`/_emulator/...`) and returns its JSON answer;
    /// a status other than 200 fails the test.
    pub fn control(&self, method: &str, path: &str, body: &str) -> serde_json::Value {
        let url = format!("{}/_emulator/{path}", self.origin);
        let sent = match method {
            "GET" => self.agent.get(&url).call(),
            "DELETE" => self.agent.delete(&url).call(),
            "PUT" => self
                .agent
                .put(&url)
                .header("Content-Type", "application/json")
                .send(body),
            _ => self
                .agent
                .post(&url)
                .header("Content-Type", "application/json")
                .send(body),
        };
        let mut r = sent.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let text = r.body_mut().read_to_string().unwrap_or_default();
        assert_eq!(r.status().as_u16(), 200, "{method} {path} {body}: {text}");
        serde_json::from_str(&text).unwrap_or(serde_json::Value::Null)
    }

    /// Requests the emulator read for one kind of path ("custom", "search"...).
    pub fn requests_for(&self, kind: &str) -> u64 {
        let stats = self.control("GET", "stats", "");
        stats["requests_by_kind"][kind]
            .as_u64()
            .unwrap_or_else(|| panic!("stats lack requests_by_kind.{kind}: {stats}"))
    }

    /// Options pointing at this emulator with the test key and quick retries.
    pub fn options(&self) -> Options {
        let mut o = Options::new();
        o.set_token(KEY).unwrap();
        o.set_endpoint(Some(&self.url)).unwrap();
        o.set_retry_backoff_ms(1, 20).unwrap();
        o
    }

    /// A client with [`Emulator::options`].
    pub fn client(&self) -> Client {
        Client::new(&self.options()).expect("client")
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.process.stop();
    }
}

/// A valid custom event.
pub const CUSTOM: &str =
    r#"{"eventType":"test","eventValue":"integration","language":"en","originLevel1":"hub"}"#;
/// A valid search event.
pub const SEARCH: &str = r#"{"actionCause":"searchboxSubmit","language":"en","queryText":"q","responseTime":12,"searchQueryUid":"7f8a2c1e-0000-4000-8000-000000000001"}"#;
/// A valid click event.
pub const CLICK: &str = r#"{"actionCause":"documentOpen","documentPosition":1,"language":"en","searchQueryUid":"7f8a2c1e-0000-4000-8000-000000000001","sourceName":"web"}"#;
/// A valid view event.
pub const VIEW: &str = r#"{"location":"https://example.com/page","language":"en"}"#;

/// A loopback port with nothing listening (bound, then released).
pub fn dead_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// An unsigned search token (JWT) whose `searchHub` claim is `hub`.
pub fn search_token(hub: &str) -> String {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","typ":"JWT"}"#);
    let exp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600;
    let claims = format!(
        r#"{{"v8":true,"organization":"{ORG}","searchHub":"{hub}","userIds":[],"exp":{exp},"iat":{}}}"#,
        exp - 3600
    );
    format!(
        "{header}.{}.{}",
        URL_SAFE_NO_PAD.encode(claims),
        URL_SAFE_NO_PAD.encode("not-checked-signature")
    )
}
