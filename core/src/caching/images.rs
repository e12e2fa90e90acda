//! `CachedImageRepository`: image metadata through the cache, for every reader of `ImageRepository`.
//!
//! Reads of one image go through the cache (a miss reads the repository and fills the cache); every write
//! drops the image's entry after it ran, whether it succeeded or not (a write that timed out may still have
//! committed). Cache trouble is a miss, never an error: the cache is never the only copy of anything.
//!
//! The worker decides what to do from an image's state (`processing`, `ready`, gone), so it takes the
//! wrapper with `invalidating_only`: its reads go to the repository itself (a per-process cache in a worker
//! process is never told of the API process's writes), and its writes still drop the API's entries.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};

use super::local_copies::Stamp;
use super::{LocalCopies, SourceRead};
use crate::domain::{
    Failure, Image, ImageId, ImagePatch, LateVariantFile, NewImage, OutboxMessage, Page,
    PageRequest, ProcessedImage, UserId,
};
use crate::ports::{Cache, CreateImageOutcome, DbError, ImageRepository};

/// An `ImageRepository` that keeps single images in a `Cache` for `ttl`.
#[derive(Clone)]
pub struct CachedImageRepository {
    inner: Arc<dyn ImageRepository>,
    cache: Arc<dyn Cache>,
    ttl: Duration,
    /// Whether single-image reads are served from (and fill) the cache; writes invalidate either way.
    cached_reads: bool,
    /// Decoded copies kept in this process, when the cache is this process's too (see `LocalCopies`).
    local: Option<LocalCopies<ImageId, Image>>,
}

impl std::fmt::Debug for CachedImageRepository {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedImageRepository")
            .field("cache", &self.cache.backend())
            .field("ttl", &self.ttl)
            .field("cached_reads", &self.cached_reads)
            .finish_non_exhaustive()
    }
}

impl CachedImageRepository {
    pub fn new(inner: Arc<dyn ImageRepository>, cache: Arc<dyn Cache>, ttl: Duration) -> Self {
        Self {
            inner,
            cache,
            ttl,
            cached_reads: true,
            local: None,
        }
    }

    /// Reads from `inner` itself; writes drop the cache's entry, as with `new`.
    pub fn invalidating_only(inner: Arc<dyn ImageRepository>, cache: Arc<dyn Cache>) -> Self {
        Self {
            inner,
            cache,
            ttl: Duration::ZERO,
            cached_reads: false,
            local: None,
        }
    }

    /// Keeps decoded images in `copies` as well (none: no such copies), which every wrapper of this process
    /// that writes images must share. Only for a cache that lives in this process: another process's writes
    /// never reach `copies`.
    pub fn with_local_copies(mut self, copies: Option<LocalCopies<ImageId, Image>>) -> Self {
        self.local = copies;
        self
    }

    async fn cached(&self, id: ImageId) -> Option<Image> {
        if let Some(image) = self.local.as_ref().and_then(|local| local.get(&id)) {
            return Some(image);
        }
        let stamp = self.local.as_ref().map(LocalCopies::stamp);
        match self.cache.get(&cache_key(id)).await {
            Ok(Some(bytes)) => {
                let image: Image = serde_json::from_slice(&bytes).ok()?;
                if let (Some(local), Some(stamp)) = (&self.local, stamp) {
                    local.put(id, image.clone(), stamp);
                }
                Some(image)
            }
            Ok(None) => None,
            Err(err) => {
                tracing::debug!(image = %id, error = %err, "image cache read failed; reading the database");
                None
            }
        }
    }

    /// Taken just before reading the repository on a miss, for `remember`.
    fn before_read(&self) -> (SourceRead, Option<Stamp>) {
        (
            SourceRead::start(),
            self.local.as_ref().map(LocalCopies::stamp),
        )
    }

    /// Fills the cache with images read from the repository after `before_read`, unless a write raced.
    async fn remember(&self, (read, stamp): (SourceRead, Option<Stamp>), images: &[Image]) {
        for image in images {
            let Ok(json) = serde_json::to_vec(image) else {
                continue;
            };
            let filled = read
                .fill(
                    &*self.cache,
                    &cache_key(image.id),
                    Bytes::from(json),
                    self.ttl,
                )
                .await;
            if let (true, Some(local), Some(stamp)) = (filled, &self.local, stamp) {
                local.put(image.id, image.clone(), stamp);
            }
        }
    }

