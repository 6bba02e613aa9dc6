//! Arguments from C: NULL and UTF-8 checks, in one place.

use crate::error::Error;
use std::ffi::{c_char, CStr};

/// A required string: NULL or non-UTF-8 is an `InvalidArgument` naming `what`.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string valid for `'a`.
pub(crate) unsafe fn text<'a>(ptr: *const c_char, what: &str) -> Result<&'a str, Error> {
    optional_text(ptr, what)?.ok_or_else(|| Error::invalid_argument(format!("{what} is NULL")))
}

/// An optional string: NULL is `None`; non-UTF-8 is an `InvalidArgument`.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string valid for `'a`.
pub(crate) unsafe fn optional_text<'a>(
    ptr: *const c_char,
    what: &str,
) -> Result<Option<&'a str>, Error> {
    if ptr.is_null() {
        return Ok(None);
    }
    CStr::from_ptr(ptr)
        .to_str()
        .map(Some)
        .map_err(|e| Error::invalid_argument(format!("{what} is not valid UTF-8 ({e})")))
}

/// A required object: NULL is an `InvalidArgument` naming `what`.
///
/// # Safety
/// `ptr` is NULL or points to a live `T` valid for `'a`.
pub(crate) unsafe fn object<'a, T>(ptr: *const T, what: &str) -> Result<&'a T, Error> {
    ptr.as_ref()
        .ok_or_else(|| Error::invalid_argument(format!("{what} is NULL")))
}

/// A required mutable object: NULL is an `InvalidArgument` naming `what`.
///
/// # Safety
/// `ptr` is NULL or points to a live `T`, not aliased, valid for `'a`.
pub(crate) unsafe fn object_mut<'a, T>(ptr: *mut T, what: &str) -> Result<&'a mut T, Error> {
    ptr.as_mut()
        .ok_or_else(|| Error::invalid_argument(format!("{what} is NULL")))
}

/// The code of a `Result` as it crosses the boundary.
pub(crate) fn code_of(r: Result<(), Error>) -> crate::code::ua_code {
    match r {
        Ok(()) => crate::code::UA_OK,
        Err(e) => e.code().raw(),
    }
}
