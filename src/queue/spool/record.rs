//! The spool's record format: how one event is framed in a segment file, and
//! how an acknowledgement is framed in the segment's ack file.
//!
//! An event record is a 4-byte magic, the payload length (u32 little-endian),
//! a CRC-32 of the length and payload, then the payload: the kind (1 byte),
//! the enqueue time in Unix milliseconds (u64 LE) and the event's JSON. Each
//! record is written with one `write`, so a process killed at any moment
//! leaves at most one torn record, at the end; reading checks every CRC, and
//! after a damaged stretch it looks for the next magic whose record checks
//! out, so damage costs only the records it touches.
//!
//! An ack is the segment offset of a settled event (u64 LE) and a CRC-32 of
//! it: 12 bytes, checked the same way.

/// Marks the start of an event record.
pub(crate) const MAGIC: [u8; 4] = *b"uaE1";
/// Magic, length and CRC.
pub(crate) const HEADER: usize = 12;
/// Kind and enqueue time, before the JSON.
const META: usize = 9;
/// Bytes an ack takes.
pub(crate) const ACK: usize = 12;
/// No event is larger (the service's body limit is far below it).
const MAX_PAYLOAD: usize = 1 << 30;

/// One event read back from a segment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Stored<'a> {
    /// Where the record starts in its segment (its identity there).
    pub offset: u64,
    pub kind: i32,
    pub enqueued_ms: u64,
    pub json: &'a [u8],
}

/// A stretch of a segment that held no readable record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Damage {
    pub offset: u64,
    pub len: u64,
}

/// The bytes an event takes in a segment.
pub(crate) fn event_len(json_len: usize) -> u64 {
    (HEADER + META + json_len) as u64
}

/// Appends the record of one event to `out`.
pub(crate) fn encode_event(out: &mut Vec<u8>, kind: i32, enqueued_ms: u64, json: &[u8]) {
    let payload_len = (META + json.len()) as u32;
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&payload_len.to_le_bytes());
    let crc_at = out.len();
    out.extend_from_slice(&[0; 4]);
    out.push(kind as u8);
    out.extend_from_slice(&enqueued_ms.to_le_bytes());
    out.extend_from_slice(json);
    let mut crc = crc32fast::Hasher::new();
    crc.update(&payload_len.to_le_bytes());
    crc.update(&out[crc_at + 4..]);
    out[crc_at..crc_at + 4].copy_from_slice(&crc.finalize().to_le_bytes());
}

/// The record at the start of `bytes` and its length, if one checks out.
fn decode_at(bytes: &[u8], offset: u64) -> Option<(Stored<'_>, usize)> {
    if bytes.len() < HEADER || bytes[..4] != MAGIC {
        return None;
    }
    let len_bytes: [u8; 4] = bytes[4..8].try_into().ok()?;
    let payload_len = u32::from_le_bytes(len_bytes) as usize;
    if !(META..=MAX_PAYLOAD).contains(&payload_len) || bytes.len() < HEADER + payload_len {
        return None;
    }
    let expected = u32::from_le_bytes(bytes[8..12].try_into().ok()?);
    let payload = &bytes[HEADER..HEADER + payload_len];
    let mut crc = crc32fast::Hasher::new();
    crc.update(&len_bytes);
    crc.update(payload);
    if crc.finalize() != expected {
        return None;
    }
    let stored = Stored {
        offset,
        kind: i32::from(payload[0]),
        enqueued_ms: u64::from_le_bytes(payload[1..9].try_into().ok()?),
        json: &payload[META..],
    };
    Some((stored, HEADER + payload_len))
}

