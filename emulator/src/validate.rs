//! Checks of event bodies: JSON syntax, required fields per kind and the typed
//! constraints the service enforces, with the service's message forms.

use serde_json::{Map, Value};

use crate::errors::ApiError;
use crate::ids::is_uuid;

/// The kinds of events, one per event path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `POST /v15/analytics/search` (and each item of `/searches`).
    Search,
    /// `POST /v15/analytics/click`.
    Click,
    /// `POST /v15/analytics/custom`.
    Custom,
    /// `POST /v15/analytics/view`.
    View,
    /// `POST /v15/analytics/collect`: one object in the Measurement-Protocol
    /// form (Case Assist, older commerce setups). The service publishes no
    /// field rule for it, so any object is accepted.
    Collect,
}

impl Kind {
    /// Lowercase name used in paths and the event log.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Search => "search",
            Kind::Click => "click",
            Kind::Custom => "custom",
            Kind::View => "view",
            Kind::Collect => "collect",
        }
    }

    /// Whether the published field rules of the four classic kinds (required
    /// fields, typed fields, the search token's hub) apply.
    pub fn has_published_fields(self) -> bool {
        self != Kind::Collect
    }

    /// Prefix of field names in messages (`customEvent.eventType`).
    fn object_name(self) -> &'static str {
        match self {
            Kind::Search => "searchEvent",
            Kind::Click => "clickEvent",
            Kind::Custom => "customEvent",
            Kind::View => "viewEvent",
            Kind::Collect => "collectEvent",
        }
    }

    /// Fields the service refuses an event without. `language` is not required
    /// for views: the docs say so, and we take the lenient side.
    fn required(self) -> &'static [&'static str] {
        match self {
            Kind::Search => &[
                "actionCause",
                "language",
                "queryText",
                "responseTime",
                "searchQueryUid",
            ],
            Kind::Click => &[
                "actionCause",
                "documentPosition",
                "language",
                "searchQueryUid",
                "sourceName",
            ],
            Kind::Custom => &["eventType", "eventValue", "language"],
            Kind::View => &["location"],
            Kind::Collect => &[],
        }
    }
}

/// Parses a body as JSON with the service's `InvalidJson` message on failure.
/// serde_json's recursion limit (128 levels) stays on, so deep nesting is an
/// error rather than a stack overflow.
pub fn parse_json(body: &[u8]) -> Result<Value, ApiError> {
    if let Err(e) = std::str::from_utf8(body) {
        let good = &body[..e.valid_up_to()];
        let line = 1 + good.iter().filter(|&&b| b == b'\n').count();
        let column = 1 + good.iter().rev().take_while(|&&b| b != b'\n').count();
        let bad = body[e.valid_up_to()];
        return Err(invalid_json(
            &format!("Invalid UTF-8 byte 0x{bad:02x}"),
            line,
            column,
        ));
    }
    serde_json::from_slice(body).map_err(|e| {
        let text = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        let reason = text.strip_suffix(&suffix).unwrap_or(&text);
        invalid_json(reason, e.line(), e.column())
    })
}

fn invalid_json(reason: &str, line: usize, column: usize) -> ApiError {
    ApiError::new(
        400,
        "InvalidJson",
        &format!("Unable to parse the provided JSON: {reason} at line {line}, column {column}."),
    )
}

