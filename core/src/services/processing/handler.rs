//! What each job does; the handlers in `jobs.rs` call these, one per topic. Every path is idempotent: keys
//! are derived from the image id, and the database only moves an image out of `processing` once. The
//! formats made after `ready` are in `late_variants.rs`.

use std::sync::Arc;

use bytes::Bytes;
use sha2::{Digest, Sha256};

use super::VariantFormats;
use crate::domain::{
    Capture, Failure, Image, ImageId, ImageReady, ImageStatus, OutputFormat, ProcessedImage,
    Variant, VariantFile, VariantName,
};
use crate::imaging::{auto_tags, Limits, Processed};
use crate::ports::{
    BlobKey, BlobStore, BlobStoreExt, ImagePipeline, ImageRepository, Message, Queue,
};
use crate::services::images::keys;
use crate::services::social::Inbox;
use crate::services::ServiceError;

/// Runs jobs. It holds the queue too: the upload job publishes the jobs that add formats after `ready`
/// itself, before its own delivery is acked (see `late_variants.rs`).
#[derive(Debug, Clone)]
pub struct Processor {
    /// The image repository (cached: its writes invalidate the metadata cache).
    pub(super) db: Arc<dyn ImageRepository>,
    pub(super) storage: Arc<dyn BlobStore>,
    pub(super) queue: Arc<dyn Queue>,
    pub(super) pipeline: Arc<dyn ImagePipeline>,
    pub(super) limits: Limits,
    pub(super) formats: VariantFormats,
    /// Tells owners when processing their image failed (absent in tools that only process).
    pub(super) inbox: Option<Inbox>,
    /// Whether to publish `image.ready` (only when something consumes it: see `ImageReady`).
    pub(super) announce_ready: bool,
}

impl Processor {
    pub fn new(
        db: Arc<dyn ImageRepository>,
        storage: Arc<dyn BlobStore>,
        queue: Arc<dyn Queue>,
        pipeline: Arc<dyn ImagePipeline>,
        limits: Limits,
        formats: VariantFormats,
    ) -> Self {
        Self {
            db,
            storage,
            queue,
            pipeline,
            limits,
            formats,
            inbox: None,
            announce_ready: false,
        }
    }

    /// Publishes `image.ready` for every image that becomes ready (for the metadata export).
    pub fn announcing_ready(mut self) -> Self {
        self.announce_ready = true;
        self
    }

    /// Puts a notification in the owner's inbox when processing one of their images fails.
    pub fn with_inbox(mut self, inbox: Inbox) -> Self {
        self.inbox = Some(inbox);
        self
    }

    /// Tells the owner of a failed image (idempotent: the inbox keeps one notification per image).
    async fn tell_owner_of_failure(&self, id: ImageId) -> Result<(), ServiceError> {
        let (Some(inbox), Some(image)) = (&self.inbox, self.db.image(id).await?) else {
            return Ok(());
        };
        if image.status == ImageStatus::Failed {
            inbox.processing_failed(image.owner_id, id).await?;
        }
        Ok(())
    }

    pub(super) async fn process(&self, id: ImageId) -> Result<(), ServiceError> {
        let Some(image) = self.db.image(id).await? else {
            // Deleted before we got to it: make sure nothing of it stays behind.
            return self.purge(id).await;
        };
        match image.status {
            ImageStatus::Processing => {}
            // A redelivery after the image was completed: the crash may have come before the late
            // formats' jobs (or `image.ready`) were published, so publish whatever may be missing.
            ImageStatus::Ready => {
                self.request_late_variants(&image.variants, id).await?;
                return self.announce_ready(id).await;
            }
            // A redelivery after the image failed: the owner may not have been told yet.
            ImageStatus::Failed => return self.tell_owner_of_failure(id).await,
        }
        let original = self
            .storage
            .get(&BlobKey::parse(&image.original_key)?, None)
            .await?;
        let (limits, outputs) = (self.limits, self.formats.with_upload.clone());
        let pipeline = self.pipeline.clone();
        let decoded = tokio::task::spawn_blocking(move || {
            pipeline.process_upload(&original, &limits, &outputs)
        })
        .await
        .map_err(|e| ServiceError::Internal(format!("image task failed: {e}")))?;
        let mut processed = match decoded {
            Ok(processed) => processed,
            Err(err) => {
                tracing::info!(image = %id, code = err.code(), error = %err, "image refused");
                let failure = Failure {
                    code: err.code().into(),
                    message: err.public_message(),
                };
                return self.fail(id, &failure).await;
            }
        };
        if processed.facts.capture.is_empty() {
            // An edit's rendered original carries no EXIF: it was taken when and with what its source
            // was, and its tags say so.
            processed.facts.capture = self.source_capture(&image).await?;
        }
        let result = self.store(id, processed).await?;
        let completed = self.db.complete_processing(id, &result).await?;
        if !completed && self.db.image(id).await?.is_none() {
            // Deleted while we worked: what we just wrote belongs to nobody.
            self.purge(id).await?;
        }
        if completed {
            tracing::info!(image = %id, width = result.width, height = result.height, "image ready");
            // Before this delivery is acked: should publishing fail (or the process die), the redelivered
            // job finds the image ready and publishes again.
            self.request_late_variants(&result.variants, id).await?;
            self.announce_ready(id).await?;
        }
        Ok(())
    }

