//! `StorageSweep` of `EncryptedBlobs`: the store beneath's own leftovers (its staging files), plus this
//! wrapper's multipart uploads, which are blobs beneath under `multipart::STAGING` (see `multipart`): an
//! upload is the blobs under `STAGING/{id}/`, dated by the newest of them, so an upload still receiving
//! parts never looks old. Dated listings are the store beneath's times with this wrapper's (plaintext)
//! sizes.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use darkroom_core::ports::{
    BlobKey, BlobStore, DatedBlob, Leftover, LeftoverKind, MultipartStore, StorageError,
    StorageSweep,
};

use super::multipart::STAGING;
use super::EncryptedBlobs;

impl EncryptedBlobs {
    fn beneath(&self) -> Result<&Arc<dyn StorageSweep>, StorageError> {
        self.sweep
            .as_ref()
            .ok_or_else(|| StorageError::other("the store beneath the encryption cannot sweep"))
    }
}

#[async_trait]
impl StorageSweep for EncryptedBlobs {
    async fn list_dated(&self, prefix: &str) -> Result<Vec<DatedBlob>, StorageError> {
        let dates: HashMap<String, DateTime<Utc>> = self
            .beneath()?
            .list_dated(prefix)
            .await?
            .into_iter()
            .map(|blob| (blob.key, blob.modified))
            .collect();
        Ok(self
            .list(prefix)
            .await?
            .into_iter()
            .filter_map(|blob| {
                let modified = *dates.get(&blob.key)?;
                Some(DatedBlob {
                    key: blob.key,
                    size: blob.size,
                    modified,
                })
            })
            .collect())
    }

    async fn leftovers(&self) -> Result<Vec<Leftover>, StorageError> {
        let beneath = self.beneath()?;
        let mut found = beneath.leftovers().await?;
        let mut uploads: BTreeMap<String, DateTime<Utc>> = BTreeMap::new();
        for blob in beneath.list_dated(&format!("{STAGING}/")).await? {
            let Some(id) = blob.key[STAGING.len() + 1..].split('/').next() else {
                continue;
            };
            let newest = uploads.entry(id.to_owned()).or_insert(blob.modified);
            *newest = (*newest).max(blob.modified);
        }
        found.extend(uploads.into_iter().map(|(id, started)| Leftover {
            kind: LeftoverKind::Multipart,
            key: format!("{STAGING}/{id}"),
            upload_id: Some(id),
            started,
        }));
        Ok(found)
    }

    async fn remove_leftover(&self, leftover: &Leftover) -> Result<(), StorageError> {
        let ours = leftover
            .key
            .strip_prefix(STAGING)
            .is_some_and(|rest| rest.starts_with('/'));
        match (&leftover.upload_id, leftover.kind) {
            (Some(id), LeftoverKind::Multipart) if ours => {
                // The key is not the upload's target; this wrapper's abort needs only the id.
                self.abort_multipart(&BlobKey::parse(&leftover.key)?, id)
                    .await?;
                // An id that is not one of ours leaves its blobs to a plain delete.
                for blob in self.inner.list(&format!("{}/", leftover.key)).await? {
                    self.inner.delete(&BlobKey::parse(&blob.key)?).await?;
                }
                Ok(())
            }
            _ => self.beneath()?.remove_leftover(leftover).await,
        }
    }
}
