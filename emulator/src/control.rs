//! The control API under `/_emulator/` (ours, not the service's): fault rules,
//! added latency, refused-connection windows, the event log and counters.

use std::sync::atomic::Ordering;

use serde_json::{json, Map, Value};

use crate::config::MAX_LATENCY_MS;
use crate::errors::ApiError;
use crate::faults::Rule;
use crate::http::{Request, Response};
use crate::outage::{Plan, MAX_REFUSE_MS};
use crate::state::State;

/// Prefix of every control path.
pub const PREFIX: &str = "/_emulator/";

/// Answers one control request. A granted outage comes back beside its
/// answer: the caller starts it once the answer is sent.
pub fn handle(state: &State, req: &Request) -> (Response, Option<Plan>) {
    if req.path == "/_emulator/outage" && req.method == "POST" {
        return match outage(state, req) {
            Ok((r, plan)) => (r, Some(plan)),
            Err(e) => (e.response(), None),
        };
    }
    match answer(state, req) {
        Ok(r) => (r, None),
        Err(e) => (e.response(), None),
    }
}

fn ok(v: Value) -> Result<Response, ApiError> {
    Ok(Response::json(200, v.to_string().into_bytes()))
}

/// Checks a window request and claims the window.
fn outage(state: &State, req: &Request) -> Result<(Response, Plan), ApiError> {
    let body = settings(req, &["refuse_ms", "drop_connections"])?;
    let refuse_ms = body
        .get("refuse_ms")
        .and_then(Value::as_u64)
        .filter(|ms| (1..=MAX_REFUSE_MS).contains(ms))
        .ok_or_else(|| {
            invalid(&format!(
                "'refuse_ms' must be an integer from 1 to {MAX_REFUSE_MS}."
            ))
        })?;
    let drop_connections = match body.get("drop_connections") {
        None => true,
        Some(v) => v
            .as_bool()
            .ok_or_else(|| invalid("'drop_connections' must be true or false."))?,
    };
    if !state.outage.claim() {
        return Err(ApiError::new(
            409,
            "OutageInProgress",
            "A refused-connection window is already under way.",
        ));
    }
    let plan = Plan {
        refuse_ms,
        drop_connections,
    };
    let answer = json!({ "refuse_ms": refuse_ms, "drop_connections": drop_connections });
    let mut resp = Response::json(200, answer.to_string().into_bytes());
    resp.close = true;
    Ok((resp, plan))
}

fn answer(state: &State, req: &Request) -> Result<Response, ApiError> {
    let what = req.path.strip_prefix(PREFIX).unwrap_or("");
    let allowed = match what {
        "faults" => "GET, POST, DELETE",
        "events" | "stats" => "GET, DELETE",
        "latency" => "GET, PUT",
        "outage" => "POST",
        _ => {
            return Err(ApiError::new(
                404,
                "InvalidUri",
                "Unknown control path; ua-emulator --help lists /_emulator/faults, /latency, /outage, /events and /stats.",
            ))
        }
    };
    match (what, req.method.as_str()) {
        ("faults", "POST") => {
            let rules = match body_json(req)? {
                Value::Array(items) => items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        Rule::from_json(item)
                            .map_err(|e| invalid(&format!("Item {i} of the array: {e}")))
                    })
                    .collect::<Result<Vec<_>, _>>()?,
                one => vec![Rule::from_json(&one).map_err(|e| invalid(&e))?],
            };
            let pending = state.faults.push(rules);
            ok(json!({ "pending": pending }))
        }
        ("faults", "GET") => ok(state.faults.list()),
        ("faults", "DELETE") => ok(json!({ "removed": state.faults.clear() })),
        ("latency", "GET") => ok(latency_json(state)),
        ("latency", "PUT") => {
            let body = settings(req, &["latency_ms"])?;
            let ms = body
                .get("latency_ms")
                .and_then(Value::as_u64)
                .filter(|ms| *ms <= MAX_LATENCY_MS)
                .ok_or_else(|| {
                    invalid(&format!(
                        "'latency_ms' must be an integer from 0 to {MAX_LATENCY_MS}."
                    ))
                })?;
            state.latency_ms.store(ms, Ordering::Relaxed);
            ok(latency_json(state))
        }
        ("events", "GET") => {
            let after = match req.query_param("after") {
                None => 0,
                Some(a) => a
                    .parse()
                    .map_err(|_| invalid("'after' must be a sequence number."))?,
            };
            Ok(Response::json(200, state.log.list_json(after)))
        }
        ("events", "DELETE") => ok(json!({ "cleared": state.log.clear() })),
        ("stats", "GET") => ok(state.stats.to_json()),
        ("stats", "DELETE") => {
            state.stats.reset();
            ok(state.stats.to_json())
        }
        _ => {
            let mut r = ApiError::new(405, "MethodNotAllowed", &format!("Use one of: {allowed}."))
                .response();
            r.headers.push(("Allow", allowed.to_string()));
            Ok(r)
        }
    }
}

fn latency_json(state: &State) -> Value {
    json!({ "latency_ms": state.latency_ms.load(Ordering::Relaxed) })
}

/// Every refusal of a control request that is JSON: one type, and a message
/// that is a sentence naming the field at fault, whatever the endpoint.
fn invalid(message: &str) -> ApiError {
    ApiError::new(400, "InvalidRequest", message)
}

/// The body of a control request as JSON, or the one refusal of a body that is not.
fn body_json(req: &Request) -> Result<Value, ApiError> {
    serde_json::from_slice(&req.body)
        .map_err(|e| ApiError::new(400, "InvalidJson", &format!("The body is not JSON: {e}.")))
}

/// The body of a settings request: a JSON object holding only `known` fields,
/// so that a misspelt field is refused rather than ignored.
fn settings(req: &Request, known: &[&str]) -> Result<Map<String, Value>, ApiError> {
    let Value::Object(obj) = body_json(req)? else {
        return Err(invalid("The body must be a JSON object."));
    };
    if let Some(k) = obj.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(invalid(&format!("Unknown field '{k}'.")));
    }
    Ok(obj)
}
