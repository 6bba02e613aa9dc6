//! Reading the service's answer: the fields of its JSON body, and the code an
//! answer maps to (the contract's mapping rule).

use crate::code::Code;
use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use std::fmt;

/// The code for a non-2xx answer with `status` and the body's `type` (if readable).
///
/// For 429 and 5xx the status alone decides. Otherwise a documented type decides,
/// whatever the status, except `InvalidRequest`, which the status splits (406, 415,
/// anything else is unexpected); an undocumented type is unexpected. With no
/// readable type the status decides: 404, 406 and 415 have their codes, anything
/// else non-2xx is unexpected.
pub fn code_for_answer(status: u16, service_type: Option<&str>) -> Code {
    if (200..300).contains(&status) {
        return Code::Ok;
    }
    if status == 429 {
        return Code::TooManyRequests;
    }
    if (500..600).contains(&status) {
        return Code::ServerError;
    }
    match service_type {
        Some("InvalidRequest") => match status {
            406 => Code::NotAcceptable,
            415 => Code::UnsupportedMediaType,
            _ => Code::UnexpectedResponse,
        },
        Some(t) => Code::ALL
            .iter()
            .copied()
            .find(|c| c.service_type() == Some(t))
            .unwrap_or(Code::UnexpectedResponse),
        None => match status {
            404 => Code::InvalidUri,
            406 => Code::NotAcceptable,
            415 => Code::UnsupportedMediaType,
            _ => Code::UnexpectedResponse,
        },
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

/// Reads `type`, `message` and `visitorId` from a JSON object body; anything
/// unreadable (HTML, empty, cut short, not an object) gives no fields.
pub fn read_fields(body: &[u8]) -> AnswerFields {
    serde_json::from_slice::<Fields>(body)
        .map(|f| f.0)
        .unwrap_or_default()
}

struct Fields(AnswerFields);

impl<'de> de::Deserialize<'de> for Fields {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(FieldsVisitor)
    }
}

struct FieldsVisitor;

impl<'de> Visitor<'de> for FieldsVisitor {
    type Value = Fields;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
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
        assert_eq!(read_fields(&[0xff, 0xfe]), AnswerFields::default());
    }
}
