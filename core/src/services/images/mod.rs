//! The image use cases of the API: upload, read, list, change, delete, and find the bytes to serve.

mod blobs;
mod edit;
mod retention;
mod temporary_urls;
mod upload;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

pub use blobs::{keys, ServedBlob};
pub(crate) use retention::window_start;
pub use temporary_urls::{Grant, TemporaryUrls};
pub use upload::UploadRequest;

use super::access::{can_modify, Audience, ImageAccess};
use super::archive::OriginalArchive;
use super::ServiceError;
use crate::clock::Clock;
use crate::domain::{Image, ImageFormat, ImageId, ImagePatch, Page, PageRequest, UserId};
use crate::imaging::Limits;
use crate::ports::{BlobStore, ImagePipeline, ImageRepository};

/// An image as it goes out to a viewer: with the grant its temporary URLs carry when it is not open to
/// everyone.
#[derive(Debug, Clone, PartialEq)]
pub struct ShownImage {
    pub image: Image,
    pub grant: Option<Grant>,
    /// Whether the viewer owns it, and so may see what only its owner sees (its capture).
    pub to_owner: bool,
}

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
    /// Signs and checks the grants of temporary URLs (private and followers-only images in `<img>` tags).
    temporary_urls: TemporaryUrls,
    /// The archive tier of originals, when configured (`archive_after_days` > 0).
    archive: Option<OriginalArchive>,
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
            // A key of this process alone until the composition root hands in the configured one.
            temporary_urls: TemporaryUrls::new(
                [rand::random::<[u8; 32]>().as_slice()],
                Duration::from_secs(3600),
                Clock::system(),
            ),
            archive: None,
        }
    }

    /// The same service reading originals through the archive tier `archive` (none: no tier).
    pub fn with_archive(mut self, archive: Option<OriginalArchive>) -> Self {
        self.archive = archive;
        self
    }

    /// The same service signing temporary URLs with `urls` (keys and lifetime from config).
    pub fn with_temporary_urls(mut self, urls: TemporaryUrls) -> Self {
        self.temporary_urls = urls;
        self
    }

    /// The grant a temporary URL of `image` carries: for images not open to everyone, so that whoever may
    /// see them can show them without a bearer token. `None` for public images, whose plain URLs are the
    /// same for everyone and cacheable forever.
    /// `to_owner`: shown as its owner sees it (its capture included).
    pub fn shown(&self, image: Image, access: ImageAccess, to_owner: bool) -> ShownImage {
        let grant = (!access.public).then(|| self.temporary_urls.grant(&image));
        ShownImage {
            image,
            grant,
            to_owner,
        }
    }

    /// `images`, which `viewer` may see, as they go out to them (the owner's own lists and answers).
    pub async fn shown_to(
        &self,
        viewer: UserId,
        images: Vec<Image>,
    ) -> Result<Vec<ShownImage>, ServiceError> {
        let access = self
            .audience
            .image_access_many(Some(viewer), &images)
            .await?;
        Ok(images
            .into_iter()
            .zip(access)
            .map(|(image, access)| {
                let to_owner = image.owner_id == viewer;
                self.shown(image, access, to_owner)
            })
            .collect())
    }

    /// One image `viewer` may see, as it goes out to them.
    pub async fn shown_one(
        &self,
        viewer: UserId,
        image: Image,
    ) -> Result<ShownImage, ServiceError> {
        let mut shown = self.shown_to(viewer, vec![image]).await?;
        Ok(shown.remove(0))
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

    /// An image `viewer` may see, as it goes out to them; everything else is `NotFound`.
    pub async fn show(
        &self,
        viewer: Option<UserId>,
        id: ImageId,
    ) -> Result<ShownImage, ServiceError> {
        let (image, access) = self.get_with_access(viewer, id).await?;
        let to_owner = viewer == Some(image.owner_id);
        Ok(self.shown(image, access, to_owner))
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

    /// Like `get_with_access`, but a presented temporary-URL `grant` decides instead of the viewer: a
    /// valid one opens the image to whoever holds it (never for shared caches), an expired or altered one
    /// is `NotFound` whoever asks.
    pub async fn get_with_grant(
        &self,
        viewer: Option<UserId>,
        id: ImageId,
        grant: Option<&Grant>,
    ) -> Result<(Image, ImageAccess), ServiceError> {
        let Some(grant) = grant else {
            return self.get_with_access(viewer, id).await;
        };
        let image = self.images.image(id).await?.ok_or(ServiceError::NotFound)?;
        if image.is_deleted()
            || !self
                .temporary_urls
                .allows(&image, grant.expires, &grant.signature)
        {
            return Err(ServiceError::NotFound);
        }
        Ok((
            image,
            ImageAccess {
                visible: true,
                public: false,
            },
        ))
    }

    /// Whether the image is still there (whoever may see it).
    pub async fn exists(&self, id: ImageId) -> Result<bool, ServiceError> {
        Ok(self.images.image(id).await?.is_some())
    }

    /// The images among `ids` that `viewer` may see, in the order of `ids` (a post's images). A post shows
    /// them as everyone sees them, its author included: without their capture.
    pub async fn visible_images(
        &self,
        viewer: Option<UserId>,
        ids: &[ImageId],
    ) -> Result<Vec<ShownImage>, ServiceError> {
        let found = self.images.images_by_ids(ids).await?;
        let access = self.audience.image_access_many(viewer, &found).await?;
        let visible: Vec<ShownImage> = found
            .into_iter()
            .zip(access)
            .filter(|(_, access)| access.visible)
            .map(|(image, access)| self.shown(image, access, false))
            .collect();
        Ok(ids
            .iter()
            .filter_map(|id| visible.iter().find(|shown| shown.image.id == *id))
            .cloned()
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