    /// Drops an image's entry after a write. A failure only delays the change by one TTL.
    async fn forget(&self, id: ImageId) {
        if let Some(local) = &self.local {
            local.forget(&id);
        }
        if let Err(err) = self.cache.delete(&cache_key(id)).await {
            tracing::warn!(image = %id, error = %err, "cache invalidation failed");
        }
    }
}

fn cache_key(id: ImageId) -> String {
    format!("image:{id}")
}

#[async_trait]
impl ImageRepository for CachedImageRepository {
    async fn create_image(
        &self,
        image: &NewImage,
        job: &OutboxMessage,
    ) -> Result<CreateImageOutcome, DbError> {
        let outcome = self.inner.create_image(image, job).await;
        self.forget(image.id).await;
        outcome
    }

    async fn image(&self, id: ImageId) -> Result<Option<Image>, DbError> {
        if !self.cached_reads {
            return self.inner.image(id).await;
        }
        if let Some(image) = self.cached(id).await {
            return Ok(Some(image));
        }
        let before = self.before_read();
        let image = self.inner.image(id).await?;
        self.remember(before, image.as_slice()).await;
        Ok(image)
    }

    async fn images_by_ids(&self, ids: &[ImageId]) -> Result<Vec<Image>, DbError> {
        if !self.cached_reads {
            return self.inner.images_by_ids(ids).await;
        }
        let mut found = Vec::with_capacity(ids.len());
        let mut missing = Vec::new();
        for &id in ids {
            match self.cached(id).await {
                Some(image) => found.push(image),
                None => missing.push(id),
            }
        }
        if !missing.is_empty() {
            let before = self.before_read();
            let read = self.inner.images_by_ids(&missing).await?;
            self.remember(before, &read).await;
            found.extend(read);
        }
        Ok(found)
    }

    async fn images_by_owner(
        &self,
        owner: UserId,
        page: PageRequest,
    ) -> Result<Page<Image>, DbError> {
        self.inner.images_by_owner(owner, page).await
    }

    async fn images_by_owner_with_tag(
        &self,
        owner: UserId,
        tag: &str,
        page: PageRequest,
    ) -> Result<Page<Image>, DbError> {
        self.inner.images_by_owner_with_tag(owner, tag, page).await
    }

    async fn update_image(
        &self,
        id: ImageId,
        patch: &ImagePatch,
    ) -> Result<Option<Image>, DbError> {
        let updated = self.inner.update_image(id, patch).await;
        self.forget(id).await;
        updated
    }

    async fn complete_processing(
        &self,
        id: ImageId,
        result: &ProcessedImage,
    ) -> Result<bool, DbError> {
        let completed = self.inner.complete_processing(id, result).await;
        self.forget(id).await;
        completed
    }

    async fn fail_processing(&self, id: ImageId, failure: &Failure) -> Result<bool, DbError> {
        let failed = self.inner.fail_processing(id, failure).await;
        self.forget(id).await;
        failed
    }

    async fn record_original(
        &self,
        id: ImageId,
        bytes: u64,
        sha256: &str,
    ) -> Result<bool, DbError> {
        let recorded = self.inner.record_original(id, bytes, sha256).await;
        self.forget(id).await;
        recorded
    }

    async fn delete_image(&self, id: ImageId, at: DateTime<Utc>) -> Result<Option<Image>, DbError> {
        let deleted = self.inner.delete_image(id, at).await;
        self.forget(id).await;
        deleted
    }

    async fn restore_image(
        &self,
        id: ImageId,
        deleted_since: DateTime<Utc>,
    ) -> Result<Option<Image>, DbError> {
        let restored = self.inner.restore_image(id, deleted_since).await;
        self.forget(id).await;
        restored
    }

    async fn deleted_images(
        &self,
        deleted_before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<ImageId>, DbError> {
        self.inner.deleted_images(deleted_before, limit).await
    }

    async fn purge_image(
        &self,
        id: ImageId,
        deleted_before: DateTime<Utc>,
    ) -> Result<bool, DbError> {
        let purged = self.inner.purge_image(id, deleted_before).await;
        self.forget(id).await;
        purged
    }

    async fn add_variant_files(
        &self,
        id: ImageId,
        files: &[LateVariantFile],
    ) -> Result<bool, DbError> {
        let added = self.inner.add_variant_files(id, files).await;
        self.forget(id).await;
        added
    }
}

#[cfg(test)]
#[path = "images_tests.rs"]
mod tests;
