//! Reading a damaged spool: arbitrary bytes as a segment file and its ack
//! file, decoded and then adopted as a new queue would adopt them, once as
//! the version 2 layout (at the top of the directory) and once as a lane.
//!
//! Checked: decoding never panics; the events and the damaged stretches
//! cover the input exactly, in order; every event read re-encodes to the very
//! bytes it was read from; reading a chunk at a time finds exactly what
//! reading it whole finds; adopting never fails on damage (only reports it),
//! counts no more events than were decoded, and reads back exactly as many
//! as it counted.
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
    let chunk = 12 + usize::from(split) % 53;
    assert_eq!(
        spool::decode_segment_chunked(segment, chunk),
        (events.clone(), damage.clone()),
        "reading {chunk} bytes at a time differs"
    );
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

    for lane in ["", "lane-1-1-00000000000000ff"] {
        let dir = dir();
        let _ = std::fs::remove_dir_all(dir);
        let files = dir.join(lane);
        std::fs::create_dir_all(&files).unwrap();
        std::fs::write(files.join("0000000000000001.log"), segment).unwrap();
        std::fs::write(files.join("0000000000000001.ack"), acks).unwrap();
        match spool::open_spool(dir) {
            Ok((counted, read, _reported)) => {
                assert!(counted <= events.len() as u64);
                assert_eq!(counted, read, "counted and read back differ");
            }
            Err(message) => panic!("a damaged spool must not fail to open: {message}"),
        }
    }
});
