//! Reading the service's answer: the fields of its JSON body, and the code an
//! answer maps to (the contract's mapping rule).

use crate::code::{Code, Selected};
use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use std::fmt;

/// The code an answer with `status` and the body's `type` (if readable) maps
/// to, read from the code table's answer column (the contract's mapping rule):
///
/// 1. a row whose status range holds `status` decides alone (2xx, 429, 5xx);
/// 2. a readable `type` selects the rows documenting it; a type several rows
///    share (`InvalidRequest`) is split by their documented statuses;
/// 3. with no readable type, a status that exactly one row documents decides
///    (404, 406, 415; 400 is shared by many, so it does not);
/// 4. anything else is the `Otherwise` row (unexpected).
pub fn code_for_answer(status: u16, service_type: Option<&str>) -> Code {
    let rows = || Code::ALL.iter().copied();
    if let Some(code) =
        rows().find(|c| matches!(c.selected(), Selected::ByStatus(r, _) if r.contains(&status)))
    {
        return code;
    }
    let documented = |c: &Code| match c.selected() {
        Selected::ByType(_, s) => Some(s),
        _ => None,
    };
    let candidates: Vec<Code> = match service_type {
        Some(t) => {
            let typed: Vec<Code> = rows().filter(|c| c.service_type() == Some(t)).collect();
            if typed.len() > 1 {
                typed
                    .into_iter()
                    .filter(|c| documented(c) == Some(status))
                    .collect()
            } else {
                typed
            }
        }
        None => rows().filter(|c| documented(c) == Some(status)).collect(),
    };
    match candidates.as_slice() {
        [one] => *one,
        _ => rows()
            .find(|c| c.selected() == Selected::Otherwise)
            .unwrap_or(Code::UnexpectedResponse),
    }
}

/// The string fields of an answer body that the library reports.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AnswerFields {
    /// `type` of an error answer.
    pub error_type: Option<String>,
    /// `message` of an error answer.
    pub message: Option<String>,
    /// `visitorId` of a success answer.
    pub visitor_id: Option<String>,
}

/// Reads `type`, `message` and `visitorId` from a JSON object body, or from
/// the first object of an array body (a search batch's answer); anything
/// unreadable (HTML, empty, cut short, a scalar) gives no fields.
pub fn read_fields(body: &[u8]) -> AnswerFields {
    serde_json::from_slice::<Fields>(body)
        .map(|f| f.0)
        .unwrap_or_default()
}

struct Fields(AnswerFields);

impl<'de> de::Deserialize<'de> for Fields {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(FieldsVisitor)
    }
}

struct FieldsVisitor;

impl<'de> Visitor<'de> for FieldsVisitor {
    type Value = Fields;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object, or an array of them")
    }

    /// A batch's answer: the first item speaks for it.
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Fields, A::Error> {
        let first = seq.next_element::<Fields>()?;
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(first.unwrap_or(Fields(AnswerFields::default())))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Fields, A::Error> {
        let mut out = AnswerFields::default();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            let slot = match key.as_ref() {
                "type" => &mut out.error_type,
                "message" => &mut out.message,
                "visitorId" => &mut out.visitor_id,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            *slot = map.next_value::<Option<StringOnly>>()?.and_then(|s| s.0);
        }
        Ok(Fields(out))
    }
}

/// A string value, or `None` for any other JSON value.
struct StringOnly(Option<String>);

impl<'de> de::Deserialize<'de> for StringOnly {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StringOnlyVisitor)
    }
}

struct StringOnlyVisitor;