    /// Publishes `image.ready` when announcements are on (see `ImageReady` for why not the outbox).
    async fn announce_ready(&self, id: ImageId) -> Result<(), ServiceError> {
        if !self.announce_ready {
            return Ok(());
        }
        let fact = ImageReady {
            image_id: id,
            ready_at: chrono::Utc::now(),
        };
        self.queue
            .publish(&Message {
                id: fact.message_id(),
                topic: ImageReady::TOPIC.to_owned(),
                payload: fact.to_bytes(),
            })
            .await?;
        Ok(())
    }

    async fn store(
        &self,
        id: ImageId,
        processed: Processed,
    ) -> Result<ProcessedImage, ServiceError> {
        let mut variants = Vec::with_capacity(processed.variants.len());
        for rendered in processed.variants {
            let mut files = Vec::with_capacity(rendered.encodings.len());
            for (format, bytes) in rendered.encodings {
                files.push(self.store_file(id, rendered.name, format, bytes).await?);
            }
            variants.push(Variant {
                name: rendered.name,
                width: rendered.width,
                height: rendered.height,
                files,
            });
        }
        let public_original_key = keys::public_original(id, processed.format);
        let public_original_sha256 = hex::encode(Sha256::digest(&processed.public_original));
        self.storage
            .put(
                &BlobKey::parse(&public_original_key)?,
                Bytes::from(processed.public_original),
            )
            .await?;
        let auto_tags = auto_tags(processed.width, processed.height, &processed.facts);
        Ok(ProcessedImage {
            width: processed.width,
            height: processed.height,
            blurhash: processed.blurhash,
            dominant_color: processed.dominant_color,
            variants,
            public_original_key,
            public_original_sha256,
            auto_tags,
            capture: processed.facts.capture,
        })
    }

    /// The capture of the image an edit was made from (none for an upload, or when the source is gone).
    async fn source_capture(&self, image: &Image) -> Result<Capture, ServiceError> {
        let Some(source) = image.source_image_id else {
            return Ok(Capture::default());
        };
        Ok(self
            .db
            .image(source)
            .await?
            .map(|source| source.capture)
            .unwrap_or_default())
    }

    /// Stores one encoding under its variant key and describes it.
    pub(super) async fn store_file(
        &self,
        id: ImageId,
        name: VariantName,
        format: OutputFormat,
        bytes: Vec<u8>,
    ) -> Result<VariantFile, ServiceError> {
        let key = keys::variant(id, name, format);
        let sha256 = hex::encode(Sha256::digest(&bytes));
        let size = bytes.len() as u64;
        self.storage
            .put(&BlobKey::parse(&key)?, Bytes::from(bytes))
            .await?;
        Ok(VariantFile {
            format,
            key,
            bytes: size,
            sha256,
        })
    }

    pub(super) async fn fail(&self, id: ImageId, failure: &Failure) -> Result<(), ServiceError> {
        if !self.db.fail_processing(id, failure).await? {
            // Not processing any more (another delivery made it ready, or it was deleted): its variants, if
            // any, are not ours to remove.
            return Ok(());
        }
        // Variants of an earlier, interrupted attempt are of no use to a failed image. The original stays:
        // it is the owner's, and they may download it.
        self.storage
            .delete_prefix(&format!("{}variants/", keys::prefix(id)))
            .await?;
        self.tell_owner_of_failure(id).await
    }

    /// `purge`, unless the image still has its row (live, or deleted and restorable).
    pub(super) async fn purge_if_gone(&self, id: ImageId) -> Result<(), ServiceError> {
        if self.db.image(id).await?.is_some() {
            tracing::debug!(image = %id, "purge job skipped: the image still has its row");
            return Ok(());
        }
        self.purge(id).await
    }

    pub(super) async fn purge(&self, id: ImageId) -> Result<(), ServiceError> {
        let removed = self.storage.delete_prefix(&keys::prefix(id)).await?;
        tracing::debug!(image = %id, removed, "image blobs purged");
        Ok(())
    }
}
