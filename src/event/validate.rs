//! Checks of an event before it is sent, mirroring the service so that an event
//! it would refuse costs no round trip.
//!
//! The body is read once, as a stream: the top-level object's keys are borrowed
//! from the input, the values of fields we do not check are skipped without being
//! decoded or built, and nothing is allocated for a valid event in the common
//! case. Skipping does not recurse, so depth cannot overflow the stack; nesting
//! deeper than [`MAX_NESTING`] is refused as `InvalidJson`, like the service.
//!
//! The checks are lenient where sources disagree: they never refuse an event the
//! service would accept. Order follows the service: JSON syntax, then "is an
//! object", then required fields (in the documented order), then the types and
//! ranges of known fields, then the search token's hub.

use crate::code::Code;
use crate::event::EventKind;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserializer as _;
use std::borrow::Cow;
use std::fmt;

/// Why an event was refused before sending: the code (whose documented service
/// type is the result's `error_type`) and a message naming the field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    /// The code the service would have answered with.
    pub code: Code,
    /// What is wrong, in the service's message forms.
    pub message: String,
}

impl Rejection {
    fn new(code: Code, message: String) -> Rejection {
        Rejection { code, message }
    }
}

/// Checks `json` as an event of `kind` (for a batch, as a non-empty array of
/// search events, each checked in turn). `token_hub` is the `searchHub` claim
/// of a search token, when the token is one and has that claim.
pub fn check_event(kind: EventKind, json: &str, token_hub: Option<&str>) -> Result<(), Rejection> {
    // The service's parser skips a byte order mark; the body is still sent as is.
    let json = json.strip_prefix('\u{feff}').unwrap_or(json);
    check_nesting(json)?;
    // A collect event's fields are the service's alone to judge; its
    // `originLevel1`, should it have one, is no search hub of ours to check.
    let check_hub = token_hub.is_some() && kind.has_published_fields();
    if kind != EventKind::SearchBatch {
        let facts = parse(json, TopVisitor { kind, check_hub })?;
        return judge(kind, &facts, token_hub);
    }
    let items = parse(json, BatchVisitor { check_hub })?.map_err(|what| {
        Rejection::new(
            Code::InvalidObject,
            format!(
                "A search batch must be a JSON array of search events, but the body is {what}."
            ),
        )
    })?;
    if items.is_empty() {
        return Err(Rejection::new(
            Code::InvalidObject,
            "A search batch must hold at least one search event, but the array is empty.".into(),
        ));
    }
    for (index, facts) in items.iter().enumerate() {
        judge(EventKind::Search, facts, token_hub).map_err(|r| Rejection {
            code: r.code,
            message: format!("Item {index} of the search batch: {}", r.message),
        })?;
    }
    Ok(())
}

/// Whether the body's facts make an event the service would refuse, in the
/// service's order: object, required fields, typed fields, search hub.
fn judge(kind: EventKind, facts: &Facts<'_>, token_hub: Option<&str>) -> Result<(), Rejection> {
    let obj = kind.object_name();
    if let Some(what) = facts.not_object {
        return Err(Rejection::new(
            Code::InvalidObject,
            format!("The event must be a JSON object, but the body is {what}."),
        ));
    }
    for (i, field) in kind.required_fields().iter().enumerate() {
        if facts.present & (1 << i) == 0 {
            return Err(Rejection::new(
                Code::MissingParameter,
                format!("Parameter '{obj}.{field}' is missing."),
            ));
        }
    }
    if let Some(problem) = facts.first_problem() {
        return Err(Rejection::new(
            Code::InvalidObject,
            format!(
                "Parameter '{obj}.{}' has an invalid value: expected {}, got {}.",
                problem.field, problem.expected, problem.got
            ),
        ));
    }
    if let (Some(hub), Some(origin)) = (token_hub, facts.origin_level1.as_deref()) {
        if !origin.is_empty() && !hub.eq_ignore_ascii_case(origin) {
            return Err(Rejection::new(
                Code::UnauthorizedHub,
                format!(
                    "You are not authorized to insert events in search hub '{origin}' \
                     since your token restricts you to search hub '{hub}'."
                ),
            ));
        }
    }
    Ok(())
}

/// A field whose value has the wrong type or range.
#[derive(Clone, Copy)]
struct Problem {
    /// Position in `CHECKED`, so the first in check order is reported.
    rank: usize,
    field: &'static str,
    expected: &'static str,
    got: &'static str,
}

