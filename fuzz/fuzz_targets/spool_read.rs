//! Reading a damaged spool: arbitrary bytes as a segment file and its ack
//! file, decoded and then opened as a new queue would open the directory.
//!
//! Checked: decoding never panics; the events and the damaged stretches
//! cover the input exactly, in order; every event read re-encodes to the very
//! bytes it was read from; opening the directory never fails on damage (only
//! reports it) and recovers no more events than were read.
#![no_main]

use coveo_ua::__internals::spool;
use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::OnceLock;

/// One directory for the whole run (a fresh spool each input).
fn dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        std::env::temp_dir().join(format!("coveo-ua-fuzz-spool-{}", std::process::id()))
    })
}

fuzz_target!(|data: &[u8]| {
    // The first byte splits the input into the segment and its acks.
    let Some((&split, rest)) = data.split_first() else {
        return;
    };
    let cut = rest.len() * usize::from(split) / 255;
    let (segment, acks) = rest.split_at(cut);

    let (events, damage) = spool::decode_segment(segment);
    let mut spans: Vec<(u64, u64)> = events
        .iter()
        .map(|(offset, kind, ms, json)| {
            let bytes = spool::encode_event(*kind, *ms, json);
            let at = *offset as usize;
            assert_eq!(
                &segment[at..at + bytes.len()],
                &bytes[..],
                "re-encoding differs"
            );
            (*offset, bytes.len() as u64)
        })
        .chain(damage.iter().copied())
        .collect();
    spans.sort_unstable();
    let mut expected = 0;
    for (offset, len) in spans {
        assert_eq!(offset, expected, "a gap or an overlap at {offset}");
        assert!(len > 0);
        expected = offset + len;
    }
    assert_eq!(expected, segment.len() as u64);
    let (acked, damaged) = spool::decode_acks(acks);
    assert!(acked.len() + damaged <= acks.len() / 12 + 1);

    let dir = dir();
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("0000000000000001.log"), segment).unwrap();
    std::fs::write(dir.join("0000000000000001.ack"), acks).unwrap();
    match spool::open_spool(dir) {
        Ok((recovered, _reported)) => assert!(recovered <= events.len()),
        Err(message) => panic!("a damaged spool must not fail to open: {message}"),
    }
});
