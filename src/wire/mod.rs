//! One request to the service and its answer: the endpoint it goes to, the
//! transport that carries it (our own TCP connector inside ureq, and the name
//! resolver with its cache), the retry rule, and the reading of the answer.

pub(crate) mod answer;
pub(crate) mod endpoint;
pub(crate) mod loopback;
pub(crate) mod resolver;
pub(crate) mod retry;
#[cfg_attr(feature = "ureq-tcp-transport", allow(dead_code))]
pub(crate) mod tcp;
pub(crate) mod token;
pub(crate) mod transport;