/// What one pass over the body found.
#[derive(Default)]
struct Facts<'de> {
    /// `Some(description)` when the top-level value is not an object.
    not_object: Option<&'static str>,
    /// Bit i set: `kind.required_fields()[i]` is present and not null.
    present: u32,
    /// The first problem in check order (not document order).
    problem: Option<Problem>,
    origin_level1: Option<Cow<'de, str>>,
}

impl Facts<'_> {
    fn first_problem(&self) -> Option<Problem> {
        self.problem
    }

    fn note(&mut self, p: Problem) {
        if self.problem.is_none_or(|old| p.rank < old.rank) {
            self.problem = Some(p);
        }
    }
}

/// A typed rule on one field.
#[derive(Clone, Copy)]
enum Rule {
    /// An integer (an integral number) in `[min, max]`.
    Int {
        min: i64,
        max: i64,
        expected: &'static str,
    },
    /// A UUID string (or an empty string, which the service treats as absent).
    Uuid,
    /// A JSON object.
    Object,
    /// `true` or `false`.
    Bool,
}

/// Fields with typed rules, in the order they are reported; `None` kind: every
/// kind with published fields (not collect).
const CHECKED: &[(&str, Option<EventKind>, Rule)] = &[
    (
        "outcome",
        None,
        Rule::Int {
            min: -5,
            max: 5,
            expected: "an integer from -5 to 5",
        },
    ),
    ("clientId", None, Rule::Uuid),
    ("customData", None, Rule::Object),
    ("anonymous", None, Rule::Bool),
    (
        "responseTime",
        Some(EventKind::Search),
        Rule::Int {
            min: 1,
            max: i64::MAX,
            expected: "an integer greater than 0",
        },
    ),
    (
        "numberOfResults",
        Some(EventKind::Search),
        Rule::Int {
            min: 0,
            max: i64::MAX,
            expected: "an integer of 0 or more",
        },
    ),
    (
        "documentPosition",
        Some(EventKind::Click),
        Rule::Int {
            min: 1,
            max: i64::MAX,
            expected: "an integer of 1 or more",
        },
    ),
];

/// Deepest nesting accepted: the default limit of the service's JSON parser
/// (Jackson's), so nothing it would accept is refused here.
pub const MAX_NESTING: usize = 1000;

/// Parses the whole body once with `visitor` (trailing text is a syntax error).
fn parse<'de, V: Visitor<'de>>(json: &'de str, visitor: V) -> Result<V::Value, Rejection> {
    let mut de = serde_json::Deserializer::from_str(json);
    de.deserialize_any(visitor)
        .and_then(|value| de.end().map(|()| value))
        .map_err(json_rejection)
}

