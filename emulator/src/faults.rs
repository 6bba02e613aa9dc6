//! Fault rules posted to `/_emulator/faults`: what they say and the queue that
//! hands them to the next requests.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};

use crate::config::MAX_LATENCY_MS;

/// What a rule does to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Answer `status` with the chosen body instead of processing.
    Respond,
    /// Read the request, close without answering (FIN).
    Close,
    /// Read the request, reset the connection (RST).
    Reset,
    /// Process normally, then close without sending the answer.
    RecordThenClose,
    /// Process normally, send the answer cut short of its Content-Length, close.
    Truncate,
    /// Hold the connection without answering, then close.
    Stall,
    /// Process normally, send the answer one byte at a time.
    Trickle,
    /// Read the request, send bytes that are not HTTP, close.
    Garbage,
    /// Only wait `delay_ms`, then process normally.
    Delay,
}

impl Action {
    fn name(self) -> &'static str {
        match self {
            Action::Respond => "respond",
            Action::Close => "close",
            Action::Reset => "reset",
            Action::RecordThenClose => "record_then_close",
            Action::Truncate => "truncate",
            Action::Stall => "stall",
            Action::Trickle => "trickle",
            Action::Garbage => "garbage",
            Action::Delay => "delay",
        }
    }
}

/// Body of a `respond` answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyStyle {
    /// `{"message", "type"}` with `application/json`.
    Json,
    /// Empty body.
    None,
    /// A small HTML page, like a load balancer's.
    Html,
    /// A line of plain text.
    Text,
    /// Bytes that are not JSON, labelled `application/json`.
    Garbage,
}

impl BodyStyle {
    fn name(self) -> &'static str {
        match self {
            BodyStyle::Json => "json",
            BodyStyle::None => "none",
            BodyStyle::Html => "html",
            BodyStyle::Text => "text",
            BodyStyle::Garbage => "garbage",
        }
    }
}

/// Longest outage window a rule may ask for: one hour.
const MAX_DURATION_MS: u64 = 3_600_000;

/// One fault rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Requests left to apply to; 0 means until the rules are deleted.
    pub remaining: u64,
    /// Whether `remaining` counts down (false for a window rule).
    pub unlimited: bool,
    /// For a window rule: its length, and when it ends (it opens when posted).
    pub window: Option<(u64, Instant)>,
    /// What to do.
    pub action: Action,
    /// Status for `respond`.
    pub status: u16,
    /// `type` of the JSON error body.
    pub kind: Option<String>,
    /// `message` of the JSON error body.
    pub message: Option<String>,
    /// Body of `respond`.
    pub body: BodyStyle,
    /// `Retry-After` value sent verbatim.
    pub retry_after: Option<String>,
    /// `Location` value sent verbatim (to answer a redirect).
    pub location: Option<String>,
    /// Wait before acting (or the stall length / trickle pace).
    pub delay_ms: Option<u64>,
    /// Wait added to the global latency before anything else, whatever the action.
    pub latency_ms: Option<u64>,
    /// Only requests whose path starts with this.
    pub path: Option<String>,
}

