//! The storage port: blobs (originals, variants) by opaque key.

use std::fmt::Debug;
use std::ops::Range;

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::BoxStream;
use futures::TryStreamExt;

use super::BoxError;

/// A stream of bytes in or out of storage.
pub type ByteStream = BoxStream<'static, Result<Bytes, StorageError>>;

/// Errors every storage backend maps its own into.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    #[error("blob not found: {0}")]
    NotFound(String),
    /// The requested range starts past the end of the blob.
    #[error("range not satisfiable for a blob of {size} bytes")]
    InvalidRange { size: u64 },
    /// The writer's stream failed (or the caller stopped it on purpose); nothing was stored.
    #[error("write aborted: {0}")]
    Aborted(String),
    /// Worth trying again later: the backend is unreachable, overloaded or refused us for now.
    #[error("storage unavailable: {message}")]
    Unavailable {
        message: String,
        source: Option<BoxError>,
    },
    #[error("storage error: {message}")]
    Other {
        message: String,
        source: Option<BoxError>,
    },
}

super::source::cause_constructors!(StorageError);

/// A key: relative, `/`-separated, no empty, `.` or `..` segments. Keys are opaque to the backends.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BlobKey(String);

impl BlobKey {
    pub fn parse(raw: &str) -> Result<Self, StorageError> {
        let ok = !raw.is_empty()
            && raw.len() <= 1024
            && raw
                .split('/')
                .all(|seg| !seg.is_empty() && seg != "." && seg != ".." && !seg.contains('\\'));
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(StorageError::other(format!("invalid blob key {raw:?}")))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What storage knows of a blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobMeta {
    pub key: String,
    pub size: u64,
}

/// Blob storage.
///
/// # Contract
///
/// - `put` and `put_stream` are atomic: a reader sees the old blob, or the whole new one, never a part. When
///   the stream passed to `put_stream` yields an error, the write is abandoned, nothing is left at the key or
///   anywhere else (multipart parts are aborted), and `put_stream` returns that error.
/// - `get` with a range returns exactly the bytes of `range` clamped to the blob's end; a range starting at or
///   past the end is `InvalidRange`. A missing key is `NotFound`.
/// - `delete` of a missing key succeeds (deletes are idempotent).
/// - `list` returns every blob whose key starts with `prefix`, in no particular order.
#[async_trait]
pub trait BlobStore: Send + Sync + Debug {
    /// A short name for logs and `/readyz` ("local", "memory", "s3").
    fn backend(&self) -> &'static str;

    async fn put(&self, key: &BlobKey, data: Bytes) -> Result<BlobMeta, StorageError>;

    async fn put_stream(&self, key: &BlobKey, data: ByteStream) -> Result<BlobMeta, StorageError>;

    async fn get_stream(
        &self,
        key: &BlobKey,
        range: Option<Range<u64>>,
    ) -> Result<(BlobMeta, ByteStream), StorageError>;

    async fn head(&self, key: &BlobKey) -> Result<BlobMeta, StorageError>;

    async fn delete(&self, key: &BlobKey) -> Result<(), StorageError>;

    async fn list(&self, prefix: &str) -> Result<Vec<BlobMeta>, StorageError>;

    /// Proves the backend is reachable (for `/readyz`).
    async fn ping(&self) -> Result<(), StorageError>;
}

/// Helpers every store gets for free.
#[async_trait]
pub trait BlobStoreExt: BlobStore {
    /// The whole blob (or a range of it) in memory.
    async fn get(&self, key: &BlobKey, range: Option<Range<u64>>) -> Result<Bytes, StorageError> {
        let (_, stream) = self.get_stream(key, range).await?;
        let chunks: Vec<Bytes> = stream.try_collect().await?;
        Ok(match chunks.len() {
            1 => chunks.into_iter().next().unwrap_or_default(),
            _ => Bytes::from(chunks.concat()),
        })
    }

    /// Deletes every blob under `prefix`; returns how many there were.
    async fn delete_prefix(&self, prefix: &str) -> Result<usize, StorageError> {
        let blobs = self.list(prefix).await?;
        for blob in &blobs {
            self.delete(&BlobKey::parse(&blob.key)?).await?;
        }
        Ok(blobs.len())
    }
}

impl<T: BlobStore + ?Sized> BlobStoreExt for T {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_refuse_traversal_and_empty_segments() {
        assert!(BlobKey::parse("images/abc/original").is_ok());
        for bad in ["", "/abs", "a//b", "a/../b", "./a", "a/", "a\\b"] {
            assert!(BlobKey::parse(bad).is_err(), "{bad}");
        }
    }
}