/// Checks one event object of `kind`.
pub fn check_event(kind: Kind, event: &Map<String, Value>) -> Result<(), ApiError> {
    if !kind.has_published_fields() {
        return Ok(());
    }
    let obj = kind.object_name();
    for field in kind.required() {
        if event.get(*field).is_none_or(Value::is_null) {
            return Err(ApiError::new(
                400,
                "MissingParameter",
                &format!("Parameter '{obj}.{field}' is missing."),
            ));
        }
    }
    let present = |f: &str| event.get(f).filter(|v| !v.is_null());
    let bad = |field: &str, want: &str| {
        ApiError::invalid_object(format!(
            "The value of '{obj}.{field}' is invalid: expected {want}."
        ))
    };
    let int_in = |field: &str, lo: i64, hi: i64, want: &str| -> Result<(), ApiError> {
        match present(field) {
            None => Ok(()),
            Some(v) => match v.as_i64() {
                Some(n) if n >= lo && n <= hi => Ok(()),
                _ => Err(bad(field, want)),
            },
        }
    };
    int_in("outcome", -5, 5, "an integer from -5 to 5")?;
    if let Some(v) = present("clientId") {
        if !v.as_str().is_some_and(is_uuid) {
            return Err(bad("clientId", "a UUID string"));
        }
    }
    if present("customData").is_some_and(|v| !v.is_object()) {
        return Err(bad("customData", "an object"));
    }
    if present("anonymous").is_some_and(|v| !v.is_boolean()) {
        return Err(bad("anonymous", "true or false"));
    }
    match kind {
        Kind::Search => {
            int_in("responseTime", 1, i64::MAX, "a positive integer")?;
            int_in("numberOfResults", 0, i64::MAX, "an integer >= 0")?;
        }
        Kind::Click => int_in("documentPosition", 1, i64::MAX, "an integer >= 1")?,
        Kind::Custom | Kind::View | Kind::Collect => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(kind: Kind, v: Value) -> Result<(), ApiError> {
        check_event(kind, v.as_object().unwrap())
    }

    fn custom() -> Value {
        json!({"eventType": "t", "eventValue": "v", "language": "en"})
    }

    #[test]
    fn missing_fields_are_named_and_null_is_absent() {
        let e = check(Kind::Custom, json!({"eventValue": "v", "language": "en"})).unwrap_err();
        assert_eq!(e.message, "Parameter 'customEvent.eventType' is missing.");
        let e = check(
            Kind::Custom,
            json!({"eventType": null, "eventValue": "v", "language": "en"}),
        )
        .unwrap_err();
        assert_eq!(e.kind, "MissingParameter");
        assert!(check(Kind::View, json!({"location": "x"})).is_ok());
        let search = json!({"actionCause": "a", "language": "en", "queryText": "",
            "responseTime": 1, "searchQueryUid": "u"});
        assert!(check(Kind::Search, search).is_ok());
    }

    #[test]
    fn typed_fields() {
        let with = |k: &str, v: Value| {
            let mut e = custom();
            e[k] = v;
            check(Kind::Custom, e)
        };
        assert!(with("outcome", json!(5)).is_ok());
        assert_eq!(
            with("outcome", json!("5")).unwrap_err().kind,
            "InvalidObject"
        );
        assert!(with("outcome", json!(6)).is_err());
        assert!(with("outcome", json!(1.5)).is_err());
        assert!(with("clientId", json!("nope")).is_err());
        assert!(with("customData", json!([1])).is_err());
        assert!(with("anonymous", json!("true")).is_err());
        assert!(with("anonymous", json!(null)).is_ok());
    }

    #[test]
    fn collect_takes_any_object() {
        assert!(check(Kind::Collect, json!({})).is_ok());
        let odd = json!({"outcome": "x", "clientId": "nope", "customData": [1], "anonymous": 1});
        assert!(check(Kind::Collect, odd).is_ok());
    }

    #[test]
    fn json_errors_carry_position() {
        let e = parse_json(b"{\n  \"a\" 1}").unwrap_err();
        assert_eq!(e.kind, "InvalidJson");
        assert!(
            e.message.starts_with("Unable to parse the provided JSON: "),
            "{}",
            e.message
        );
        assert!(e.message.ends_with("at line 2, column 7."), "{}", e.message);
        let e = parse_json(b"{\"a\":\"\xff\"}").unwrap_err();
        assert!(
            e.message.contains("0xff at line 1, column 7."),
            "{}",
            e.message
        );
        let deep = "[".repeat(100_000);
        assert_eq!(parse_json(deep.as_bytes()).unwrap_err().kind, "InvalidJson");
    }
}