/// Refuses nesting deeper than [`MAX_NESTING`]. Values are skipped without
/// recursion (so depth cannot overflow the stack), which also means serde_json's
/// own depth limit does not apply: this scan is the limit.
fn check_nesting(json: &str) -> Result<(), Rejection> {
    let bytes = json.as_bytes();
    // Fewer openers than the limit in the whole body: no need to track strings.
    // memchr's vector search costs a small fraction of a byte-by-byte count
    // (a 30 KB event went from ~177k instructions here to a few thousand).
    let openers = memchr::memchr2_iter(b'[', b'{', bytes)
        .take(MAX_NESTING + 1)
        .count();
    if openers <= MAX_NESTING {
        return Ok(());
    }
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for (at, &b) in bytes.iter().enumerate() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    let before = &bytes[..at];
                    let line = 1 + before.iter().filter(|&&c| c == b'\n').count();
                    let column = at
                        - before
                            .iter()
                            .rposition(|&c| c == b'\n')
                            .map_or(0, |n| n + 1)
                        + 1;
                    return Err(Rejection::new(
                        Code::InvalidJson,
                        format!(
                            "Unable to parse the provided JSON: nesting deeper than {MAX_NESTING} \
                             levels at line {line}, column {column}."
                        ),
                    ));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// The service's `InvalidJson` message form, with line and column.
fn json_rejection(err: serde_json::Error) -> Rejection {
    let text = err.to_string();
    let suffix = format!(" at line {} column {}", err.line(), err.column());
    let reason = text.strip_suffix(&suffix).unwrap_or(&text);
    Rejection::new(
        Code::InvalidJson,
        format!(
            "Unable to parse the provided JSON: {reason} at line {}, column {}.",
            err.line(),
            err.column()
        ),
    )
}

struct TopVisitor {
    kind: EventKind,
    /// Whether `originLevel1` matters (the token restricts a hub).
    check_hub: bool,
}

impl<'de> Visitor<'de> for TopVisitor {
    type Value = Facts<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Facts<'de>, A::Error> {
        let mut facts = Facts::default();
        let required = self.kind.required_fields();
        while let Some(key) = map.next_key::<Key<'de>>()? {
            let key = key.0;
            let required_at = required.iter().position(|f| *f == key);
            let rule_at = CHECKED.iter().position(|(f, k, _)| {
                *f == key && self.kind.has_published_fields() && k.is_none_or(|k| k == self.kind)
            });
            let is_origin = self.check_hub && key == "originLevel1";
            if rule_at.is_none() && !is_origin {
                // Only presence matters (or nothing): skip the value without
                // decoding it, as leniently as the service's parser does.
                let present = map.next_value::<Option<IgnoredAny>>()?.is_some();
                if let (Some(i), true) = (required_at, present) {
                    facts.present |= 1 << i;
                }
                continue;
            }
            let shape = map.next_value_seed(ShapeSeed)?;
            if matches!(shape, Shape::Null) {
                continue;
            }
            if let Some(i) = required_at {
                facts.present |= 1 << i;
            }
            if let Some(rank) = rule_at {
                let (field, _, rule) = CHECKED[rank];
                if let Some((expected, got)) = broken_rule(rule, &shape) {
                    facts.note(Problem {
                        rank,
                        field,
                        expected,
                        got,
                    });
                }
            }
            if is_origin {
                facts.origin_level1 = match shape {
                    Shape::Str(s) => Some(s),
                    _ => None,
                };
            }
        }
        Ok(facts)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Facts<'de>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(not_object("an array"))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Facts<'de>, E> {
        Ok(not_object("a string"))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Facts<'de>, E> {
        Ok(not_object("a boolean"))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Facts<'de>, E> {
        Ok(not_object("a number"))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Facts<'de>, E> {
        Ok(not_object("a number"))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Facts<'de>, E> {
        Ok(not_object("a number"))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Facts<'de>, E> {
        Ok(not_object("null"))
    }
}

fn not_object(what: &'static str) -> Facts<'static> {
    Facts {
        not_object: Some(what),
        ..Facts::default()
    }
}

/// Reads a batch: the facts of each item, or what the body is instead of an
/// array.
struct BatchVisitor {
    check_hub: bool,
}

/// One item of a batch, read as a search event.
struct ItemSeed {
    check_hub: bool,
}

impl<'de> DeserializeSeed<'de> for ItemSeed {
    type Value = Facts<'de>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Facts<'de>, D::Error> {
        d.deserialize_any(TopVisitor {
            kind: EventKind::Search,
            check_hub: self.check_hub,
        })
    }
}

impl<'de> Visitor<'de> for BatchVisitor {
    type Value = Result<Vec<Facts<'de>>, &'static str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON array of search events")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(4));
        let seed = || ItemSeed {
            check_hub: self.check_hub,
        };
        while let Some(facts) = seq.next_element_seed(seed())? {
            items.push(facts);
        }
        Ok(Ok(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Err("an object"))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Err("a string"))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Err("a boolean"))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Err("a number"))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Err("a number"))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Err("a number"))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Err("null"))
    }
}

/// `Some((expected, got))` when `shape` breaks `rule`.
fn broken_rule(rule: Rule, shape: &Shape<'_>) -> Option<(&'static str, &'static str)> {
    match rule {
        Rule::Int { min, max, expected } => {
            let ok = match *shape {
                Shape::Int(n) => n >= i128::from(min) && n <= i128::from(max),
                Shape::Float(x) => x.fract() == 0.0 && x >= min as f64 && x <= max as f64,
                _ => false,
            };
            (!ok).then(|| (expected, shape.describe()))
        }
        Rule::Uuid => match shape {
            Shape::Str(s) if s.is_empty() || looks_like_uuid(s) => None,
            Shape::Str(_) => Some(("a UUID string", "a string that is not a UUID")),
            other => Some(("a UUID string", other.describe())),
        },
        Rule::Object => (!matches!(shape, Shape::Object)).then(|| ("an object", shape.describe())),
        Rule::Bool => (!matches!(shape, Shape::Bool)).then(|| ("true or false", shape.describe())),
    }
}

