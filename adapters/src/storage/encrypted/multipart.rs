//! Multipart uploads of `EncryptedBlobs`, kept in the store beneath as ordinary blobs under `STAGING`
//! (which `list` hides): `STAGING/ID/open` marks an upload that exists, and each part is an encrypted blob
//! of its own, `STAGING/ID/NUMBER.TAG`. Completing reads the parts back in order, decrypting, and writes
//! them as one blob encrypted afresh: the STREAM construction numbers segments from the blob's start and
//! marks its last, which no part can know while it is sent (parts arrive in any order, of any size). The
//! bytes pass through once more at completion, a stream at a time; nothing is held whole.

use async_trait::async_trait;
use bytes::Bytes;
use darkroom_core::ports::multipart::{check_part_sequence, MAX_PART_NUMBER};
use darkroom_core::ports::{
    BlobKey, BlobMeta, BlobStore, ByteStream, MultipartStore, PartReceipt, StorageError,
};
use futures::{StreamExt, TryStreamExt};
use uuid::Uuid;

use super::EncryptedBlobs;

/// The hidden prefix of uploads in progress.
pub(super) const STAGING: &str = ".encrypted-uploads";

fn unknown(id: &str) -> StorageError {
    StorageError::NotFound(format!("multipart upload {id}"))
}

/// The marker of upload `id`; ids are 32 hex digits (ours), anything else is unknown.
fn marker(id: &str) -> Result<BlobKey, StorageError> {
    if id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
        BlobKey::parse(&format!("{STAGING}/{id}/open"))
    } else {
        Err(unknown(id))
    }
}

fn part_key(id: &str, number: u32, tag: &str) -> Result<BlobKey, StorageError> {
    BlobKey::parse(&format!("{STAGING}/{id}/{number}.{tag}"))
}

impl EncryptedBlobs {
    async fn upload_exists(&self, id: &str) -> Result<bool, StorageError> {
        match self.inner.head(&marker(id)?).await {
            Ok(_) => Ok(true),
            Err(StorageError::NotFound(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Deletes the stored blobs under `prefix` (of the store beneath, which shows staging blobs).
    async fn remove_staged(&self, prefix: &str, keep: Option<&str>) -> Result<(), StorageError> {
        for blob in self.inner.list(prefix).await? {
            if Some(blob.key.as_str()) != keep {
                self.inner.delete(&BlobKey::parse(&blob.key)?).await?;
            }
        }
        Ok(())
    }
}

#[async_trait]
impl MultipartStore for EncryptedBlobs {
    async fn create_multipart(&self, _key: &BlobKey) -> Result<String, StorageError> {
        let id = Uuid::new_v4().simple().to_string();
        self.inner.put(&marker(&id)?, Bytes::new()).await?;
        Ok(id)
    }

    async fn put_part(
        &self,
        _key: &BlobKey,
        upload_id: &str,
        number: u32,
        data: ByteStream,
    ) -> Result<PartReceipt, StorageError> {
        if number == 0 || number > MAX_PART_NUMBER {
            return Err(StorageError::other(format!(
                "part number {number} out of range"
            )));
        }
        if !self.upload_exists(upload_id).await? {
            return Err(unknown(upload_id));
        }
        let tag = Uuid::new_v4().simple().to_string();
        let part = part_key(upload_id, number, &tag)?;
        // A stream that fails stores nothing (the port's `put_stream`), so an earlier part stands.
        let meta = self.put_stream(&part, data).await?;
        // Aborted meanwhile: an abort deletes the marker before the parts, so either it saw this part and
        // deleted it, or this check sees the marker gone.
        if !self.upload_exists(upload_id).await? {
            self.inner.delete(&part).await?;
            return Err(unknown(upload_id));
        }
        self.remove_staged(
            &format!("{STAGING}/{upload_id}/{number}."),
            Some(part.as_str()),
        )
        .await?;
        Ok(PartReceipt {
            number,
            size: meta.size,
            tag,
        })
    }

    async fn complete_multipart(
        &self,
        key: &BlobKey,
        upload_id: &str,
        parts: &[PartReceipt],
    ) -> Result<BlobMeta, StorageError> {
        check_part_sequence(parts)?;
        if !self.upload_exists(upload_id).await? {
            return Err(unknown(upload_id));
        }
        let mut keys = Vec::with_capacity(parts.len());
        for part in parts {
            let stored = part_key(upload_id, part.number, &part.tag)?;
            let size = match self.head(&stored).await {
                Ok(meta) => meta.size,
                Err(StorageError::NotFound(_)) => {
                    return Err(StorageError::other(format!(
                        "part {} (tag {}) is not in the upload (replaced since?)",
                        part.number, part.tag
                    )))
                }
                Err(e) => return Err(e),
            };
            if size != part.size {
                return Err(StorageError::other(format!(
                    "part {} holds {size} bytes, not {}",
                    part.number, part.size
                )));
            }
            keys.push(stored);
        }
        // Each part opened only when the one before it has been read through.
        let this = self.clone();
        let whole = futures::stream::iter(keys)
            .then(move |part| {
                let this = this.clone();
                async move { this.get_stream(&part, None).await.map(|(_, s)| s) }
            })
            .try_flatten()
            .boxed();
        let meta = self.put_stream(key, whole).await?;
        if let Err(e) = self.abort_multipart(key, upload_id).await {
            tracing::warn!(error = %e, "could not remove a completed upload's parts");
        }
        Ok(meta)
    }

    async fn abort_multipart(&self, _key: &BlobKey, upload_id: &str) -> Result<(), StorageError> {
        let Ok(marker) = marker(upload_id) else {
            return Ok(());
        };
        self.inner.delete(&marker).await?;
        self.remove_staged(&format!("{STAGING}/{upload_id}/"), None)
            .await
    }
}