impl Rule {
    /// Reads a rule from its JSON form; the error says what is wrong.
    pub fn from_json(v: &Value) -> Result<Rule, String> {
        let obj = v.as_object().ok_or("A fault rule must be a JSON object.")?;
        const KNOWN: &[&str] = &[
            "count",
            "action",
            "status",
            "type",
            "message",
            "body",
            "retry_after",
            "location",
            "delay_ms",
            "latency_ms",
            "duration_ms",
            "path",
        ];
        if let Some(k) = obj.keys().find(|k| !KNOWN.contains(&k.as_str())) {
            return Err(format!("Unknown field '{k}'."));
        }
        let duration_ms = millis(obj, "duration_ms", 1, MAX_DURATION_MS)?;
        if duration_ms.is_some() && obj.contains_key("count") {
            return Err(
                "'count' and 'duration_ms' exclude each other (N requests or N ms).".into(),
            );
        }
        let count = match obj.get("count") {
            None if duration_ms.is_some() => 0,
            None => 1,
            Some(c) => c.as_u64().ok_or("'count' must be an integer >= 0.")?,
        };
        let status = match obj.get("status") {
            None => None,
            Some(s) => Some(
                s.as_u64()
                    .filter(|s| (200..=599).contains(s))
                    .ok_or("'status' must be an integer from 200 to 599.")? as u16,
            ),
        };
        let delay_ms = millis(obj, "delay_ms", 0, 600_000)?;
        let latency_ms = millis(obj, "latency_ms", 0, MAX_LATENCY_MS)?;
        let waits = delay_ms.is_some() || latency_ms.is_some();
        let action = action(obj, status.is_some(), waits)?;
        if action == Action::Respond && status.is_none() {
            return Err("Action 'respond' needs a 'status'.".into());
        }
        let body = match obj
            .get("body")
            .map(|b| b.as_str().ok_or("'body' must be a string."))
        {
            None => BodyStyle::Json,
            Some(b) => match b? {
                "json" => BodyStyle::Json,
                "none" => BodyStyle::None,
                "html" => BodyStyle::Html,
                "text" => BodyStyle::Text,
                "garbage" => BodyStyle::Garbage,
                other => return Err(format!("Unknown body '{other}'.")),
            },
        };
        let text = |name: &str| -> Result<Option<String>, String> {
            match obj.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(Value::Number(n)) if name == "retry_after" => Ok(Some(n.to_string())),
                Some(_) => Err(format!("'{name}' must be a string.")),
            }
        };
        // Both are sent as header values: no byte may break the header section.
        let header_value = |name: &str| -> Result<Option<String>, String> {
            let value = text(name)?;
            if value.as_ref().is_some_and(|r| {
                r.bytes()
                    .any(|b| !(b == b' ' || b == b'\t' || (0x21..0x7f).contains(&b)))
            }) {
                return Err(format!("'{name}' must be printable ASCII."));
            }
            Ok(value)
        };
        let retry_after = header_value("retry_after")?;
        let location = header_value("location")?;
        Ok(Rule {
            remaining: count,
            unlimited: count == 0,
            window: duration_ms.map(|ms| (ms, Instant::now() + Duration::from_millis(ms))),
            action,
            status: status.unwrap_or(200),
            kind: text("type")?,
            message: text("message")?,
            body,
            retry_after,
            location,
            delay_ms,
            latency_ms,
            path: text("path")?,
        })
    }

    /// The rule as the control API shows it.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        match self.window {
            None => {
                let count = if self.unlimited { 0 } else { self.remaining };
                m.insert("count".into(), json!(count));
            }
            Some((ms, until)) => {
                let left = until.saturating_duration_since(Instant::now());
                m.insert("duration_ms".into(), json!(ms));
                m.insert("remaining_ms".into(), json!(left.as_millis() as u64));
            }
        }
        m.insert("action".into(), json!(self.action.name()));
        if self.action == Action::Respond {
            m.insert("status".into(), json!(self.status));
            m.insert("body".into(), json!(self.body.name()));
        }
        let opt = |m: &mut Map<String, Value>, k: &str, v: &Option<String>| {
            if let Some(v) = v {
                m.insert(k.into(), json!(v));
            }
        };
        opt(&mut m, "type", &self.kind);
        opt(&mut m, "message", &self.message);
        opt(&mut m, "retry_after", &self.retry_after);
        opt(&mut m, "location", &self.location);
        opt(&mut m, "path", &self.path);
        if let Some(d) = self.delay_ms {
            m.insert("delay_ms".into(), json!(d));
        }
        if let Some(l) = self.latency_ms {
            m.insert("latency_ms".into(), json!(l));
        }
        Value::Object(m)
    }

    /// True once a window rule's window has closed.
    fn expired(&self, now: Instant) -> bool {
        self.window.is_some_and(|(_, until)| now >= until)
    }
}

/// The rule's action: as named, or implied by a `status` (respond) or by a
/// wait alone (delay).
fn action(obj: &Map<String, Value>, has_status: bool, waits: bool) -> Result<Action, String> {
    let Some(name) = obj.get("action") else {
        return match (has_status, waits) {
            (true, _) => Ok(Action::Respond),
            (false, true) => Ok(Action::Delay),
            (false, false) => Err(
                "A fault rule needs an 'action', a 'status', a 'delay_ms' or a 'latency_ms'."
                    .into(),
            ),
        };
    };
    Ok(match name.as_str().ok_or("'action' must be a string.")? {
        "respond" => Action::Respond,
        "close" => Action::Close,
        "reset" => Action::Reset,
        "record_then_close" => Action::RecordThenClose,
        "truncate" => Action::Truncate,
        "stall" => Action::Stall,
        "trickle" => Action::Trickle,
        "garbage" => Action::Garbage,
        "delay" => Action::Delay,
        other => return Err(format!("Unknown action '{other}'.")),
    })
}

/// Reads the optional whole number of milliseconds `name`, from `min` to `max`.
fn millis(obj: &Map<String, Value>, name: &str, min: u64, max: u64) -> Result<Option<u64>, String> {
    match obj.get(name) {
        None => Ok(None),
        Some(v) => v
            .as_u64()
            .filter(|ms| (min..=max).contains(ms))
            .map(Some)
            .ok_or_else(|| format!("'{name}' must be an integer from {min} to {max}.")),
    }
}

/// Pending rules, consumed in order.
#[derive(Default)]
pub struct Faults {
    /// Number of rules, read without the lock so the hot path skips it when zero.
    len: AtomicUsize,
    rules: Mutex<VecDeque<Rule>>,
}

impl Faults {
    /// Appends rules.
    pub fn push(&self, new: Vec<Rule>) -> usize {
        let mut rules = self.rules.lock().unwrap_or_else(|p| p.into_inner());
        rules.extend(new);
        self.len.store(rules.len(), Ordering::Release);
        rules.len()
    }

