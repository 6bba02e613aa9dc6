//! coveo-ua: a blocking client for the Coveo Usage Analytics Write API (v15),
//! usable from Rust directly and, through [`ffi`], from C and anything that
//! speaks C.
//!
//! ```no_run
//! use coveo_ua::{Client, EventKind, Options};
//!
//! let mut options = Options::new();
//! options.set_token("xx-my-api-key").unwrap();
//! let client = Client::new(&options).unwrap();
//! let result = client.send(
//!     EventKind::Custom,
//!     r#"{"eventType":"getting started","eventValue":"hello","language":"en"}"#,
//! );
//! println!("{}: {}", result.code(), result.message());
//!
//! // Or with `?`: a failure becomes a `SendError` that keeps every field.
//! let accepted = client
//!     .send(EventKind::View, r#"{"location":"https://example.com/"}"#)
//!     .into_result()?;
//! println!("visitor {:?}", accepted.visitor_id());
//! # Ok::<(), coveo_ua::SendError>(())
//! ```
//!
//! A call blocks until the event is accepted or has failed for good. It retries
//! 5xx, 429, connection failures and timeouts with full-jitter exponential backoff
//! (honouring `Retry-After`), and never runs past its deadline. Before sending it
//! checks the event the way the service would, so a doomed
//! event costs no round trip. The token never appears in a message or in `Debug`
//! output.
//!
//! Endpoint choice: an explicit endpoint wins; without one, setting an
//! organization id selects Coveo's recommended organization endpoint
//! `https://<org>.analytics.org.coveo.com/rest/ua`; otherwise the default is
//! `https://analytics.cloud.coveo.com/rest/ua`. The organization id is also sent
//! as the `org` query parameter.
//!
//! Proxies: only the one set with [`Options::set_proxy`]; the `HTTP(S)_PROXY`
//! environment variables are ignored, so a machine's settings never reroute the
//! token. TLS: rustls, trusting the operating system's certificate store, or the
//! PEM bundle set with [`Options::set_ca_file`].

#![warn(missing_docs)]

mod client;
mod code;
mod error;
mod event;
#[doc(hidden)]
pub mod ffi;
mod options;
mod outcome;
mod per_process;
mod queue;
mod sys;
mod wire;

pub use client::Client;
pub use code::Code;
pub use error::Error;
pub use event::EventKind;
pub use options::Options;
pub use outcome::{SendError, SendResult};
pub use queue::settings::LogLevel;
pub use queue::{Counter, Counters, FailedEvent, FailureCallback, LogCallback, Queue};

/// Internals reached by the fuzz targets and the benchmarks, which must
/// call them directly; not part of the API (no stability promise).
#[doc(hidden)]
pub mod __internals {
    pub use crate::event::validate::check_event;
    pub use crate::queue::fuzzing as spool;
    pub use crate::wire::answer::{code_for_answer, read_fields};
    pub use crate::wire::endpoint::Endpoint;
    pub use crate::wire::retry::parse_retry_after;
}

/// The library version, as in Cargo.toml (e.g. `"0.1.0"`).
pub fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}
