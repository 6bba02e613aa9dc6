//! Arguments from C and strings back to C: NULL and UTF-8 checks, in one place.

use crate::error::Error;
use std::ffi::{c_char, CStr, CString};

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

/// A C string of `bytes` up to the first NUL (C cannot see past one anyway).
pub(crate) fn c_string(mut bytes: Vec<u8>) -> CString {
    if let Some(nul) = memchr::memchr(0, &bytes) {
        bytes.truncate(nul);
    }
    // SAFETY: the bytes hold no NUL now (cut at the first one), which is all
    // from_vec_unchecked requires; it appends the terminator itself. This
    // spares CString::new a second scan of the bytes.
    unsafe { CString::from_vec_unchecked(bytes) }
}

#[cfg(test)]
mod tests {
    use super::c_string;

    #[test]
    fn c_strings_stop_at_the_first_nul() {
        assert_eq!(c_string(b"abc".to_vec()).as_bytes(), b"abc");
        assert_eq!(c_string(b"ab\0c\0d".to_vec()).as_bytes(), b"ab");
        assert_eq!(c_string(b"\0x".to_vec()).as_bytes(), b"");
        assert_eq!(c_string(Vec::new()).as_bytes_with_nul(), b"\0");
    }
}
