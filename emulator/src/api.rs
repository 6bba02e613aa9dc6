//! The Write API itself: routes under `/rest/ua`, the order of checks, and the
//! success answers.
//!
//! Order of checks (the first failure answers): path (404) -> method (405) ->
//! header syntax (InvalidHeadersException) -> Accept (406) -> Content-Type
//! (415, POST only) -> Authorization (InvalidTokenHeader, InvalidToken) ->
//! organization (NoWorkgroupAssociatedWithToken, UnauthorizedOrg) -> rate limit
//! (429) -> JSON syntax (InvalidJson) -> body shape (InvalidObject) -> search
//! hub (UnauthorizedHub) -> required fields (MissingParameter) -> field types
//! (InvalidObject).
//!
//! `/collect` takes any JSON object: its fields follow the Measurement Protocol
//! and the service publishes no rule for them, so the last three checks do not
//! apply there (everything before them does).

use serde_json::Value;

use crate::auth::Caller;
use crate::errors::ApiError;
use crate::events::NewEvent;
use crate::http::{Request, Response};
use crate::ids::{is_uuid, new_uuid};
use crate::state::{State, Stats};
use crate::validate::{check_event, parse_json, Kind};

/// Base path of the service.
pub const BASE: &str = "/rest/ua";

enum Route {
    Event(Kind),
    Searches,
    Health,
    Status,
    Visit,
}

fn route(path: &str) -> Option<(Route, &'static str)> {
    let rest = path.strip_prefix(BASE)?.strip_prefix("/v15/analytics/")?;
    Some(match rest {
        "search" => (Route::Event(Kind::Search), "POST"),
        "click" => (Route::Event(Kind::Click), "POST"),
        "custom" => (Route::Event(Kind::Custom), "POST"),
        "view" => (Route::Event(Kind::View), "POST"),
        "collect" => (Route::Event(Kind::Collect), "POST"),
        "searches" => (Route::Searches, "POST"),
        "monitoring/health" => (Route::Health, "GET"),
        "status" => (Route::Status, "GET"),
        "visit" => (Route::Visit, "GET"),
        _ => return None,
    })
}

/// Names under which `GET /_emulator/stats` counts requests: one per path of
/// the service, then `other` for unknown paths and unreadable requests.
pub const COUNTED_KINDS: [&str; 10] = [
    "search", "searches", "click", "custom", "view", "collect", "visit", "health", "status",
    "other",
];

/// Where [`COUNTED_KINDS`] counts requests that match no path.
pub const OTHER_KIND: usize = 9;

/// Index into [`COUNTED_KINDS`] for a request on `path`, whatever its method.
pub fn counted_kind(path: &str) -> usize {
    match route(path) {
        Some((Route::Event(Kind::Search), _)) => 0,
        Some((Route::Searches, _)) => 1,
        Some((Route::Event(Kind::Click), _)) => 2,
        Some((Route::Event(Kind::Custom), _)) => 3,
        Some((Route::Event(Kind::View), _)) => 4,
        Some((Route::Event(Kind::Collect), _)) => 5,
        Some((Route::Visit, _)) => 6,
        Some((Route::Health, _)) => 7,
        Some((Route::Status, _)) => 8,
        None => OTHER_KIND,
    }
}

/// Answers one request to the service (events are recorded as a side effect).
pub fn handle(state: &State, req: &Request) -> Response {
    match answer(state, req) {
        Ok(r) => r,
        Err((e, extra)) => {
            let mut r = e.response();
            r.headers.extend(extra);
            r
        }
    }
}

