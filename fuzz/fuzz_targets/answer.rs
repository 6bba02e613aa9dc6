//! From an answer to a code: `answer::read_fields` on arbitrary bodies and
//! `answer::code_for_answer` on arbitrary statuses, against the contract's rule.
#![no_main]

use coveo_ua::__internals::{code_for_answer, read_fields};
use coveo_ua::Code;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [hi, lo, body @ ..] = data else {
        return;
    };
    let status = u16::from_be_bytes([*hi, *lo]);
    let fields = read_fields(body);
    let code = code_for_answer(status, fields.error_type.as_deref());
    match status {
        200..=299 => assert_eq!(code, Code::Ok),
        429 => assert_eq!(code, Code::TooManyRequests),
        500..=599 => assert_eq!(code, Code::ServerError),
        _ => {
            assert!(!code.is_ok(), "status {status} gave UA_OK");
            assert!(
                code.raw() >= 1 && code.raw() <= 15,
                "status {status} gave {code:?}"
            );
        }
    }
    // A field is only ever read from a JSON object. (Not "from valid JSON":
    // the reader skips the fields it ignores without checking their UTF-8 or
    // escapes, which is lenient on purpose and harmless.)
    if fields.error_type.is_some() || fields.message.is_some() || fields.visitor_id.is_some() {
        let first = body.iter().find(|b| !b.is_ascii_whitespace());
        assert_eq!(
            first,
            Some(&b'{'),
            "fields read from a body that is not an object"
        );
    }
});