/// Five groups of hex digits separated by `-`, of at most 8-4-4-4-12 digits
/// (the form Java's UUID parser accepts, which is laxer than the canonical one).
fn looks_like_uuid(s: &str) -> bool {
    const MAX: [usize; 5] = [8, 4, 4, 4, 12];
    let mut groups = 0;
    for (i, group) in s.split('-').enumerate() {
        if i >= 5 || group.is_empty() || group.len() > MAX[i] {
            return false;
        }
        if !group.bytes().all(|b| b.is_ascii_hexdigit()) {
            return false;
        }
        groups += 1;
    }
    groups == 5
}

/// An object key, borrowed from the input when it has no escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // JSON keys are strings; the value visitor reads them as it reads
        // string values, borrowed when they hold no escape.
        match d.deserialize_str(ShapeVisitor)? {
            Shape::Str(s) => Ok(Key(s)),
            _ => Err(de::Error::custom("an object key must be a string")),
        }
    }
}

/// The shape of a value we check; containers are skipped, not built.
enum Shape<'de> {
    Null,
    Bool,
    Int(i128),
    Float(f64),
    Str(Cow<'de, str>),
    Array,
    Object,
}

impl Shape<'_> {
    fn describe(&self) -> &'static str {
        match self {
            Shape::Null => "null",
            Shape::Bool => "a boolean",
            Shape::Int(_) => "an integer out of range",
            Shape::Float(x) if x.fract() == 0.0 => "a number out of range",
            Shape::Float(_) => "a number with a fraction",
            Shape::Str(_) => "a string",
            Shape::Array => "an array",
            Shape::Object => "an object",
        }
    }
}

struct ShapeSeed;

impl<'de> DeserializeSeed<'de> for ShapeSeed {
    type Value = Shape<'de>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Shape<'de>, D::Error> {
        d.deserialize_any(ShapeVisitor)
    }
}

struct ShapeVisitor;

