//! The image use cases of the API: upload, read, list, change, delete, and find the bytes to serve.

mod blobs;
mod upload;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::Notify;

pub use blobs::{keys, ServedBlob};
pub use upload::UploadRequest;

use super::access::{can_modify, can_view};
use super::ServiceError;
use crate::domain::{
    Image, ImageFormat, ImageId, ImagePatch, Job, OutboxMessage, Page, PageRequest, UserId,
};
use crate::imaging::Limits;
use crate::ports::{BlobStore, BlobStoreExt, Cache, Database, ImagePipeline};

/// The ingest policy and serving choices.
#[derive(Debug, Clone)]
pub struct ImageSettings {
    pub limits: Limits,
    /// Whether anyone may download the (metadata-stripped) original of a public image.
    pub public_originals: bool,
    /// How long image metadata stays in the cache.
    pub metadata_ttl: Duration,
}

#[derive(Debug, Clone)]
pub struct ImageService {
    db: Arc<dyn Database>,
    storage: Arc<dyn BlobStore>,
    cache: Arc<dyn Cache>,
    /// Decides which uploads are accepted (`decodable_formats`).
    pipeline: Arc<dyn ImagePipeline>,
    settings: ImageSettings,
    /// Wakes the outbox relay as soon as a job is written, instead of at its next poll.
    outbox_written: Arc<Notify>,
}

impl ImageService {
    pub fn new(
        db: Arc<dyn Database>,
        storage: Arc<dyn BlobStore>,
        cache: Arc<dyn Cache>,
        pipeline: Arc<dyn ImagePipeline>,
        settings: ImageSettings,
        outbox_written: Arc<Notify>,
    ) -> Self {
        Self {
            db,
            storage,
            cache,
            pipeline,
            settings,
            outbox_written,
        }
    }

    pub fn settings(&self) -> &ImageSettings {
        &self.settings
    }

    /// The formats an upload may be in: what the image pipeline decodes.
    pub fn accepted_formats(&self) -> Vec<ImageFormat> {
        self.pipeline.decodable_formats()
    }

    /// An image `viewer` may see; everything else is `NotFound`.
    pub async fn get(&self, viewer: Option<UserId>, id: ImageId) -> Result<Image, ServiceError> {
        let image = self.load(id).await?.ok_or(ServiceError::NotFound)?;
        if can_view(viewer, &image) {
            Ok(image)
        } else {
            Err(ServiceError::NotFound)
        }
    }

    pub async fn list_mine(
        &self,
        owner: UserId,
        page: PageRequest,
    ) -> Result<Page<Image>, ServiceError> {
        Ok(self.db.images_by_owner(owner, page).await?)
    }

    pub async fn update(
        &self,
        viewer: UserId,
        id: ImageId,
        patch: &ImagePatch,
    ) -> Result<Image, ServiceError> {
        self.owned(viewer, id).await?;
        let updated = self
            .db
            .update_image(id, patch)
            .await?
            .ok_or(ServiceError::NotFound)?;
        self.forget(id).await;
        Ok(updated)
    }

    /// Deletes the row and its blobs. The purge job written with the delete guarantees the blobs go even if
    /// this process dies before it removes them itself.
    pub async fn delete(&self, viewer: UserId, id: ImageId) -> Result<(), ServiceError> {
        self.owned(viewer, id).await?;
        let purge = OutboxMessage::job(&Job::PurgeImage { image_id: id });
        self.db
            .delete_image(id, &purge)
            .await?
            .ok_or(ServiceError::NotFound)?;
        self.outbox_written.notify_one();
        self.forget(id).await;
        if let Err(err) = self.storage.delete_prefix(&keys::prefix(id)).await {
            tracing::warn!(image = %id, error = %err, "blob removal deferred to the purge job");
        }
        Ok(())
    }

    async fn owned(&self, viewer: UserId, id: ImageId) -> Result<Image, ServiceError> {
        match self.load(id).await? {
            Some(image) if can_modify(viewer, &image) => Ok(image),
            _ => Err(ServiceError::NotFound),
        }
    }

    /// The image through the metadata cache. Cache trouble is a miss, never an error.
    async fn load(&self, id: ImageId) -> Result<Option<Image>, ServiceError> {
        let key = cache_key(id);
        if let Ok(Some(bytes)) = self.cache.get(&key).await {
            if let Ok(image) = serde_json::from_slice::<Image>(&bytes) {
                return Ok(Some(image));
            }
        }
        let image = self.db.image(id).await?;
        if let Some(image) = &image {
            if let Ok(json) = serde_json::to_vec(image) {
                let _ = self
                    .cache
                    .set(&key, Bytes::from(json), self.settings.metadata_ttl)
                    .await;
            }
        }
        Ok(image)
    }

    async fn forget(&self, id: ImageId) {
        forget_cached(self.cache.as_ref(), id).await;
    }
}

pub(crate) fn cache_key(id: ImageId) -> String {
    format!("image:{id}")
}

/// Drops an image's cached metadata after it changed. A failure only delays the change by one TTL.
pub(crate) async fn forget_cached(cache: &dyn Cache, id: ImageId) {
    if let Err(err) = cache.delete(&cache_key(id)).await {
        tracing::warn!(image = %id, error = %err, "cache invalidation failed");
    }
}
