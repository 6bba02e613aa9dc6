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

/// Where a scan reads a segment's bytes from: a file (read at offsets, so a
/// writer may append meanwhile) or bytes in memory.
pub(crate) trait Source {
    /// Reads into `buf` from `offset`; fewer bytes only at the end.
    fn read_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<usize>;
}

impl Source for [u8] {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
        let from = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.len());
        let n = buf.len().min(self.len() - from);
        buf[..n].copy_from_slice(&self[from..from + n]);
        Ok(n)
    }
}

impl Source for std::fs::File {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
        let mut done = 0;
        while done < buf.len() {
            match crate::sys::files::read_at(self, &mut buf[done..], offset + done as u64) {
                Ok(0) => break,
                Ok(n) => done += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(done)
    }
}

/// What a scan found next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Found {
    /// An event record, its JSON copied out.
    Event(Owned),
    /// A stretch that held no readable record.
    Damage(Damage),
}

/// An event record read by a scan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Owned {
    /// Where the record starts in its segment (its identity there).
    pub offset: u64,
    pub kind: i32,
    pub enqueued_ms: u64,
    pub json: Box<[u8]>,
}

impl Owned {
    /// The bytes the record takes in its segment.
    pub(crate) fn len(&self) -> u64 {
        event_len(self.json.len())
    }
}

/// Reads the records of a segment in order, a chunk at a time, from a start
/// offset to an end offset: the memory it takes is one chunk (or one record,
/// if larger), whatever the segment's size. After a damaged stretch it goes on
/// at the next magic whose record checks out, as `decode_segment` does.
pub(crate) struct Scan {
    /// The segment offset of `buf[0]`.
    base: u64,
    /// Where the records end (the file's length, or the writer's position).
    end: u64,
    buf: Vec<u8>,
    /// The next byte of `buf` to look at.
    pos: usize,
    /// Where the damaged stretch being skipped began.
    damage_from: Option<u64>,
    chunk: usize,
}

/// Bytes a scan reads at once.
pub(crate) const CHUNK: usize = 64 * 1024;

impl Scan {
    /// A scan of `[start, end)`.
    pub(crate) fn new(start: u64, end: u64) -> Scan {
        Scan::with_chunk(start, end, CHUNK)
    }

    pub(crate) fn with_chunk(start: u64, end: u64, chunk: usize) -> Scan {
        Scan {
            base: start,
            end: end.max(start),
            buf: Vec::new(),
            pos: 0,
            damage_from: None,
            chunk: chunk.max(HEADER),
        }
    }

    /// Where the scan stands: every byte before it has been reported.
    pub(crate) fn offset(&self) -> u64 {
        self.damage_from.unwrap_or(self.base + self.pos as u64)
    }

    /// The next event or damaged stretch, `None` at the end.
    pub(crate) fn next(
        &mut self,
        source: &(impl Source + ?Sized),
    ) -> std::io::Result<Option<Found>> {
        loop {
            let at = self.base + self.pos as u64;
            let avail = &self.buf[self.pos..];
            if avail.is_empty() && at >= self.end {
                return Ok(self.damage_from.take().map(|from| {
                    Found::Damage(Damage {
                        offset: from,
                        len: self.end - from,
                    })
                }));
            }
            match decode_at(avail, at) {
                Some((stored, len)) => {
                    if let Some(from) = self.damage_from.take() {
                        // Report the damage first; the record comes next call.
                        return Ok(Some(Found::Damage(Damage {
                            offset: from,
                            len: at - from,
                        })));
                    }
                    let found = Owned {
                        offset: at,
                        kind: stored.kind,
                        enqueued_ms: stored.enqueued_ms,
                        json: stored.json.into(),
                    };
                    self.pos += len;
                    return Ok(Some(Found::Event(found)));
                }
                None => {
                    let buffered_end = self.base + self.buf.len() as u64;
                    if let Some(need) = wanted(avail, self.end - at) {
                        if buffered_end < self.end {
                            self.fill(source, need)?;
                            continue;
                        }
                    }
                    if buffered_end < self.end && avail.len() < HEADER {
                        self.fill(source, HEADER)?;
                        continue;
                    }
                    // No record starts here: skip one byte, then go to the
                    // next magic (or what is left of the buffer).
                    self.damage_from.get_or_insert(at);
                    self.pos += 1;
                    let rest = &self.buf[self.pos..];
                    match memchr::memmem::find(rest, &MAGIC) {
                        Some(i) => self.pos += i,
                        // Keep the last bytes: a magic may straddle the chunks.
                        None => self.pos += rest.len().saturating_sub(MAGIC.len() - 1),
                    }
                }
            }
        }
    }

