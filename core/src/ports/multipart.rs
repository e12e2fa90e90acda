//! Multipart uploads: an optional capability of storage, a trait of its own beside `BlobStore` (as
//! object_store's `MultipartStore` is), so that a store without it is still a store.
//!
//! A resumable upload (`createUpload` … `completeUpload`) puts each numbered part straight into the
//! store's multipart upload; nothing is assembled in memory. A tus upload, a sequence of appends, maps onto
//! the same calls: each append is the next part.

use std::fmt::Debug;

use async_trait::async_trait;

use super::storage::{BlobKey, BlobMeta, ByteStream, StorageError};

/// The highest part number a multipart upload may use (S3's limit).
pub const MAX_PART_NUMBER: u32 = 10_000;

/// The smallest size of every part but the last (S3's limit): stores may refuse to complete with smaller ones.
pub const MIN_PART_BYTES: u64 = 5 * 1024 * 1024;

/// A part the store received: what `complete_multipart` needs to find it again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartReceipt {
    pub number: u32,
    pub size: u64,
    /// The store's own name for this upload of the part (S3's ETag); opaque to callers.
    pub tag: String,
}

/// Multipart uploads to a key.
///
/// # Contract
///
/// - `create_multipart` starts an upload to `key` and returns its id; nothing is visible at `key` yet.
/// - `put_part` streams part `number` (1 to `MAX_PART_NUMBER`) of the upload. Sending a number again
///   replaces that part. When the stream yields an error, the part is left as it was (an earlier upload of
///   the same number still stands) and `put_part` returns that error. An unknown (aborted, completed) upload
///   is an error.
/// - `complete_multipart` with the receipts of parts `1..=n`, in order (every part but the last at least
///   `MIN_PART_BYTES`), makes the object appear at `key` at once: the parts concatenated, replacing any
///   blob there. The upload and its parts are gone afterwards.
/// - `abort_multipart` removes the upload and every part of it; aborting an unknown (already aborted or
///   completed) upload succeeds.
/// - Nothing of an upload shows in `BlobStore::list` until it completes.
#[async_trait]
pub trait MultipartStore: Send + Sync + Debug {
    async fn create_multipart(&self, key: &BlobKey) -> Result<String, StorageError>;

    async fn put_part(
        &self,
        key: &BlobKey,
        upload_id: &str,
        number: u32,
        data: ByteStream,
    ) -> Result<PartReceipt, StorageError>;

    async fn complete_multipart(
        &self,
        key: &BlobKey,
        upload_id: &str,
        parts: &[PartReceipt],
    ) -> Result<BlobMeta, StorageError>;

    async fn abort_multipart(&self, key: &BlobKey, upload_id: &str) -> Result<(), StorageError>;
}

/// Checks that `parts` are the numbers `1..=n` in order, as every store needs them to complete.
pub fn check_part_sequence(parts: &[PartReceipt]) -> Result<(), StorageError> {
    if parts.is_empty() {
        return Err(StorageError::other(
            "a multipart upload needs at least one part",
        ));
    }
    for (index, part) in parts.iter().enumerate() {
        if part.number as usize != index + 1 {
            return Err(StorageError::other(format!(
                "parts must be numbered 1 to {} in order; found {} at position {}",
                parts.len(),
                part.number,
                index + 1
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn receipt(number: u32) -> PartReceipt {
        PartReceipt {
            number,
            size: 1,
            tag: String::new(),
        }
    }

    #[test]
    fn parts_must_run_from_one_without_gaps() {
        assert!(check_part_sequence(&[receipt(1), receipt(2)]).is_ok());
        assert!(check_part_sequence(&[]).is_err());
        assert!(check_part_sequence(&[receipt(2)]).is_err());
        assert!(check_part_sequence(&[receipt(1), receipt(3)]).is_err());
    }
}