impl<'de> Visitor<'de> for StringOnlyVisitor {
    type Value = StringOnly;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<StringOnly, E> {
        Ok(StringOnly(Some(v.to_string())))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<StringOnly, E> {
        Ok(StringOnly(None))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<StringOnly, E> {
        Ok(StringOnly(None))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<StringOnly, E> {
        Ok(StringOnly(None))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<StringOnly, E> {
        Ok(StringOnly(None))
    }

    fn visit_unit<E: de::Error>(self) -> Result<StringOnly, E> {
        Ok(StringOnly(None))
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<StringOnly, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(StringOnly(None))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<StringOnly, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(StringOnly(None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_alone_decides_for_429_and_5xx() {
        assert_eq!(
            code_for_answer(429, Some("InvalidJson")),
            Code::TooManyRequests
        );
        assert_eq!(code_for_answer(429, None), Code::TooManyRequests);
        for s in [500, 502, 503, 504, 599] {
            assert_eq!(code_for_answer(s, Some("InvalidToken")), Code::ServerError);
        }
    }

    #[test]
    fn documented_types_decide_whatever_the_status() {
        let pairs = [
            ("InvalidHeadersException", Code::InvalidHeaders),
            ("InvalidJson", Code::InvalidJson),
            ("InvalidObject", Code::InvalidObject),
            ("InvalidToken", Code::InvalidToken),
            ("InvalidTokenHeader", Code::InvalidTokenHeader),
            ("MissingParameter", Code::MissingParameter),
            (
                "NoWorkgroupAssociatedWithToken",
                Code::NoWorkgroupAssociatedWithToken,
            ),
            ("UnauthorizedHub", Code::UnauthorizedHub),
            ("UnauthorizedOrg", Code::UnauthorizedOrg),
            ("InvalidUri", Code::InvalidUri),
            ("TooManyRequestsException", Code::TooManyRequests),
        ];
        for (t, code) in pairs {
            assert_eq!(code_for_answer(400, Some(t)), code, "{t}");
            assert_eq!(code_for_answer(403, Some(t)), code, "{t}");
        }
        assert_eq!(code_for_answer(404, Some("InvalidUri")), Code::InvalidUri);
    }

    #[test]
    fn invalid_request_is_split_by_status() {
        assert_eq!(
            code_for_answer(406, Some("InvalidRequest")),
            Code::NotAcceptable
        );
        assert_eq!(
            code_for_answer(415, Some("InvalidRequest")),
            Code::UnsupportedMediaType
        );
        assert_eq!(
            code_for_answer(400, Some("InvalidRequest")),
            Code::UnexpectedResponse
        );
    }

    #[test]
    fn without_a_type_the_status_decides() {
        assert_eq!(code_for_answer(404, None), Code::InvalidUri);
        assert_eq!(code_for_answer(406, None), Code::NotAcceptable);
        assert_eq!(code_for_answer(415, None), Code::UnsupportedMediaType);
        for s in [301, 302, 400, 401, 403, 418] {
            assert_eq!(code_for_answer(s, None), Code::UnexpectedResponse, "{s}");
        }
        assert_eq!(
            code_for_answer(404, Some("SomethingNew")),
            Code::UnexpectedResponse
        );
        assert_eq!(code_for_answer(200, None), Code::Ok);
        assert_eq!(code_for_answer(204, Some("x")), Code::Ok);
    }

    #[test]
    fn fields_are_read_leniently() {
        let f = read_fields(br#"{"message":"Bad \"x\"","type":"InvalidJson","extra":[1,{"a":2}]}"#);
        assert_eq!(f.error_type.as_deref(), Some("InvalidJson"));
        assert_eq!(f.message.as_deref(), Some("Bad \"x\""));
        let f = read_fields(br#"{"visitId":"a","visitorId":"v-1","clientId":"c"}"#);
        assert_eq!(f.visitor_id.as_deref(), Some("v-1"));
        assert_eq!(
            read_fields(br#"{"type":3,"message":null}"#),
            AnswerFields::default()
        );
        assert_eq!(read_fields(b"<html>502</html>"), AnswerFields::default());
        assert_eq!(read_fields(b""), AnswerFields::default());
        assert_eq!(read_fields(br#"{"type":"Inval"#), AnswerFields::default());
        assert_eq!(read_fields(b"[1]"), AnswerFields::default());
        assert_eq!(read_fields(b"[]"), AnswerFields::default());
        let batch = read_fields(br#"[{"visitorId":"first"},{"visitorId":"second"}]"#);
        assert_eq!(batch.visitor_id.as_deref(), Some("first"));
        assert_eq!(read_fields(&[0xff, 0xfe]), AnswerFields::default());
    }
}
