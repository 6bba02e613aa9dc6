//! `retry::parse_retry_after` on arbitrary header values: never panics, whole
//! seconds are capped, and a past or negative value never means "wait".
#![no_main]

use coveo_ua::__internals::parse_retry_after;
use libfuzzer_sys::fuzz_target;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

fuzz_target!(|data: &[u8]| {
    let Ok(value) = std::str::from_utf8(data) else {
        return;
    };
    // A fixed "now" keeps runs reproducible: 2026-01-01T00:00:00Z.
    let now = UNIX_EPOCH + Duration::from_secs(1_767_225_600);
    let wait = parse_retry_after(value, now);
    let trimmed = value.trim();
    let digits = trimmed.strip_prefix('-').unwrap_or(trimmed);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        let wait = wait.expect("whole seconds are always read");
        assert!(wait <= Duration::from_secs(u64::from(u32::MAX)));
        if trimmed.starts_with('-') {
            assert_eq!(wait, Duration::ZERO);
        }
    }
    let _ = SystemTime::now();
});
