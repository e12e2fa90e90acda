//! The image use cases of the API: upload, read, list, change, delete, and find the bytes to serve.

mod blobs;
mod edit;
mod retention;
mod upload;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

pub use blobs::{keys, ServedBlob};
pub(crate) use retention::window_start;
pub use upload::UploadRequest;

use super::access::{can_modify, Audience, ImageAccess};
use super::ServiceError;
use crate::clock::Clock;
use crate::domain::{Image, ImageFormat, ImageId, ImagePatch, Page, PageRequest, UserId};
use crate::imaging::Limits;
use crate::ports::{BlobStore, ImagePipeline, ImageRepository};

/// The ingest policy and serving choices.
#[derive(Debug, Clone)]
pub struct ImageSettings {
    pub limits: Limits,
    /// Whether anyone may download the (metadata-stripped) original of a public image.
    pub public_originals: bool,
    /// How long a deleted image may be restored before the purge pass removes it (`retention_days`).
    pub retention: Duration,
}

#[derive(Debug, Clone)]
pub struct ImageService {
    /// Image metadata; the composition root hands in a cached repository (`caching::CachedImageRepository`).
    images: Arc<dyn ImageRepository>,
    storage: Arc<dyn BlobStore>,
    /// Decides which uploads are accepted (`decodable_formats`).
    pipeline: Arc<dyn ImagePipeline>,
    settings: ImageSettings,
    /// Wakes the outbox relay as soon as a job is written, instead of at its next poll.
    outbox_written: Arc<Notify>,
    /// Who may see an image beyond its owner (followers, private accounts).
    audience: Audience,
    /// The time deletions are stamped with and restores measured against: the scheduled passes' clock, so
    /// that tests moving it move the retention window too.
    clock: Clock,
}

impl ImageService {
    pub fn new(
        images: Arc<dyn ImageRepository>,
        storage: Arc<dyn BlobStore>,
        pipeline: Arc<dyn ImagePipeline>,
        settings: ImageSettings,
        outbox_written: Arc<Notify>,
        audience: Audience,
    ) -> Self {
        Self {
            images,
            storage,
            pipeline,
            settings,
            outbox_written,
            audience,
            clock: Clock::system(),
        }
    }

    /// The same service on `clock` (the composition root hands in the one its scheduled passes read).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
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
        self.get_with_access(viewer, id)
            .await
            .map(|(image, _)| image)
    }

    /// An image `viewer` may see, and whether everyone may; everything else is `NotFound`.
    pub async fn get_with_access(
        &self,
        viewer: Option<UserId>,
        id: ImageId,
    ) -> Result<(Image, ImageAccess), ServiceError> {
        let image = self.images.image(id).await?.ok_or(ServiceError::NotFound)?;
        let access = self.audience.image_access(viewer, &image).await?;
        if access.visible {
            Ok((image, access))
        } else {
            Err(ServiceError::NotFound)
        }
    }

    /// Whether the image is still there (whoever may see it).
    pub async fn exists(&self, id: ImageId) -> Result<bool, ServiceError> {
        Ok(self.images.image(id).await?.is_some())
    }

    /// The images among `ids` that `viewer` may see, in the order of `ids` (a post's images).
    pub async fn visible_images(
        &self,
        viewer: Option<UserId>,
        ids: &[ImageId],
    ) -> Result<Vec<Image>, ServiceError> {
        let found = self.images.images_by_ids(ids).await?;
        let access = self.audience.image_access_many(viewer, &found).await?;
        let visible: Vec<&Image> = found
            .iter()
            .zip(access)
            .filter(|(_, access)| access.visible)
            .map(|(image, _)| image)
            .collect();
        Ok(ids
            .iter()
            .filter_map(|id| visible.iter().find(|image| image.id == *id))
            .map(|image| (*image).clone())
            .collect())
    }

    /// The owner's images, newest first; with `tag`, only those carrying it among their own tags or their
    /// automatic ones.
    pub async fn list_mine(
        &self,
        owner: UserId,
        tag: Option<&str>,
        page: PageRequest,
    ) -> Result<Page<Image>, ServiceError> {
        Ok(match tag {
            None => self.images.images_by_owner(owner, page).await?,
            Some(tag) => {
                self.images
                    .images_by_owner_with_tag(owner, tag, page)
                    .await?
            }
        })
    }

    pub async fn update(
        &self,
        viewer: UserId,
        id: ImageId,
        patch: &ImagePatch,
    ) -> Result<Image, ServiceError> {
        self.owned(viewer, id).await?;
        self.images
            .update_image(id, patch)
            .await?
            .ok_or(ServiceError::NotFound)
    }

    /// One of `viewer`'s images that is not deleted (a deleted one can only be restored).
    async fn owned(&self, viewer: UserId, id: ImageId) -> Result<Image, ServiceError> {
        match self.images.image(id).await? {
            Some(image) if can_modify(viewer, &image) => Ok(image),
            _ => Err(ServiceError::NotFound),
        }
    }
}
