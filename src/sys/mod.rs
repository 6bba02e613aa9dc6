//! What the operating system is asked directly, one file per concern.

pub(crate) mod fork;
pub(crate) mod socket;