impl<'de> Visitor<'de> for ShapeVisitor {
    type Value = Shape<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Shape<'de>, E> {
        Ok(Shape::Null)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Shape<'de>, E> {
        Ok(Shape::Bool)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Shape<'de>, E> {
        Ok(Shape::Int(v.into()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Shape<'de>, E> {
        Ok(Shape::Int(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Shape<'de>, E> {
        Ok(Shape::Float(v))
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Shape<'de>, E> {
        Ok(Shape::Str(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Shape<'de>, E> {
        Ok(Shape::Str(Cow::Owned(v.to_string())))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Shape<'de>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Shape::Array)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Shape<'de>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Shape::Object)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CUSTOM: &str = r#"{"eventType":"t","eventValue":"v","language":"en"}"#;
    const SEARCH: &str = r#"{"actionCause":"searchboxSubmit","language":"en","queryText":"q","responseTime":12,"searchQueryUid":"u"}"#;
    const CLICK: &str = r#"{"actionCause":"documentOpen","documentPosition":1,"language":"en","searchQueryUid":"u","sourceName":"s"}"#;

    fn custom_with(extra: &str) -> String {
        format!(r#"{{"eventType":"t","eventValue":"v","language":"en",{extra}}}"#)
    }

    fn code(kind: EventKind, json: &str) -> Option<Code> {
        check_event(kind, json, None).err().map(|r| r.code)
    }

    #[test]
    fn valid_events_pass() {
        assert_eq!(code(EventKind::Custom, CUSTOM), None);
        assert_eq!(code(EventKind::Search, SEARCH), None);
        assert_eq!(code(EventKind::Click, CLICK), None);
        assert_eq!(code(EventKind::View, r#"{"location":"https://x"}"#), None);
        assert_eq!(
            code(EventKind::View, r#" {"location":"x","language":null} "#),
            None
        );
    }

    #[test]
    fn search_batches_check_every_item_and_name_its_index() {
        let batch = |items: &[&str]| format!("[{}]", items.join(","));
        let hub_search = SEARCH.replace('{', r#"{"originLevel1":"other","#);
        assert_eq!(code(EventKind::SearchBatch, &batch(&[SEARCH])), None);
        assert_eq!(
            code(
                EventKind::SearchBatch,
                &format!(" {} ", batch(&[SEARCH, SEARCH, SEARCH]))
            ),
            None
        );
        let missing = SEARCH.replace(r#""queryText":"q","#, "");
        let r = check_event(EventKind::SearchBatch, &batch(&[SEARCH, &missing]), None).unwrap_err();
        assert_eq!(r.code, Code::MissingParameter);
        assert_eq!(
            r.message,
            "Item 1 of the search batch: Parameter 'searchEvent.queryText' is missing."
        );
        let r =
            check_event(EventKind::SearchBatch, &batch(&[SEARCH, SEARCH, "7"]), None).unwrap_err();
        assert_eq!(r.code, Code::InvalidObject);
        assert!(
            r.message.starts_with("Item 2 of the search batch: "),
            "{}",
            r.message
        );
        let r =
            check_event(EventKind::SearchBatch, &batch(&[&hub_search]), Some("main")).unwrap_err();
        assert_eq!(r.code, Code::UnauthorizedHub);
        assert!(r.message.starts_with("Item 0 "), "{}", r.message);
        // The first failing item speaks, in order, whatever its kind of fault.
        let typed = SEARCH.replace(r#""responseTime":12"#, r#""responseTime":"12""#);
        let r = check_event(EventKind::SearchBatch, &batch(&[&typed, &missing]), None).unwrap_err();
        assert_eq!(
            (r.code, r.message.starts_with("Item 0 ")),
            (Code::InvalidObject, true)
        );
    }

    #[test]
    fn search_batches_must_be_non_empty_arrays() {
        for (body, what) in [
            ("[]", "the array is empty"),
            (" [ ] ", "the array is empty"),
            (SEARCH, "the body is an object"),
            ("\"x\"", "the body is a string"),
            ("null", "the body is null"),
        ] {
            let r = check_event(EventKind::SearchBatch, body, None).unwrap_err();
            assert_eq!(r.code, Code::InvalidObject, "{body}");
            assert!(r.message.contains(what), "{body}: {}", r.message);
        }
        assert_eq!(code(EventKind::SearchBatch, "[{}"), Some(Code::InvalidJson));
        // A single-event path still refuses an array.
        assert_eq!(
            code(EventKind::Search, &format!("[{SEARCH}]")),
            Some(Code::InvalidObject)
        );
    }

    #[test]
    fn collect_events_are_refused_only_when_surely_wrong() {
        // No required field, no typed field, no hub: any object passes...
        for body in [
            "{}",
            r#"{"t":"event","cid":"not-a-uuid","ec":"case","ea":"open"}"#,
            r#"{"outcome":"high","clientId":"nope","customData":[1],"anonymous":"yes"}"#,
            r#"{"svc_action":"ticket_create","svc_action_data":{"a":[1,{"b":2}]}}"#,
        ] {
            assert_eq!(code(EventKind::Collect, body), None, "{body}");
        }
        let hub = check_event(
            EventKind::Collect,
            r#"{"originLevel1":"Other"}"#,
            Some("Main"),
        );
        assert_eq!(hub, Ok(()));
        // ...and what is not an object, not JSON or too deep is refused.
        for (body, want) in [
            ("[{}]", Code::InvalidObject),
            ("\"t=event\"", Code::InvalidObject),
            ("null", Code::InvalidObject),
            ("t=event&ec=case", Code::InvalidJson),
            ("{\"t\":", Code::InvalidJson),
            ("", Code::InvalidJson),
        ] {
            assert_eq!(code(EventKind::Collect, body), Some(want), "{body}");
        }
        let deep = format!(r#"{{"a":{}{}}}"#, "[".repeat(1000), "]".repeat(1000));
        assert_eq!(code(EventKind::Collect, &deep), Some(Code::InvalidJson));
        let r = check_event(EventKind::Collect, "[1]", None).unwrap_err();
        assert_eq!(
            r.message,
            "The event must be a JSON object, but the body is an array."
        );
    }

    #[test]
    fn syntax_errors_give_line_and_column() {
        let r = check_event(EventKind::Custom, "{\n  \"a\": 1\n  \"b\": 2}", None).unwrap_err();
        assert_eq!(r.code, Code::InvalidJson);
        assert!(
            r.message.starts_with("Unable to parse the provided JSON: "),
            "{}",
            r.message
        );
        assert!(r.message.ends_with("at line 3, column 3."), "{}", r.message);
        assert_eq!(code(EventKind::Custom, ""), Some(Code::InvalidJson));
        assert_eq!(code(EventKind::Custom, "{} x"), Some(Code::InvalidJson));
        assert_eq!(code(EventKind::Custom, "[1,"), Some(Code::InvalidJson));
        assert_eq!(
            code(EventKind::Custom, r#"{"a":"\x"}"#),
            Some(Code::InvalidJson)
        );
        assert_eq!(
            code(EventKind::Custom, "{\"a\":tru}"),
            Some(Code::InvalidJson)
        );
    }

    #[test]
    fn non_objects_are_invalid_objects() {
        for body in ["[1,2]", "\"x\"", "1", "true", "null"] {
            assert_eq!(
                code(EventKind::Custom, body),
                Some(Code::InvalidObject),
                "{body}"
            );
        }
    }

    #[test]
    fn missing_and_null_fields_are_named() {
        let r = check_event(
            EventKind::Custom,
            r#"{"eventValue":"v","language":"en"}"#,
            None,
        )
        .unwrap_err();
        assert_eq!(r.code, Code::MissingParameter);
        assert_eq!(r.message, "Parameter 'customEvent.eventType' is missing.");
        let r = check_event(
            EventKind::Search,
            r#"{"actionCause":"a","language":"en","queryText":"q","responseTime":null,"searchQueryUid":"u"}"#,
            None,
        )
        .unwrap_err();
        assert_eq!(
            r.message,
            "Parameter 'searchEvent.responseTime' is missing."
        );
        let r = check_event(EventKind::View, "{}", None).unwrap_err();
        assert_eq!(r.message, "Parameter 'viewEvent.location' is missing.");
        let r = check_event(EventKind::Click, r#"{"documentPosition":1}"#, None).unwrap_err();
        assert_eq!(r.message, "Parameter 'clickEvent.actionCause' is missing.");
        // Escaped keys are still recognised.
        let escaped = r#"{"event\u0054ype":"t","eventValue":"v","language":"en"}"#;
        assert_eq!(code(EventKind::Custom, escaped), None);
    }

    #[test]
    fn typed_fields() {
        let bad = |extra: &str| code(EventKind::Custom, &custom_with(extra));
        assert_eq!(bad(r#""outcome":5"#), None);
        assert_eq!(bad(r#""outcome":-5"#), None);
        assert_eq!(bad(r#""outcome":3.0"#), None);
        assert_eq!(bad(r#""outcome":null"#), None);
        assert_eq!(bad(r#""outcome":"5""#), Some(Code::InvalidObject));
        assert_eq!(bad(r#""outcome":6"#), Some(Code::InvalidObject));
        assert_eq!(bad(r#""outcome":1.5"#), Some(Code::InvalidObject));
        assert_eq!(
            bad(r#""outcome":99999999999999999999999"#),
            Some(Code::InvalidObject)
        );
        assert_eq!(
            bad(r#""clientId":"0b4f5a1e-6a8b-4c1e-9f3b-2d7c8e9f0a1b""#),
            None
        );
        assert_eq!(
            bad(r#""clientId":"0B4F5A1E-6A8B-4C1E-9F3B-2D7C8E9F0A1B""#),
            None
        );
        assert_eq!(bad(r#""clientId":"""#), None);
        assert_eq!(bad(r#""clientId":"nope""#), Some(Code::InvalidObject));
        assert_eq!(bad(r#""clientId":12"#), Some(Code::InvalidObject));
        assert_eq!(bad(r#""customData":{"a":[1,{"b":2}]}"#), None);
        assert_eq!(bad(r#""customData":[1]"#), Some(Code::InvalidObject));
        assert_eq!(bad(r#""anonymous":false"#), None);
        assert_eq!(bad(r#""anonymous":"true""#), Some(Code::InvalidObject));
        // responseTime is a search field: ignored on a custom event.
        assert_eq!(bad(r#""responseTime":"x""#), None);
        let search = |rt: &str| {
            code(
                EventKind::Search,
                &format!(
                    r#"{{"actionCause":"a","language":"en","queryText":"q","responseTime":{rt},"searchQueryUid":"u"}}"#
                ),
            )
        };
        assert_eq!(search("0"), Some(Code::InvalidObject));
        assert_eq!(search("-3"), Some(Code::InvalidObject));
        assert_eq!(search("\"12\""), Some(Code::InvalidObject));
        assert_eq!(search("1"), None);
        let click = |pos: &str| {
            code(
                EventKind::Click,
                &format!(
                    r#"{{"actionCause":"a","documentPosition":{pos},"language":"en","searchQueryUid":"u","sourceName":"s"}}"#
                ),
            )
        };
        assert_eq!(click("0"), Some(Code::InvalidObject));
        assert_eq!(click("1"), None);
    }

    #[test]
    fn message_names_the_field() {
        let r =
            check_event(EventKind::Custom, &custom_with(r#""outcome":"high""#), None).unwrap_err();
        assert_eq!(
            r.message,
            "Parameter 'customEvent.outcome' has an invalid value: expected an integer from -5 to 5, got a string."
        );
    }

    #[test]
    fn hub_check() {
        let hub = Some("SupportHub");
        let with = |origin: &str| check_event(EventKind::Custom, &custom_with(origin), hub);
        assert!(with(r#""originLevel1":"SupportHub""#).is_ok());
        assert!(with(r#""originLevel1":"supporthub""#).is_ok());
        assert!(with(r#""originLevel1":null"#).is_ok());
        assert!(with(r#""originLevel1":"""#).is_ok());
        assert!(with(r#""x":1"#).is_ok());
        let r = with(r#""originLevel1":"ExternalSearch""#).unwrap_err();
        assert_eq!(r.code, Code::UnauthorizedHub);
        assert_eq!(
            r.message,
            "You are not authorized to insert events in search hub 'ExternalSearch' since your token restricts you to search hub 'SupportHub'."
        );
        // Without a hub claim nothing is checked.
        assert!(check_event(
            EventKind::Custom,
            &custom_with(r#""originLevel1":"X""#),
            None
        )
        .is_ok());
    }

    #[test]
    fn deep_nesting_is_invalid_json_not_a_crash() {
        let depth = 100_000;
        let deep = format!(
            r#"{{"eventType":"t","eventValue":"v","language":"en","customData":{{"a":{}{}}}}}"#,
            "[".repeat(depth),
            "]".repeat(depth)
        );
        let r = check_event(EventKind::Custom, &deep, None).unwrap_err();
        assert_eq!(r.code, Code::InvalidJson);
        assert!(
            r.message.contains("nesting deeper than 1000"),
            "{}",
            r.message
        );
        assert!(
            r.message.ends_with("at line 1, column 1067."),
            "{}",
            r.message
        );
        let top = "[".repeat(depth) + &"]".repeat(depth);
        assert_eq!(code(EventKind::Custom, &top), Some(Code::InvalidJson));
        // Up to the limit is fine (the top-level object is level 1)...
        let nested = |n: usize| {
            custom_with(&format!(
                r#""customData":{{"a":{}{}}}"#,
                "[".repeat(n),
                "]".repeat(n)
            ))
        };
        assert_eq!(code(EventKind::Custom, &nested(998)), None);
        assert_eq!(
            code(EventKind::Custom, &nested(999)),
            Some(Code::InvalidJson)
        );
        // ...and brackets inside strings do not count.
        let in_string = custom_with(&format!(
            r#""customData":{{"a":"{}\"{}"}}"#,
            "[".repeat(5000),
            "{"
        ));
        assert_eq!(code(EventKind::Custom, &in_string), None);
    }

    #[test]
    fn what_the_service_parser_accepts_is_accepted() {
        // A lone surrogate escape (JSON.stringify writes these), huge numbers,
        // and a byte order mark all pass the service's parser.
        assert_eq!(
            code(
                EventKind::Custom,
                &custom_with(r#""customData":{"a":"\ud800"}"#)
            ),
            None
        );
        assert_eq!(
            code(
                EventKind::Custom,
                r#"{"eventType":"\ud800","eventValue":"v","language":"en"}"#
            ),
            None
        );
        assert_eq!(
            code(
                EventKind::Custom,
                &custom_with(r#""customData":{"a":1e400}"#)
            ),
            None
        );
        assert_eq!(code(EventKind::Custom, &format!("\u{feff}{CUSTOM}")), None);
    }

    #[test]
    fn ten_megabyte_body_is_checked() {
        let filler = "x".repeat(10 * 1024 * 1024);
        let big = custom_with(&format!(r#""customData":{{"blob":"{filler}"}}"#));
        assert_eq!(code(EventKind::Custom, &big), None);
        let missing = format!(r#"{{"eventValue":"{filler}","language":"en"}}"#);
        assert_eq!(
            code(EventKind::Custom, &missing),
            Some(Code::MissingParameter)
        );
    }
}
