//! `EncryptedBlobs`: encryption at rest in front of a `BlobStore` (the local filesystem store: S3 has its
//! own server-side encryption). Every blob is AES-256-GCM in 64 KiB segments under a key of its own (see
//! `format`), written and read as streams, and read by range without decrypting what the range skips.
//!
//! - Sizes (`put`, `head`, `list`, a read's meta) are the plaintext's; the store beneath sees only
//!   ciphertext.
//! - A blob that does not authenticate (another key, tampered, truncated) is an error, never bytes.
//! - Blobs without the format's magic were written before encryption was turned on: `Plaintext::Read`
//!   serves them as they are (an existing install can turn encryption on; new writes are encrypted),
//!   `Plaintext::Refuse` makes them errors.
//! - Multipart uploads are this wrapper's own (`multipart`): each part an encrypted blob of its own under a
//!   hidden prefix, re-encrypted as one blob when the upload completes.

mod format;
mod multipart;
mod streams;
mod sweep;
#[cfg(test)]
mod tests;

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use darkroom_core::ports::{BlobKey, BlobMeta, BlobStore, ByteStream, StorageError, StorageSweep};
use futures::{StreamExt, TryStreamExt};

pub use self::format::MasterKey;
use self::format::{
    corrupt, looks_encrypted, plain_len, seal_all, segment_offset, segments, BlobCipher, HEADER,
    SEGMENT,
};
use self::streams::{read_start, seal_stream, Opening};

/// Blobs no larger than this are encrypted by `put` on the calling task; larger ones on a blocking thread.
const INLINE_SEAL_MAX: usize = 1024 * 1024;
/// Blobs whose first bytes `list` reads at once (to tell encrypted sizes from plaintext ones).
const LIST_CONCURRENCY: usize = 8;

/// What to do with a blob written before encryption was turned on (one without the format's magic).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plaintext {
    /// Serve it as it is.
    Read,
    /// Refuse it: every blob must be encrypted.
    Refuse,
}

/// A `BlobStore` (and `MultipartStore`) that encrypts everything it stores in `inner`.
#[derive(Clone)]
pub struct EncryptedBlobs {
    inner: Arc<dyn BlobStore>,
    master: Arc<MasterKey>,
    plaintext: Plaintext,
    /// The store beneath seen through `StorageSweep` (for the janitor), when it has the capability.
    sweep: Option<Arc<dyn StorageSweep>>,
}

impl fmt::Debug for EncryptedBlobs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncryptedBlobs")
            .field("inner", &self.inner)
            .field("key", &self.master)
            .field("plaintext", &self.plaintext)
            .finish()
    }
}

impl EncryptedBlobs {
    pub fn new(inner: Arc<dyn BlobStore>, master: MasterKey, plaintext: Plaintext) -> Self {
        Self {
            inner,
            master: Arc::new(master),
            plaintext,
            sweep: None,
        }
    }

    /// The same wrapper able to sweep (`StorageSweep`): `sweep` is the store beneath, `inner`, seen
    /// through that capability.
    pub fn with_sweep(mut self, sweep: Arc<dyn StorageSweep>) -> Self {
        self.sweep = Some(sweep);
        self
    }

    /// A blob without the magic: served as it is, or refused.
    async fn plaintext_blob(
        &self,
        key: &BlobKey,
        range: Option<Range<u64>>,
    ) -> Result<(BlobMeta, ByteStream), StorageError> {
        self.allow_plaintext(key)?;
        self.inner.get_stream(key, range).await
    }

    fn allow_plaintext(&self, key: &BlobKey) -> Result<(), StorageError> {
        match self.plaintext {
            Plaintext::Read => Ok(()),
            Plaintext::Refuse => Err(StorageError::other(format!(
                "blob {:?} is not encrypted, and unencrypted blobs are refused",
                key.as_str()
            ))),
        }
    }

    /// Whether a listed key is one of this wrapper's multipart staging blobs.
    fn staged(key: &str) -> bool {
        key.strip_prefix(multipart::STAGING)
            .is_some_and(|rest| rest.starts_with('/'))
    }
}

/// The stored bytes a read of `range` starts with: the header, and the segments up to the range's end
/// when the range starts in the first segment (one read instead of two).
fn first_read(range: &Option<Range<u64>>) -> Option<Range<u64>> {
    range.as_ref().map(|r| {
        if r.start < SEGMENT {
            let through = r.end.max(r.start + 1).saturating_sub(1) / SEGMENT;
            0..sealed_through(through)
        } else {
            0..HEADER as u64
        }
    })
}

/// Where segment `index` ends in the stored blob (saturating: ranges may end at `u64::MAX`).
fn sealed_through(index: u64) -> u64 {
    (HEADER as u64).saturating_add(index.saturating_add(1).saturating_mul(format::SEALED))
}

