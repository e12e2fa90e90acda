//! The edit job: renders an edit's result from its source's original (one decode, the operations as one
//! plan, one encode), stores it as the result's original, then processes it like any upload. Idempotent:
//! the result's id and keys were fixed when the edit was accepted, the render is deterministic, and once
//! its original is recorded a redelivery only finishes the processing.

use bytes::Bytes;
use sha2::{Digest, Sha256};

use super::Processor;
use crate::domain::{Failure, Image, ImageId, ImageStatus};
use crate::imaging::{edit_output, edit_plan, watermark_images};
use crate::ports::{BlobKey, BlobStoreExt};
use crate::services::ServiceError;

impl Processor {
    pub(super) async fn edit(&self, id: ImageId) -> Result<(), ServiceError> {
        let Some(image) = self.db.image(id).await? else {
            return self.purge(id).await;
        };
        if image.status != ImageStatus::Processing || !image.sha256.is_empty() {
            // Rendered already (the original is recorded), or settled: the rest is the upload job's.
            return self.process(id).await;
        }
        let (Some(source_id), Some(operations)) = (image.source_image_id, &image.operations) else {
            return self
                .fail(id, &edit_failure("the image records no edit to make"))
                .await;
        };
        let Some(source) = self.db.image(source_id).await? else {
            return self
                .fail(id, &edit_failure("the image edited was deleted first"))
                .await;
        };
        let mut overlays = Vec::new();
        for mark in watermark_images(operations) {
            match self.db.image(mark).await? {
                Some(mark) => overlays.push(self.original_of(&mark).await?),
                None => {
                    return self
                        .fail(id, &edit_failure("a watermark image was deleted first"))
                        .await
                }
            }
        }
        let original = self.original_of(&source).await?;
        let (_, output) = edit_output(source.format);
        let plan = edit_plan(operations, output, overlays);
        let (limits, pipeline) = (self.limits, self.pipeline.clone());
        let rendered =
            tokio::task::spawn_blocking(move || pipeline.render(&original, &plan, &limits))
                .await
                .map_err(|e| ServiceError::Internal(format!("edit task failed: {e}")))?;
        let rendered = match rendered {
            Ok(rendered) => rendered,
            Err(err) => {
                tracing::info!(image = %id, code = err.code(), error = %err, "edit refused");
                let failure = Failure {
                    code: err.code().into(),
                    message: err.public_message(),
                };
                return self.fail(id, &failure).await;
            }
        };
        let sha256 = hex::encode(Sha256::digest(&rendered.bytes));
        let size = rendered.bytes.len() as u64;
        self.storage
            .put(
                &BlobKey::parse(&image.original_key)?,
                Bytes::from(rendered.bytes),
            )
            .await?;
        if !self.db.record_original(id, size, &sha256).await? {
            // Deleted or settled while we rendered: `process` sees to either.
            tracing::debug!(image = %id, "edit's image moved on while it rendered");
        }
        tracing::info!(image = %id, source = %source_id, width = rendered.width, height = rendered.height, "edit rendered");
        self.process(id).await
    }

    async fn original_of(&self, image: &Image) -> Result<Bytes, ServiceError> {
        Ok(self
            .storage
            .get(&BlobKey::parse(&image.original_key)?, None)
            .await?)
    }
}

fn edit_failure(message: &str) -> Failure {
    Failure {
        code: "edit_failed".into(),
        message: message.into(),
    }
}
