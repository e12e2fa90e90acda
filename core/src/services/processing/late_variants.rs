//! Formats made after the image is `ready` (AVIF): the upload job publishes one `EncodeVariants` job per
//! such format, and that job adds the format's encodings to the variants the image already has.
//!
//! Publishing from the upload job, before its delivery is acked, is at-least-once without the outbox: a
//! crash or a failed publish leaves the upload job unacked, its redelivery finds the image ready without
//! the format, and publishes again. A duplicate costs one check: the job does nothing once the files exist.

use crate::domain::{
    ImageId, ImageStatus, Job, LateVariantFile, OutboxMessage, OutputFormat, Variant,
};
use crate::ports::{BlobKey, BlobStoreExt, Message};
use crate::services::ServiceError;

use super::Processor;

/// Whether every variant has a file in `format` (an image without variants has nothing to add to).
fn has_format(variants: &[Variant], format: OutputFormat) -> bool {
    variants.iter().all(|v| v.file(format).is_some())
}

impl Processor {
    /// Publishes an `EncodeVariants` job for each late format `variants` still lack.
    pub(super) async fn request_late_variants(
        &self,
        variants: &[Variant],
        id: ImageId,
    ) -> Result<(), ServiceError> {
        for &format in &self.formats.after_ready {
            if has_format(variants, format) {
                continue;
            }
            let job = OutboxMessage::job(&Job::EncodeVariants {
                image_id: id,
                format,
            });
            self.queue
                .publish(&Message {
                    id: job.id.to_string(),
                    topic: job.topic,
                    payload: job.payload,
                })
                .await?;
            tracing::debug!(image = %id, %format, "late variants requested");
        }
        Ok(())
    }

    /// Adds `format` to the variants of a ready image: one decode of the original (shrunk on load for the
    /// largest variant), every variant encoded, stored, then recorded.
    pub(super) async fn encode_late_variants(
        &self,
        id: ImageId,
        format: OutputFormat,
    ) -> Result<(), ServiceError> {
        let Some(image) = self.db.image(id).await? else {
            // Deleted: an earlier attempt may have stored files after the image's own purge ran.
            return self.purge(id).await;
        };
        if image.status != ImageStatus::Ready || has_format(&image.variants, format) {
            return Ok(());
        }
        let original = self
            .storage
            .get(&BlobKey::parse(&image.original_key)?, None)
            .await?;
        let (limits, pipeline) = (self.limits, self.pipeline.clone());
        let rendered = tokio::task::spawn_blocking(move || {
            pipeline.render_upload_variants(&original, &limits, &[format])
        })
        .await
        .map_err(|e| ServiceError::Internal(format!("image task failed: {e}")))?
        .map_err(|e| ServiceError::Internal(format!("{format} variants: {} ({e})", e.code())))?;

        let mut files = Vec::with_capacity(rendered.len());
        for variant in rendered {
            for (encoded_format, bytes) in variant.encodings {
                let file = self
                    .store_file(id, variant.name, encoded_format, bytes)
                    .await?;
                files.push(LateVariantFile {
                    name: variant.name,
                    file,
                });
            }
        }
        if !self.db.add_variant_files(id, &files).await? {
            if self.db.image(id).await?.is_none() {
                // Deleted while we encoded: what we just wrote belongs to nobody.
                self.purge(id).await?;
            }
            return Ok(());
        }
        tracing::info!(image = %id, %format, "late variants added");
        Ok(())
    }
}
