//! Sweeping: an optional capability of storage, a trait of its own beside `BlobStore` (as
//! `MultipartStore` and `StorageClassStore` are), for the janitor (`services::janitor`). It shows what
//! `BlobStore` hides on purpose: when each blob was written, and what interrupted writes left behind
//! (staging files of streamed writes, multipart uploads never completed nor aborted).

use std::fmt::Debug;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::storage::StorageError;

/// A committed blob and when it was last written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatedBlob {
    pub key: String,
    pub size: u64,
    pub modified: DateTime<Utc>,
}

/// What kind of unfinished write a leftover is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LeftoverKind {
    /// The file a streamed write fills before it is renamed into place (the local store's `name#hex`).
    StagingFile,
    /// A multipart upload neither completed nor aborted.
    Multipart,
}

impl LeftoverKind {
    /// The name in logs and in `darkroom_janitor_removed_total`'s `kind`.
    pub fn name(self) -> &'static str {
        match self {
            Self::StagingFile => "staging_file",
            Self::Multipart => "multipart",
        }
    }
}

/// Something an unfinished write left in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leftover {
    pub kind: LeftoverKind,
    /// The store's name for it: a staging file's path under the root; a multipart upload's target key
    /// where the store records one (S3, memory), else its staging directory.
    pub key: String,
    /// A multipart upload's id, as `MultipartStore::create_multipart` answered it (or the store's own for
    /// uploads a streamed write made); `None` for a staging file.
    pub upload_id: Option<String>,
    /// When the write began (or, where the store does not keep that, when it last wrote: a staging
    /// directory's time); a write still under way may be older than this says, never younger.
    pub started: DateTime<Utc>,
}

/// Dated listings and the leftovers of interrupted writes.
///
/// # Contract
/// - `list_dated(prefix)` answers what `BlobStore::list(prefix)` answers (committed blobs only, never a
///   staging file or a part), each with the time it was last written by the store's clock.
/// - `leftovers` lists every staging file and every multipart upload of the store (under its prefix, where
///   the store has one) that was begun and neither completed nor aborted; a completed or aborted upload
///   and a committed blob never show.
/// - `remove_leftover` removes one and everything of it (a multipart upload's parts); removing one that is
///   already gone succeeds. Only the janitor calls it, for leftovers it judged abandoned: removing a write
///   that is still under way makes that write fail.
#[async_trait]
pub trait StorageSweep: Send + Sync + Debug {
    async fn list_dated(&self, prefix: &str) -> Result<Vec<DatedBlob>, StorageError>;

    async fn leftovers(&self) -> Result<Vec<Leftover>, StorageError>;

    async fn remove_leftover(&self, leftover: &Leftover) -> Result<(), StorageError>;
}