    /// Removes every rule; returns how many there were.
    pub fn clear(&self) -> usize {
        let mut rules = self.rules.lock().unwrap_or_else(|p| p.into_inner());
        let n = rules.len();
        rules.clear();
        self.len.store(0, Ordering::Release);
        n
    }

    /// The pending rules as JSON (window rules whose window has closed are dropped first).
    pub fn list(&self) -> Value {
        let mut rules = self.rules.lock().unwrap_or_else(|p| p.into_inner());
        self.drop_expired(&mut rules);
        Value::Array(rules.iter().map(Rule::to_json).collect())
    }

    /// Window rules end by themselves; nothing wakes up to remove them, so
    /// whoever looks at the queue does.
    fn drop_expired(&self, rules: &mut VecDeque<Rule>) {
        let now = Instant::now();
        rules.retain(|r| !r.expired(now));
        self.len.store(rules.len(), Ordering::Release);
    }

    /// Takes the rule for a request on `path`, if any: the first pending rule
    /// whose path filter matches, counting one use of it.
    pub fn take(&self, path: &str) -> Option<Rule> {
        if self.len.load(Ordering::Acquire) == 0 {
            return None;
        }
        let mut rules = self.rules.lock().unwrap_or_else(|p| p.into_inner());
        self.drop_expired(&mut rules);
        let i = rules
            .iter()
            .position(|r| r.path.as_deref().is_none_or(|p| path.starts_with(p)))?;
        let rule = rules[i].clone();
        if !rule.unlimited {
            rules[i].remaining -= 1;
            if rules[i].remaining == 0 {
                rules.remove(i);
            }
        }
        self.len.store(rules.len(), Ordering::Release);
        Some(rule)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_parse_with_defaults_and_errors() {
        let r = Rule::from_json(&json!({"status": 503})).unwrap();
        assert_eq!(
            (r.action, r.remaining, r.body),
            (Action::Respond, 1, BodyStyle::Json)
        );
        let r = Rule::from_json(&json!({"delay_ms": 5})).unwrap();
        assert_eq!(r.action, Action::Delay);
        let r = Rule::from_json(&json!({"latency_ms": 5})).unwrap();
        assert_eq!(
            (r.action, r.latency_ms, r.delay_ms),
            (Action::Delay, Some(5), None)
        );
        let e = Rule::from_json(&json!({"status": 503, "latency_ms": 600_001})).unwrap_err();
        assert!(e.contains("'latency_ms'"), "{e}");
        assert!(Rule::from_json(&json!({"action": "respond"})).is_err());
        assert!(Rule::from_json(&json!({"action": "explode"})).is_err());
        assert!(Rule::from_json(&json!({"stauts": 500})).is_err());
        assert!(Rule::from_json(&json!({})).is_err());
        let r = Rule::from_json(&json!({"status": 429, "retry_after": 3})).unwrap();
        assert_eq!(r.retry_after.as_deref(), Some("3"));
        let r =
            Rule::from_json(&json!({"status": 302, "location": "http://127.0.0.1:9/x"})).unwrap();
        assert_eq!(r.location.as_deref(), Some("http://127.0.0.1:9/x"));
        assert!(Rule::from_json(&json!({"status": 302, "location": "a\r\nX-Evil: 1"})).is_err());
    }

    #[test]
    fn queue_counts_down_in_order_and_filters_paths() {
        let f = Faults::default();
        let r = |v| Rule::from_json(&v).unwrap();
        f.push(vec![
            r(json!({"status": 500, "count": 2, "path": "/rest/ua/v15/analytics/click"})),
            r(json!({"status": 502})),
        ]);
        assert_eq!(f.take("/rest/ua/v15/analytics/custom").unwrap().status, 502);
        assert!(f.take("/rest/ua/v15/analytics/custom").is_none());
        assert_eq!(f.take("/rest/ua/v15/analytics/click").unwrap().status, 500);
        assert_eq!(f.take("/rest/ua/v15/analytics/click").unwrap().status, 500);
        assert!(f.take("/rest/ua/v15/analytics/click").is_none());
        f.push(vec![r(json!({"status": 503, "count": 0}))]);
        for _ in 0..5 {
            assert!(f.take("/x").is_some());
        }
        assert_eq!(f.clear(), 1);
    }

    #[test]
    fn window_rules_apply_until_they_expire() {
        let r = Rule::from_json(&json!({"status": 503, "duration_ms": 1})).unwrap();
        assert!(r.unlimited && r.window.is_some());
        assert!(Rule::from_json(&json!({"status": 503, "duration_ms": 5, "count": 1})).is_err());
        assert!(Rule::from_json(&json!({"status": 503, "duration_ms": 0})).is_err());
        let f = Faults::default();
        f.push(vec![r]);
        std::thread::sleep(Duration::from_millis(5));
        assert!(f.take("/x").is_none());
        assert_eq!(f.len.load(Ordering::Acquire), 0);
    }
}
