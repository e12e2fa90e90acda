//! Storage classes: an optional capability of storage, a trait of its own beside `BlobStore` (as
//! `MultipartStore` is), for stores that keep a blob's bytes in tiers of their own (S3's storage classes).
//! The archive tier of originals (`services::archive`) uses it when the hot store is S3 and no second store
//! is configured: the blob stays under its key, only its class changes.

use std::fmt::Debug;

use async_trait::async_trait;

use super::storage::{BlobKey, StorageError};

/// Where a blob in a non-default class stands for reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retrieval {
    /// Its bytes can be read now (a class read at once, or a restore that has finished).
    Readable,
    /// Its class must be restored before it is read, and the restore is under way.
    Restoring,
}

/// Storage classes of blobs.
///
/// # Contract
/// - `set_storage_class(key, class)` keeps the bytes under `key` and moves them to `class` (a name the
///   store knows, e.g. `GLACIER_IR`, `STANDARD`); a missing key is `NotFound`. Readers see the same bytes
///   before and after, where the class allows reading at once.
/// - `storage_class(key)` answers the blob's class (`STANDARD` for the default).
/// - `prepare_read(key)` answers whether the blob can be read now; for a class that needs a restore it
///   starts one, at most once however often it is asked while the restore runs, and answers `Restoring`
///   until the restore is done.
#[async_trait]
pub trait StorageClassStore: Send + Sync + Debug {
    async fn set_storage_class(&self, key: &BlobKey, class: &str) -> Result<(), StorageError>;

    async fn storage_class(&self, key: &BlobKey) -> Result<String, StorageError>;

    async fn prepare_read(&self, key: &BlobKey) -> Result<Retrieval, StorageError>;
}

/// The default class of a store.
pub const STANDARD: &str = "STANDARD";

/// Whether blobs in `class` must be restored before they are read (S3's GLACIER and DEEP_ARCHIVE; GLACIER_IR
/// and the infrequent-access classes are read at once).
pub fn needs_restore(class: &str) -> bool {
    matches!(class, "GLACIER" | "DEEP_ARCHIVE")
}
