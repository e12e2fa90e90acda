//! What a tus upload keeps in storage beside its multipart upload, under `uploads/{id}/`: `metadata` (the
//! `Upload-Metadata` header as sent; its presence marks the upload as a tus one) and `tail/{offset}`
//! segments, the bytes received past the last whole part. A PATCH that does not fill a part leaves its
//! bytes in one segment (S3 takes no part under 5 MiB but the last, and Darkroom's parts are all
//! `part_bytes`); the PATCH that fills it streams the segments, then its own body, into the part.
//!
//! Segments are never rewritten with other bytes (tus offsets only move forward, and a byte's offset says
//! what it is), so no database row tracks them: the offset is the whole parts' bytes plus the segments
//! that follow them without a gap. A segment left over from an earlier part, or written by a request whose
//! parts were not recorded, does not continue the chain and is ignored, then removed.

use crate::domain::{UploadId, UploadPart};
use crate::ports::{BlobKey, BlobMeta, StorageError};

pub fn prefix(id: UploadId) -> String {
    format!("uploads/{id}/")
}

pub fn metadata_key(id: UploadId) -> Result<BlobKey, StorageError> {
    BlobKey::parse(&format!("uploads/{id}/metadata"))
}

/// Zero-padded, so that a listing sorts by offset.
pub fn segment_key(id: UploadId, offset: u64) -> Result<BlobKey, StorageError> {
    BlobKey::parse(&format!("uploads/{id}/tail/{offset:020}"))
}

/// A segment: the bytes from `offset` on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub key: String,
    pub offset: u64,
    pub size: u64,
}

/// Where a tus upload stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    /// Whole parts `1..=parts` are recorded; they hold the bytes up to `base`.
    pub parts: u32,
    pub base: u64,
    /// The segments that continue them, in order: the bytes from `base` to `offset`.
    pub tail: Vec<Segment>,
    pub offset: u64,
    /// Every other segment: garbage to remove.
    pub stale: Vec<Segment>,
}

/// Whether the listing of `prefix(id)` holds the marker of a tus upload.
pub fn is_tus(id: UploadId, listed: &[BlobMeta]) -> bool {
    let marker = format!("uploads/{id}/metadata");
    listed.iter().any(|blob| blob.key == marker)
}

/// The position from the recorded parts (in order) and the listing of `prefix(id)`.
pub fn position(id: UploadId, parts: &[UploadPart], listed: &[BlobMeta], length: u64) -> Position {
    // Parts run 1, 2, … without a gap; a PATCH records them in that order.
    let mut whole = 0u32;
    let mut base = 0u64;
    for part in parts {
        if part.number != whole + 1 {
            break;
        }
        whole += 1;
        base += part.size;
    }
    let tail_prefix = format!("uploads/{id}/tail/");
    let mut segments: Vec<Segment> = listed
        .iter()
        .filter_map(|blob| {
            let offset = blob.key.strip_prefix(&tail_prefix)?.parse().ok()?;
            Some(Segment {
                key: blob.key.clone(),
                offset,
                size: blob.size,
            })
        })
        .collect();
    segments.sort_by_key(|s| s.offset);
    let mut offset = base;
    let (mut tail, mut stale) = (Vec::new(), Vec::new());
    for segment in segments {
        if segment.offset == offset && segment.size > 0 && offset < length {
            offset += segment.size;
            tail.push(segment);
        } else if segment.offset < base {
            stale.push(segment);
        }
    }
    Position {
        parts: whole,
        base,
        tail,
        offset: offset.min(length),
        stale,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(number: u32, size: u64) -> UploadPart {
        UploadPart {
            number,
            size,
            etag: String::new(),
            checksum: None,
            storage_tag: String::new(),
        }
    }

    fn blob(id: UploadId, offset: u64, size: u64) -> BlobMeta {
        BlobMeta {
            key: segment_key(id, offset).unwrap().as_str().to_owned(),
            size,
        }
    }

    #[test]
    fn the_offset_is_the_parts_then_the_segments_that_follow_them() {
        let id = UploadId::new();
        let listed = vec![
            blob(id, 0, 4),  // part 1's old tail: stale
            blob(id, 10, 3), // continues part 1
            blob(id, 13, 2), // continues that
            blob(id, 20, 5), // after a gap: ignored
            BlobMeta {
                key: metadata_key(id).unwrap().as_str().to_owned(),
                size: 0,
            },
        ];
        let position = position(id, &[part(1, 10)], &listed, 100);
        assert_eq!((position.parts, position.base), (1, 10));
        assert_eq!(position.offset, 15);
        assert_eq!(position.tail.len(), 2);
        assert_eq!(position.stale.len(), 1);
        assert!(is_tus(id, &listed));
        assert!(!is_tus(UploadId::new(), &listed));
    }

    #[test]
    fn without_segments_the_offset_is_the_parts() {
        let id = UploadId::new();
        let position = position(id, &[part(1, 10), part(2, 10)], &[], 100);
        assert_eq!((position.parts, position.offset), (2, 20));
    }
}
