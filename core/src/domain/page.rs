//! Cursor pagination: keyset on (created_at, id), never OFFSET, so pages stay stable under inserts.

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// The position after which the next page starts, opaque to clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub created_at: DateTime<Utc>,
    pub id: Uuid,
}

impl Cursor {
    /// Every string matching this decodes, so a document that states it promises nothing it cannot keep.
    /// Clients should still treat cursors as opaque.
    pub const PATTERN: &'static str = r"^[0-9]{1,16}\.[0-9a-f]{32}$";

    /// `MICROS.UUIDHEX`: the creation time in microseconds and the id, in the order pages are sorted by.
    pub fn encode(&self) -> String {
        format!(
            "{}.{}",
            self.created_at.timestamp_micros(),
            self.id.simple()
        )
    }

    /// Parses what `encode` produced; anything else is `None` (the caller answers 400).
    pub fn decode(s: &str) -> Option<Self> {
        let (micros, id) = s.split_once('.')?;
        if micros.is_empty() || micros.len() > 16 || !micros.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if id.len() != 32
            || !id
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return None;
        }
        Some(Self {
            created_at: DateTime::from_timestamp_micros(micros.parse().ok()?)?,
            id: Uuid::parse_str(id).ok()?,
        })
    }
}

/// A bounded page request. Construct through `PageRequest::new`, which clamps the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: u32,
    pub after: Option<Cursor>,
}

impl PageRequest {
    pub const DEFAULT_LIMIT: u32 = 20;
    pub const MAX_LIMIT: u32 = 100;

    pub fn new(limit: Option<u32>, after: Option<Cursor>) -> Self {
        let limit = limit
            .unwrap_or(Self::DEFAULT_LIMIT)
            .clamp(1, Self::MAX_LIMIT);
        Self { limit, after }
    }
}

/// One page of items and the cursor of the next one (`None` at the end).
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<Cursor>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_and_rejects_garbage() {
        let cursor = Cursor {
            created_at: DateTime::from_timestamp_micros(1_700_000_000_123_456).unwrap(),
            id: Uuid::now_v7(),
        };
        assert_eq!(Cursor::decode(&cursor.encode()), Some(cursor));
        assert_eq!(Cursor::decode("not a cursor"), None);
        assert_eq!(Cursor::decode("12.nope"), None);
        assert_eq!(
            Cursor::decode(&format!("12345678901234567.{}", cursor.id.simple())),
            None
        );
        assert_eq!(
            Cursor::decode(&format!(
                "12.{}",
                cursor.id.simple().to_string().to_uppercase()
            )),
            None
        );
        // The largest value the pattern allows still decodes.
        assert!(Cursor::decode(&format!("9999999999999999.{}", cursor.id.simple())).is_some());
    }

    #[test]
    fn page_limit_is_clamped() {
        assert_eq!(PageRequest::new(None, None).limit, 20);
        assert_eq!(PageRequest::new(Some(0), None).limit, 1);
        assert_eq!(PageRequest::new(Some(10_000), None).limit, 100);
    }
}
