//! The checks before sending (`validate::check_event`) on arbitrary input.
//!
//! Byte 0 picks the kind, byte 1 whether a search token's hub is in play; the
//! rest is the event text. Beyond "never panics", the verdict must agree with
//! serde_json: an accepted event is a JSON object, and `InvalidJson` is only
//! given to text serde_json cannot parse. Where the checks are lenient on
//! purpose, like the service's own parser (a leading byte order mark, lone
//! surrogate escapes, numbers beyond f64), serde_json's refusal is no finding.
#![no_main]

use coveo_ua::__internals::check_event;
use coveo_ua::{Code, EventKind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [k, h, rest @ ..] = data else {
        return;
    };
    let Ok(json) = std::str::from_utf8(rest) else {
        return;
    };
    // Every kind whose accepted body is one object (not the batch's array).
    const SINGLE: [EventKind; 5] = [
        EventKind::Search,
        EventKind::Click,
        EventKind::Custom,
        EventKind::View,
        EventKind::Collect,
    ];
    let kind = SINGLE[usize::from(*k) % SINGLE.len()];
    let hub = (h & 1 == 1).then_some("Hub");
    let parsed =
        serde_json::from_str::<serde_json::Value>(json.strip_prefix('\u{feff}').unwrap_or(json));
    match check_event(kind, json, hub) {
        Ok(()) => match parsed {
            Ok(value) => assert!(value.is_object(), "an accepted event must be an object"),
            Err(e) => assert!(
                is_deliberate_leniency(&e),
                "an accepted event must be valid JSON: {e}"
            ),
        },
        Err(r) => {
            assert!(!r.message.is_empty(), "a refusal needs a message");
            assert!(!r.code.is_ok(), "a refusal cannot be UA_OK");
            if r.code == Code::InvalidJson {
                assert!(
                    parsed.is_err(),
                    "InvalidJson for JSON serde_json reads: {}",
                    r.message
                );
            }
        }
    }
});

/// serde_json refusals the checks deliberately do not share.
fn is_deliberate_leniency(e: &serde_json::Error) -> bool {
    let text = e.to_string();
    text.contains("surrogate") || text.contains("number out of range")
}
