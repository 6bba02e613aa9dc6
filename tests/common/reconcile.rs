//! Reconciling what a client reported with what the emulator recorded: events
//! tagged with a unique marker, and the tally of lost, failed and duplicated
//! ones.

use super::Emulator;
use std::collections::HashMap;

/// How many times each marker (see [`marked_event`]) the emulator recorded.
pub fn marker_counts(emu: &Emulator) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for e in emu.events() {
        if let Some(m) = e["body"]["customData"]["marker"].as_str() {
            *counts.entry(m.to_string()).or_insert(0) += 1;
        }
    }
    counts
}

/// A valid custom event carrying `marker` in `customData.marker`, so the
/// emulator's log tells which send it came from.
pub fn marked_event(marker: &str) -> String {
    format!(
        r#"{{"eventType":"reliability","eventValue":"marked","language":"en","customData":{{"marker":"{marker}"}}}}"#
    )
}

/// What one batch of sends came to once compared with the emulator's log.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Events sent.
    pub sent: usize,
    /// Reported OK.
    pub ok: usize,
    /// Reported with a failure code.
    pub failed: usize,
    /// Reported OK but absent from the log: must always be 0.
    pub lost: usize,
    /// Reported failed yet recorded at least once (an ambiguous failure).
    pub failed_but_recorded: usize,
    /// Extra copies in the log beyond the first, over all markers.
    pub duplicates: usize,
    /// Log entries with this batch's markers.
    pub recorded: usize,
}

/// Compares `reported` (marker, reported OK?) with the `recorded` counts per marker.
pub fn reconcile(reported: &[(String, bool)], recorded: &HashMap<String, usize>) -> Tally {
    let mut t = Tally {
        sent: reported.len(),
        ..Tally::default()
    };
    for (marker, ok) in reported {
        let n = recorded.get(marker).copied().unwrap_or(0);
        t.recorded += n;
        t.duplicates += n.saturating_sub(1);
        match (ok, n) {
            (true, 0) => {
                t.ok += 1;
                t.lost += 1;
            }
            (true, _) => t.ok += 1,
            (false, 0) => t.failed += 1,
            (false, _) => {
                t.failed += 1;
                t.failed_but_recorded += 1;
            }
        }
    }
    t
}

/// A valid custom event whose `eventValue` is `id`, so the emulator's log
/// tells which enqueue it came from (see [`logged_values`]).
pub fn valued_event(id: &str) -> String {
    format!(r#"{{"eventType":"queue","eventValue":"{id}","language":"en"}}"#)
}

/// A custom event that passes no check of the service (no `eventType`): with
/// local checks off it reaches the service, which refuses it with
/// `MissingParameter`.
pub const REFUSED_BY_THE_SERVICE: &str = r#"{"eventValue":"no type","language":"en"}"#;

/// How many times the emulator recorded each `eventValue`.
pub fn logged_values(emu: &Emulator) -> HashMap<String, usize> {
    let mut seen = HashMap::new();
    for e in emu.events() {
        if let Some(v) = e["body"]["eventValue"].as_str() {
            *seen.entry(v.to_string()).or_insert(0) += 1;
        }
    }
    seen
}

/// The queue's identity: `enqueued + recovered == delivered + failed + pending`.
pub fn assert_counter_identity(c: &coveo_ua::Counters) {
    assert_eq!(
        c.enqueued + c.recovered,
        c.delivered + c.failed + c.pending,
        "counter identity broken: {c:?}"
    );
}