#[async_trait]
impl BlobStore for EncryptedBlobs {
    fn backend(&self) -> &'static str {
        match self.inner.backend() {
            "local" => "local-encrypted",
            "memory" => "memory-encrypted",
            _ => "encrypted",
        }
    }

    async fn put(&self, key: &BlobKey, data: Bytes) -> Result<BlobMeta, StorageError> {
        let size = data.len() as u64;
        let sealed = if data.len() <= INLINE_SEAL_MAX {
            seal_all(&self.master, &data)?
        } else {
            let master = Arc::clone(&self.master);
            tokio::task::spawn_blocking(move || seal_all(&master, &data))
                .await
                .map_err(|e| StorageError::other_from("encrypting a blob", e))??
        };
        self.inner.put(key, Bytes::from(sealed)).await?;
        Ok(BlobMeta {
            key: key.as_str().to_owned(),
            size,
        })
    }

    async fn put_stream(&self, key: &BlobKey, data: ByteStream) -> Result<BlobMeta, StorageError> {
        let meta = self
            .inner
            .put_stream(key, seal_stream(&self.master, data)?)
            .await?;
        let size = plain_len(meta.size)
            .ok_or_else(|| corrupt(key.as_str(), "the store wrote a size no blob has"))?;
        Ok(BlobMeta { size, ..meta })
    }

    async fn get_stream(
        &self,
        key: &BlobKey,
        range: Option<Range<u64>>,
    ) -> Result<(BlobMeta, ByteStream), StorageError> {
        let first = first_read(&range);
        let (stored, mut stream) = match self.inner.get_stream(key, first).await {
            // Empty: no encrypted blob is (it has a header and a tag at least).
            Err(StorageError::InvalidRange { size: 0 }) => {
                return self.plaintext_blob(key, range).await
            }
            other => other?,
        };
        let start = read_start(&mut stream, HEADER).await?;
        if !looks_encrypted(&start) {
            drop(stream);
            return self.plaintext_blob(key, range).await;
        }
        let cipher = BlobCipher::open(&self.master, &start, key.as_str())?;
        let size = plain_len(stored.size)
            .ok_or_else(|| corrupt(key.as_str(), "its size fits no encrypted blob"))?;
        let meta = BlobMeta {
            key: key.as_str().to_owned(),
            size,
        };
        let last = segments(size) - 1;
        let (want, first_segment, through) = match range {
            None => (0..size, 0, last),
            Some(r) if r.start >= size => return Err(StorageError::InvalidRange { size }),
            Some(r) if r.end.min(size) <= r.start => {
                return Ok((meta, futures::stream::empty().boxed()))
            }
            Some(r) => {
                let end = r.end.min(size);
                (r.start..end, r.start / SEGMENT, (end - 1) / SEGMENT)
            }
        };
        let input = if first_segment == 0 {
            // The first read covered every segment wanted (the store clamps it to the blob's end).
            let rest = Bytes::from(start).slice(HEADER..);
            futures::stream::once(async move { Ok(rest) })
                .chain(stream)
                .boxed()
        } else {
            drop(stream);
            let end = sealed_through(through).min(stored.size);
            self.inner
                .get_stream(key, Some(segment_offset(first_segment)..end))
                .await?
                .1
        };
        let opening = Opening {
            cipher,
            key: key.as_str().to_owned(),
            first: first_segment,
            through,
            last,
            sealed: stored.size,
            want,
        };
        Ok((meta, opening.open(input)))
    }

    async fn head(&self, key: &BlobKey) -> Result<BlobMeta, StorageError> {
        let (stored, mut stream) = match self.inner.get_stream(key, Some(0..HEADER as u64)).await {
            Err(StorageError::InvalidRange { size: 0 }) => {
                self.allow_plaintext(key)?;
                return Ok(BlobMeta {
                    key: key.as_str().to_owned(),
                    size: 0,
                });
            }
            other => other?,
        };
        let start = read_start(&mut stream, HEADER).await?;
        if !looks_encrypted(&start) {
            self.allow_plaintext(key)?;
            return Ok(stored);
        }
        BlobCipher::open(&self.master, &start, key.as_str())?;
        let size = plain_len(stored.size)
            .ok_or_else(|| corrupt(key.as_str(), "its size fits no encrypted blob"))?;
        Ok(BlobMeta { size, ..stored })
    }

    async fn delete(&self, key: &BlobKey) -> Result<(), StorageError> {
        self.inner.delete(key).await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<BlobMeta>, StorageError> {
        let listed = self.inner.list(prefix).await?;
        // Sizes are the plaintext's, which only each blob's first bytes tell (encrypted or not).
        futures::stream::iter(listed.into_iter().filter(|blob| !Self::staged(&blob.key)))
            .map(|blob| async move {
                match self.head(&BlobKey::parse(&blob.key)?).await {
                    Ok(meta) => Ok(Some(meta)),
                    // Deleted since it was listed.
                    Err(StorageError::NotFound(_)) => Ok(None),
                    Err(e) => Err(e),
                }
            })
            .buffer_unordered(LIST_CONCURRENCY)
            .try_filter_map(|meta| async move { Ok(meta) })
            .try_collect()
            .await
    }

    async fn ping(&self) -> Result<(), StorageError> {
        self.inner.ping().await
    }
}