type Failure = (ApiError, Vec<(&'static str, String)>);

fn fail(e: ApiError) -> Failure {
    (e, Vec::new())
}

fn answer(state: &State, req: &Request) -> Result<Response, Failure> {
    let Some((route, method)) = route(&req.path) else {
        return Err(fail(ApiError::new(
            404,
            "InvalidUri",
            &format!("No endpoint matches '{}'.", printable_path(&req.path)),
        )));
    };
    if req.method != method {
        return Err((
            ApiError::new(
                405,
                "MethodNotAllowed",
                &format!(
                    "Method '{}' is not allowed here; use {method}.",
                    printable_path(&req.method)
                ),
            ),
            vec![("Allow", method.to_string())],
        ));
    }
    if let Some(why) = &req.bad_header {
        return Err(fail(ApiError::new(
            400,
            "InvalidHeadersException",
            &format!("Malformed header: {why}."),
        )));
    }
    if !accepts_json(req.accept.as_deref()) {
        return Err(fail(ApiError::new(
            406,
            "InvalidRequest",
            "The Accept header excludes application/json, the only type this service produces.",
        )));
    }
    if method == "POST" && !is_json_type(req.content_type.as_deref()) {
        return Err(fail(ApiError::new(
            415,
            "InvalidRequest",
            "The Content-Type must be application/json.",
        )));
    }
    match route {
        Route::Health => return Ok(Response::json(200, br#"{"status":"UP"}"#.to_vec())),
        Route::Status => return Ok(Response::json(200, br#"{"status":"online"}"#.to_vec())),
        _ => {}
    }
    let caller = state
        .auth
        .check(&req.authorization, req.query_param("org").as_deref())
        .map_err(fail)?;
    if let Some(rate) = &state.rate {
        if let Err(wait) = rate.admit(&req.authorization[0]) {
            return Err((
                ApiError::new(
                    429,
                    "TooManyRequestsException",
                    &format!(
                        "Too many requests: this token may send {} per second.",
                        rate.limit()
                    ),
                ),
                vec![("Retry-After", wait.to_string())],
            ));
        }
    }
    match route {
        Route::Visit => {
            let v = state.visitors.visit(None);
            let body = serde_json::json!({"id": v.visit_id, "visitorId": v.visitor_id, "clientId": v.client_id});
            Ok(Response::json(200, body.to_string().into_bytes()))
        }
        Route::Event(kind) => {
            let mut body = parse_json(&req.body).map_err(fail)?;
            if !body.is_object() {
                return Err(fail(ApiError::invalid_object(format!(
                    "The request body must be a JSON object describing one {} event.",
                    kind.name()
                ))));
            }
            prepare(kind, &mut body, &caller)?;
            let out = record(state, req, kind, &body, &caller);
            Ok(Response::json(200, out.into_bytes()))
        }
        Route::Searches => {
            let mut body = parse_json(&req.body).map_err(fail)?;
            let Some(items) = body.as_array_mut() else {
                return Err(fail(ApiError::invalid_object(
                    "The request body must be a JSON array of search events.".into(),
                )));
            };
            for item in items.iter_mut() {
                if !item.is_object() {
                    return Err(fail(ApiError::invalid_object(
                        "Every item of the array must be a JSON object describing one search event.".into(),
                    )));
                }
                prepare(Kind::Search, item, &caller)?;
            }
            let mut out = String::from("[");
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&record(state, req, Kind::Search, item, &caller));
            }
            out.push(']');
            Ok(Response::json(200, out.into_bytes()))
        }
        Route::Health | Route::Status => unreachable!("answered before authentication"),
    }
}

/// Search-hub check and fill, then field checks, for one event object.
fn prepare(kind: Kind, event: &mut Value, caller: &Caller) -> Result<(), Failure> {
    let obj = event
        .as_object_mut()
        .expect("caller checked it is an object");
    if let Some(hub) = caller.hub.as_ref().filter(|_| kind.has_published_fields()) {
        match obj.get("originLevel1") {
            None | Some(Value::Null) => {
                obj.insert("originLevel1".into(), Value::String(hub.clone()));
            }
            Some(Value::String(s)) if s == hub => {}
            Some(other) => {
                let shown = match other {
                    Value::String(s) => s.clone(),
                    v => v.to_string(),
                };
                return Err(fail(ApiError::new(
                    400,
                    "UnauthorizedHub",
                    &format!(
                        "You are not authorized to insert events in search hub '{shown}' \
                         since your token restricts you to search hub '{hub}'."
                    ),
                )));
            }
        }
    }
    check_event(kind, obj).map_err(fail)
}

/// Records one valid event and returns its success body.
fn record(state: &State, req: &Request, kind: Kind, event: &Value, caller: &Caller) -> String {
    // A collect event names its client id `cid`, and nothing checked it.
    let client_id = match kind {
        Kind::Collect => event
            .get("cid")
            .and_then(Value::as_str)
            .filter(|cid| is_uuid(cid)),
        _ => event.get("clientId").and_then(Value::as_str),
    };
    let visit = state.visitors.visit(client_id);
    let search_uid = (kind == Kind::Search).then(new_uuid);
    state.log.record(&NewEvent {
        kind: kind.name(),
        path: &req.path,
        org: &caller.org,
        body: event,
        visit: &visit,
        search_event_uid: search_uid.as_deref(),
    });
    Stats::bump(&state.stats.accepted, 1);
    let mut out = String::with_capacity(160);
    if let Some(uid) = &search_uid {
        out.push_str("{\"searchEventUid\":\"");
        out.push_str(uid);
        out.push_str("\",");
    } else {
        out.push('{');
    }
    // Identifiers are UUIDs or a validated clientId: no escaping needed.
    out.push_str("\"visitId\":\"");
    out.push_str(&visit.visit_id);
    out.push_str("\",\"visitorId\":\"");
    out.push_str(&visit.visitor_id);
    out.push_str("\",\"clientId\":\"");
    out.push_str(&visit.client_id);
    out.push_str("\"}");
    out
}

/// True when `Accept` is absent or admits application/json.
fn accepts_json(accept: Option<&str>) -> bool {
    let Some(accept) = accept else { return true };
    if accept.trim().is_empty() {
        return true;
    }
    accept.split(',').any(|range| {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let refused = parts.any(|p| {
            let p = p.trim();
            p.strip_prefix("q=")
                .and_then(|q| q.trim().parse::<f32>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        !refused && matches!(media.as_str(), "*/*" | "application/*" | "application/json")
    })
}

/// True when `Content-Type` is application/json (parameters such as charset allowed).
fn is_json_type(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|ct| {
        ct.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .eq_ignore_ascii_case("application/json")
    })
}

/// Keeps an echoed path short and printable.
fn printable_path(p: &str) -> String {
    p.chars()
        .take(200)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_header_forms() {
        assert!(accepts_json(None));
        assert!(accepts_json(Some("*/*")));
        assert!(accepts_json(Some("text/html, application/json;q=0.9")));
        assert!(accepts_json(Some("Application/*")));
        assert!(!accepts_json(Some("text/html")));
        assert!(!accepts_json(Some("application/json;q=0")));
    }

    #[test]
    fn counted_kinds_follow_the_routes() {
        assert_eq!(COUNTED_KINDS[OTHER_KIND], "other");
        for (i, name) in COUNTED_KINDS.iter().enumerate().take(OTHER_KIND) {
            let path = match *name {
                "health" => "/rest/ua/v15/analytics/monitoring/health".to_string(),
                n => format!("/rest/ua/v15/analytics/{n}"),
            };
            assert_eq!(counted_kind(&path), i, "{path}");
        }
        assert_eq!(counted_kind("/rest/ua/v15/analytics/nope"), OTHER_KIND);
    }

    #[test]
    fn content_type_forms() {
        assert!(is_json_type(Some("application/json; charset=utf-8")));
        assert!(is_json_type(Some("APPLICATION/JSON")));
        assert!(!is_json_type(Some("text/plain")));
        assert!(!is_json_type(None));
    }
}
