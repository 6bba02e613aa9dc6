//! The C ABI: thin, mechanical wrappers over the Rust library.
//!
//! Conventions (the same for every function):
//! - Opaque objects (`ua_options`, `ua_client`, `ua_result`, `ua_queue`) are created and
//!   freed by the library, each exactly once; `*_free(NULL)` does nothing.
//! - Strings passed in are NUL-terminated UTF-8 and are copied; the caller keeps
//!   ownership. Strings handed out belong to the object they come from (or are
//!   static) and must not be freed by the caller.
//! - Out-parameters come last and are written only on success, except
//!   `out_result`, which `ua_send_event` always sets when it is not NULL.
//! - No panic crosses the boundary: every function's whole body is one
//!   `ffi_boundary!` (a test checks it), which returns `UA_INTERNAL` (or
//!   NULL/0 when the function returns no code).
//! - A `ua_client` or `ua_queue` may be used by any number of threads at once;
//!   a `ua_options` or a `ua_result` belongs to one thread at a time.
//!
//! cbindgen reads this folder only (`tests/header.rs`): everything the header
//! declares is written here, and nothing about HTTP or JSON is.

#[macro_use]
mod boundary;
mod args;
mod client;
pub mod consts;
mod info;
mod options;
mod queue;
mod result;

pub use client::{
    ua_client, ua_client_free, ua_client_new, ua_send_event, ua_send_event_with_deadline,
};
pub use consts::*;
pub use info::{ua_code_name, ua_error_describe, ua_version};
pub use options::*;
pub use queue::*;
pub use result::*;