    /// Reads on so that at least `need` bytes from `pos` are in the buffer
    /// (or the segment ends).
    fn fill(&mut self, source: &(impl Source + ?Sized), need: usize) -> std::io::Result<()> {
        self.buf.drain(..self.pos);
        self.base += self.pos as u64;
        self.pos = 0;
        let have = self.buf.len();
        let want = need.max(self.chunk).max(have + 1);
        let want = want.min(usize::try_from(self.end - self.base).unwrap_or(usize::MAX));
        self.buf.resize(want, 0);
        let n = source.read_at(&mut self.buf[have..], self.base + have as u64)?;
        self.buf.truncate(have + n);
        if n == 0 {
            // The file is shorter than it was said to be: what is missing
            // counts as not there.
            self.end = self.base + have as u64;
        }
        Ok(())
    }
}

/// When `bytes` begin like a record whose end is past them (but within
/// `left`, the bytes the segment still has from here), how many bytes the
/// whole record takes.
fn wanted(bytes: &[u8], left: u64) -> Option<usize> {
    if bytes.len() < HEADER || bytes[..4] != MAGIC {
        return None;
    }
    let payload_len = u32::from_le_bytes(bytes[4..8].try_into().ok()?) as usize;
    let total = HEADER + payload_len;
    let plausible = (META..=MAX_PAYLOAD).contains(&payload_len) && total as u64 <= left;
    (plausible && bytes.len() < total).then_some(total)
}

/// Every event record of a segment, and the stretches that were damaged.
pub(crate) fn decode_segment(bytes: &[u8]) -> (Vec<Owned>, Vec<Damage>) {
    decode_segment_chunked(bytes, CHUNK)
}

/// `decode_segment`, reading `chunk` bytes at a time (any chunk gives the
/// same answer; the fuzz target checks that).
pub(crate) fn decode_segment_chunked(bytes: &[u8], chunk: usize) -> (Vec<Owned>, Vec<Damage>) {
    let mut scan = Scan::with_chunk(0, bytes.len() as u64, chunk);
    let mut events = Vec::new();
    let mut damage = Vec::new();
    while let Ok(Some(found)) = scan.next(bytes) {
        match found {
            Found::Event(e) => events.push(e),
            Found::Damage(d) => damage.push(d),
        }
    }
    (events, damage)
}

/// The largest event a record holds (its JSON's length in bytes).
pub(crate) const MAX_EVENT: usize = MAX_PAYLOAD - META;

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
        assert_eq!(&*events[0].json, b"{\"a\":1}");
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
    fn any_chunk_size_reads_the_same_records_and_damage() {
        let mut bytes = segment(&[
            ("{\"a\":1}", 1),
            ("", 2),
            ("{\"long\":\"xxxxxxxxxxxxxxxxxxxxxxxx\"}", 3),
        ]);
        let whole = decode_segment(&bytes);
        for chunk in [1, 5, 12, 13, 20, 64] {
            assert_eq!(
                decode_segment_chunked(&bytes, chunk),
                whole,
                "chunk {chunk}"
            );
        }
        // Damage that straddles chunks, and a magic with a bad record behind it.
        bytes.splice(10..10, b"uaE1garbage uaE1".iter().copied());
        bytes.extend_from_slice(b"uaE1\x05\x00\x00\x00");
        let whole = decode_segment(&bytes);
        assert_eq!(whole.0.len(), 2, "{whole:?}");
        for chunk in [1, 3, 7, 12, 13, 29, 4096] {
            assert_eq!(
                decode_segment_chunked(&bytes, chunk),
                whole,
                "chunk {chunk}"
            );
        }
    }

    #[test]
    fn a_scan_stops_at_its_end_and_resumes_there() {
        let bytes = segment(&[("{\"a\":1}", 1), ("{\"b\":2}", 2), ("{\"c\":3}", 3)]);
        let second = event_len(7);
        let mut scan = Scan::new(second, second * 2);
        match scan.next(&bytes[..]).unwrap() {
            Some(Found::Event(e)) => assert_eq!((e.offset, &*e.json), (second, &b"{\"b\":2}"[..])),
            other => panic!("{other:?}"),
        }
        assert_eq!(scan.next(&bytes[..]).unwrap(), None);
        assert_eq!(scan.offset(), second * 2);
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
