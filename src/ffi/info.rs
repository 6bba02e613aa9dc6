//! Version and code texts: static strings, valid for the life of the program.

use super::consts::ua_code;
use crate::code;
use std::ffi::c_char;

/// The library version, e.g. "0.1.0" (the crate's version).
///
/// Returns a static string: never NULL, never freed by the caller.
/// Thread safety: may be called from any thread at any time.
#[no_mangle]
pub extern "C" fn ua_version() -> *const c_char {
    ffi_boundary!({
        concat!(env!("CARGO_PKG_VERSION"), "\0")
            .as_ptr()
            .cast::<c_char>()
    })
}

/// What a result code means: what happened, the likely cause and what to do.
///
/// Works for every int value: an unknown number gets a text saying it is
/// unknown. Returns a static string: never NULL, never freed by the caller.
/// Thread safety: may be called from any thread at any time.
#[no_mangle]
pub extern "C" fn ua_error_describe(code: ua_code) -> *const c_char {
    ffi_boundary!({ code::describe(code).as_ptr() })
}

/// The name of a result code's constant, e.g. "UA_INVALID_JSON"; for an unknown
/// number, "UA_UNKNOWN_CODE".
///
/// Returns a static string: never NULL, never freed by the caller.
/// Thread safety: may be called from any thread at any time.
#[no_mangle]
pub extern "C" fn ua_code_name(code: ua_code) -> *const c_char {
    ffi_boundary!({ code::code_name(code).as_ptr() })
}
