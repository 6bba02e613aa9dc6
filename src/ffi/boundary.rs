//! The panic boundary: one macro wraps the body of every exported function.

use super::consts::{ua_code, UA_INTERNAL};
use std::ffi::c_char;

/// The value an export returns when its body panicked.
pub(crate) trait OnPanic {
    /// The fallback value.
    fn on_panic() -> Self;
}

impl OnPanic for ua_code {
    fn on_panic() -> Self {
        UA_INTERNAL
    }
}

impl OnPanic for u16 {
    fn on_panic() -> Self {
        0
    }
}

impl OnPanic for u32 {
    fn on_panic() -> Self {
        0
    }
}

impl OnPanic for u64 {
    fn on_panic() -> Self {
        0
    }
}

impl OnPanic for () {
    fn on_panic() -> Self {}
}

impl OnPanic for *const c_char {
    fn on_panic() -> Self {
        std::ptr::null()
    }
}

impl<T> OnPanic for *mut T {
    fn on_panic() -> Self {
        std::ptr::null_mut()
    }
}

/// Runs `$body`, turning a panic into the return type's [`OnPanic`] value.
macro_rules! ffi_boundary {
    ($body:block) => {
        match ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(|| $body)) {
            Ok(value) => value,
            Err(_) => $crate::ffi::boundary::OnPanic::on_panic(),
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boom() -> bool {
        // Opaque to the compiler, so the code after the panic is not dead.
        std::hint::black_box(true)
    }

    #[test]
    fn a_panic_becomes_the_fallback_value() {
        let code: ua_code = ffi_boundary!({
            if boom() {
                panic!("test panic: codes");
            }
            0
        });
        assert_eq!(code, UA_INTERNAL);
        let text: *const c_char = ffi_boundary!({
            if boom() {
                panic!("test panic: pointers");
            }
            c"x".as_ptr()
        });
        assert!(text.is_null());
        let n: u32 = ffi_boundary!({
            if boom() {
                panic!("test panic: numbers");
            }
            7
        });
        assert_eq!(n, 0);
        let fine: ua_code = ffi_boundary!({ 42 });
        assert_eq!(fine, 42);
    }
}
