//! `StorageSweep` for `ObjectStoreBlobs`: dated listings from `object_store` (every backend keeps a
//! last-modified time), leftovers by backend: the local root walked (`local_sweep`), the in-memory store's
//! multipart uploads, S3's ListMultipartUploads (`s3::uploads`).

use async_trait::async_trait;
use darkroom_core::ports::{
    BlobKey, DatedBlob, Leftover, LeftoverKind, MultipartStore, StorageError, StorageSweep,
};

use super::{local_sweep, ObjectStoreBlobs};

#[async_trait]
impl StorageSweep for ObjectStoreBlobs {
    async fn list_dated(&self, prefix: &str) -> Result<Vec<DatedBlob>, StorageError> {
        Ok(self
            .listed(prefix)
            .await?
            .into_iter()
            .map(|meta| DatedBlob {
                key: meta.location.as_ref().to_owned(),
                size: meta.size,
                modified: meta.last_modified,
            })
            .collect())
    }

    async fn leftovers(&self) -> Result<Vec<Leftover>, StorageError> {
        if let Some(root) = self.local_root.as_deref() {
            return local_sweep::leftovers(root).await;
        }
        if let Some(memory) = &self.memory_parts {
            return memory.leftovers();
        }
        #[cfg(feature = "s3")]
        if let Some(uploads) = &self.s3_uploads {
            return uploads.list().await;
        }
        Ok(Vec::new())
    }

    async fn remove_leftover(&self, leftover: &Leftover) -> Result<(), StorageError> {
        if let Some(root) = self.local_root.as_deref() {
            return local_sweep::remove(root, leftover).await;
        }
        match (leftover.kind, &leftover.upload_id) {
            (LeftoverKind::Multipart, Some(id)) => {
                self.abort_multipart(&BlobKey::parse(&leftover.key)?, id)
                    .await
            }
            _ => Err(StorageError::other(format!(
                "the {} store has no leftover {:?}",
                self.backend, leftover.key
            ))),
        }
    }
}