/// Every event record of a segment, and the stretches that were damaged.
pub(crate) fn decode_segment(bytes: &[u8]) -> (Vec<Stored<'_>>, Vec<Damage>) {
    let mut events = Vec::new();
    let mut damage: Vec<Damage> = Vec::new();
    let mut at = 0usize;
    while at < bytes.len() {
        if let Some((stored, len)) = decode_at(&bytes[at..], at as u64) {
            events.push(stored);
            at += len;
            continue;
        }
        // Skip to the next magic that starts a valid record (or the end).
        let start = at;
        at += 1;
        while at < bytes.len() {
            match memchr::memmem::find(&bytes[at..], &MAGIC) {
                Some(i) => {
                    at += i;
                    if decode_at(&bytes[at..], at as u64).is_some() {
                        break;
                    }
                    at += 1;
                }
                None => at = bytes.len(),
            }
        }
        damage.push(Damage {
            offset: start as u64,
            len: (at - start) as u64,
        });
    }
    (events, damage)
}

/// The ack of the event at `offset`.
pub(crate) fn encode_ack(offset: u64) -> [u8; ACK] {
    let mut out = [0u8; ACK];
    out[..8].copy_from_slice(&offset.to_le_bytes());
    out[8..].copy_from_slice(&crc32fast::hash(&offset.to_le_bytes()).to_le_bytes());
    out
}

/// The offsets acknowledged in an ack file, and how many entries were damaged.
pub(crate) fn decode_acks(bytes: &[u8]) -> (Vec<u64>, usize) {
    let mut offsets = Vec::with_capacity(bytes.len() / ACK);
    let mut damaged = 0;
    for chunk in bytes.chunks(ACK) {
        let ok = chunk.len() == ACK && crc32fast::hash(&chunk[..8]).to_le_bytes() == chunk[8..12];
        if ok {
            offsets.push(u64::from_le_bytes(
                chunk[..8].try_into().unwrap_or_default(),
            ));
        } else {
            damaged += 1;
        }
    }
    (offsets, damaged)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(events: &[(&str, u64)]) -> Vec<u8> {
        let mut out = Vec::new();
        for (json, ms) in events {
            encode_event(&mut out, 3, *ms, json.as_bytes());
        }
        out
    }

    #[test]
    fn events_round_trip() {
        let bytes = segment(&[("{\"a\":1}", 7), ("{}", 8), ("", 9)]);
        let (events, damage) = decode_segment(&bytes);
        assert!(damage.is_empty());
        assert_eq!(events.len(), 3);
        assert_eq!(events[0].json, b"{\"a\":1}");
        assert_eq!((events[1].kind, events[1].enqueued_ms), (3, 8));
        assert_eq!(events[1].offset, event_len(7));
        assert_eq!(
            bytes.len() as u64,
            event_len(7) + event_len(2) + event_len(0)
        );
    }

    #[test]
    fn a_torn_tail_is_damage_and_the_rest_survives() {
        let bytes = segment(&[("{\"a\":1}", 1), ("{\"b\":2}", 2)]);
        for cut in 1..event_len(7) as usize {
            let torn = &bytes[..bytes.len() - cut];
            let (events, damage) = decode_segment(torn);
            assert_eq!(events.len(), 1, "cut {cut}");
            assert_eq!(damage.len(), 1);
            assert_eq!(damage[0].offset, event_len(7));
        }
    }

    #[test]
    fn a_flipped_byte_costs_only_its_record() {
        let bytes = segment(&[("{\"a\":1}", 1), ("{\"b\":2}", 2), ("{\"c\":3}", 3)]);
        for at in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[at] ^= 0x40;
            let (events, damage) = decode_segment(&bad);
            assert_eq!(events.len(), 2, "flip at {at}");
            assert_eq!(damage.len(), 1, "flip at {at}");
        }
    }

    #[test]
    fn acks_round_trip_and_damage_is_counted() {
        let mut bytes = Vec::new();
        for offset in [0u64, 21, 1 << 40] {
            bytes.extend_from_slice(&encode_ack(offset));
        }
        assert_eq!(decode_acks(&bytes), (vec![0, 21, 1 << 40], 0));
        bytes[13] ^= 1;
        bytes.truncate(bytes.len() - 3);
        assert_eq!(decode_acks(&bytes), (vec![0], 2));
    }
}
