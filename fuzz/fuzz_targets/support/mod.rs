//! What the C-boundary fuzz targets share: options aimed at a loopback port
//! nothing listens on, so an event that passes the checks fails fast.

use coveo_ua::ffi::*;
use std::ffi::CString;

/// New options with a token and an endpoint on a closed loopback port; the
/// caller sets the rest, uses them and frees them.
pub fn options_for_a_closed_port() -> *mut ua_options {
    // A port nothing listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let url = CString::new(format!("http://127.0.0.1:{port}/rest/ua")).unwrap();
    let token = CString::new("xx-fuzz-token").unwrap();
    // SAFETY: fresh options from the library and valid strings (copied by it).
    unsafe {
        let o = ua_options_new();
        assert_eq!(ua_options_set_token(o, token.as_ptr()), 0);
        assert_eq!(ua_options_set_endpoint(o, url.as_ptr()), 0);
        o
    }
}

/// One fuzz input read as a C call's arguments: an event kind (mostly one of
/// the `kinds` numbers from 0, sometimes any 32-bit number), the JSON as a C
/// string (up to the first NUL), and the flag byte for the target's own use.
pub fn kind_json_flags(data: &[u8], kinds: u8) -> Option<(i32, CString, u8)> {
    let [a, b, c, d, flags, rest @ ..] = data else {
        return None;
    };
    let kind = if flags & 1 == 1 {
        i32::from_le_bytes([*a, *b, *c, *d])
    } else {
        i32::from(*a % kinds)
    };
    let json: Vec<u8> = rest.iter().copied().take_while(|b| *b != 0).collect();
    Some((kind, CString::new(json).expect("no NUL left"), *flags))
}
