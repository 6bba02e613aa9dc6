//! Identifiers: random UUID v4 strings and the visitor registry that keeps a
//! visitorId (and the current visit) stable for each clientId.

use std::cell::Cell;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A visit ends after this much inactivity of its visitor, as on the real service.
const VISIT_IDLE: Duration = Duration::from_secs(30 * 60);

thread_local! {
    static RNG: Cell<u64> = Cell::new(seed());
}

/// Seeds each thread's generator differently: time, thread identity and a stack address.
fn seed() -> u64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let local = 0u8;
    let addr = &local as *const u8 as u64;
    let tid = format!("{:?}", std::thread::current().id());
    let mut h = nanos ^ addr.rotate_left(32);
    for b in tid.bytes() {
        h = (h ^ b as u64).wrapping_mul(0x100_0000_01b3);
    }
    h | 1
}

/// Next 64 random bits (wyrand: fast, good enough for identifiers, not for secrets).
fn next_u64() -> u64 {
    RNG.with(|s| {
        let x = s.get().wrapping_add(0xa076_1d64_78bd_642f);
        s.set(x);
        let t = (x as u128).wrapping_mul((x ^ 0xe703_7ed1_a0b4_28db) as u128);
        (t >> 64) as u64 ^ t as u64
    })
}

/// A fresh random UUID v4 in its 36-character lowercase form.
pub fn new_uuid() -> String {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&next_u64().to_le_bytes());
    bytes[8..].copy_from_slice(&next_u64().to_le_bytes());
    bytes[6] = (bytes[6] & 0x0f) | 0x40; // version 4
    bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 4122 variant
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(36);
    for (i, b) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push(HEX[(b >> 4) as usize] as char);
        out.push(HEX[(b & 15) as usize] as char);
    }
    out
}

/// True for the 8-4-4-4-12 hexadecimal form (any case, any version).
pub fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// The identifiers an accepted event is answered with.
#[derive(Debug, Clone)]
pub struct Visit {
    /// Current visit of the visitor.
    pub visit_id: String,
    /// Stable for a clientId.
    pub visitor_id: String,
    /// The clientId sent, or a fresh one.
    pub client_id: String,
}

/// Remembers each clientId's visitorId and current visit.
#[derive(Default)]
pub struct Visitors {
    known: Mutex<HashMap<String, (String, String, Instant)>>,
}

impl Visitors {
    /// Identifiers for an event from `client_id` (absent: a new anonymous visitor).
    pub fn visit(&self, client_id: Option<&str>) -> Visit {
        let Some(cid) = client_id else {
            return Visit {
                visit_id: new_uuid(),
                visitor_id: new_uuid(),
                client_id: new_uuid(),
            };
        };
        let key = cid.to_ascii_lowercase();
        let now = Instant::now();
        let mut known = self.known.lock().unwrap_or_else(|p| p.into_inner());
        let entry = known
            .entry(key)
            .or_insert_with(|| (new_uuid(), new_uuid(), now));
        if now.duration_since(entry.2) > VISIT_IDLE {
            entry.1 = new_uuid();
        }
        entry.2 = now;
        Visit {
            visitor_id: entry.0.clone(),
            visit_id: entry.1.clone(),
            client_id: cid.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_well_formed_v4_and_distinct() {
        let a = new_uuid();
        let b = new_uuid();
        assert!(is_uuid(&a) && is_uuid(&b));
        assert_ne!(a, b);
        assert_eq!(&a[14..15], "4");
        assert!("89ab".contains(&a[19..20]));
    }

    #[test]
    fn is_uuid_rejects_near_misses() {
        assert!(is_uuid("123E4567-e89b-12d3-a456-426614174000"));
        assert!(!is_uuid("123e4567e89b12d3a456426614174000"));
        assert!(!is_uuid("123e4567-e89b-12d3-a456-42661417400g"));
        assert!(!is_uuid(""));
    }

    #[test]
    fn same_client_same_visitor() {
        let v = Visitors::default();
        let a = v.visit(Some("123e4567-e89b-12d3-a456-426614174000"));
        let b = v.visit(Some("123E4567-E89B-12D3-A456-426614174000"));
        assert_eq!(a.visitor_id, b.visitor_id);
        assert_eq!(a.visit_id, b.visit_id);
        let c = v.visit(None);
        assert_ne!(a.visitor_id, c.visitor_id);
    }
}
