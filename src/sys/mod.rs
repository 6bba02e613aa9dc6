//! What the operating system is asked directly, one file per concern.

pub(crate) mod connect;
pub(crate) mod files;
pub(crate) mod fork;
pub(crate) mod socket;
pub(crate) mod thread;
