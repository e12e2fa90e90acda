//! Resumable uploads (`createUpload`, `uploadPart`, `getUpload`, `completeUpload`, `abortUpload`): parts go
//! straight into the storage's multipart upload for the image's original key; completing assembles them
//! there and hands the blob to `ImageService::adopt_original`, which checks it exactly as a sync upload and
//! queues its processing. Only the owner sees an upload; to anyone else it does not exist. tus uploads
//! (`tus`) run on the same calls.

mod checked_part;
mod expiry;
pub mod tus;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::stream::BoxStream;

pub use checked_part::{CheckedPart, PartChecksums};

use super::images::{keys, ImageService};
use super::ServiceError;
use crate::clock::Clock;
use crate::domain::{
    Image, ImageId, Upload, UploadId, UploadPart, UploadStatus, UserId, ValidationError, Visibility,
};
use crate::ports::multipart::MIN_PART_BYTES;
use crate::ports::{
    BlobKey, BlobStore, BlobStoreExt, MultipartStore, PartReceipt, StorageError, UploadRepository,
};

/// How resumable uploads are sized and how long they live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadSettings {
    /// The size of every part but the last (which may be smaller): `upload_part_max_bytes`.
    pub part_bytes: u64,
    /// How long an upload may stay unfinished before the expiry pass removes it: `upload_expiry_secs`.
    pub expiry: Duration,
}

impl UploadSettings {
    /// Parts below S3's minimum could never complete on S3.
    pub fn check(&self) -> Result<(), String> {
        if self.part_bytes < MIN_PART_BYTES {
            return Err(format!(
                "upload_part_max_bytes must be at least {MIN_PART_BYTES} (S3's smallest part)"
            ));
        }
        Ok(())
    }
}

/// What `createUpload` asks for.
#[derive(Debug, Clone)]
pub struct NewUploadRequest {
    pub owner: UserId,
    pub size: Option<u64>,
    pub content_type: Option<String>,
    pub visibility: Visibility,
}

/// One part as the API received it.
pub struct PartRequest {
    pub owner: UserId,
    pub upload: UploadId,
    pub number: u32,
    pub checksums: PartChecksums,
    pub body: BoxStream<'static, Result<Bytes, String>>,
}

impl std::fmt::Debug for PartRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PartRequest")
            .field("upload", &self.upload)
            .field("number", &self.number)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone)]
pub struct UploadService {
    uploads: Arc<dyn UploadRepository>,
    multipart: Arc<dyn MultipartStore>,
    /// What tus uploads keep beside their parts (`tus::staging`).
    blobs: Arc<dyn BlobStore>,
    images: ImageService,
    settings: UploadSettings,
    clock: Clock,
}

impl UploadService {
    pub fn new(
        uploads: Arc<dyn UploadRepository>,
        multipart: Arc<dyn MultipartStore>,
        blobs: Arc<dyn BlobStore>,
        images: ImageService,
        settings: UploadSettings,
        clock: Clock,
    ) -> Self {
        Self {
            uploads,
            multipart,
            blobs,
            images,
            settings,
            clock,
        }
    }

    pub fn settings(&self) -> &UploadSettings {
        &self.settings
    }

    /// The most parts an upload may have: enough for the ingest limit, never more.
    pub fn max_parts(&self) -> u32 {
        let max_bytes = self.images.settings().limits.max_bytes;
        let parts = max_bytes.div_ceil(self.settings.part_bytes).max(1);
        u32::try_from(parts)
            .unwrap_or(u32::MAX)
            .min(crate::ports::multipart::MAX_PART_NUMBER)
    }

    pub async fn create(&self, request: NewUploadRequest) -> Result<Upload, ServiceError> {
        let limit = self.images.settings().limits.max_bytes;
        match request.size {
            Some(0) => return Err(ValidationError::new("size", "must be at least 1").into()),
            Some(size) if size > limit => return Err(ServiceError::PayloadTooLarge { limit }),
            _ => {}
        }
        if let Some(content_type) = &request.content_type {
            if !content_type.starts_with("image/") || content_type.len() > 100 {
                return Err(ServiceError::UnsupportedMediaType(format!(
                    "content_type must be an image/* type, not {content_type:?}"
                )));
            }
        }
        let image_id = ImageId::new();
        let key = BlobKey::parse(&keys::original(image_id))?;
        let storage_upload_id = self.multipart.create_multipart(&key).await?;
        let now = self.clock.now();
        let upload = Upload {
            id: UploadId::new(),
            owner_id: request.owner,
            image_id,
            storage_upload_id,
            key: key.as_str().to_owned(),
            size: request.size,
            content_type: request.content_type,
            visibility: request.visibility,
            status: UploadStatus::Open,
            expires_at: now + chrono::Duration::from_std(self.settings.expiry).unwrap_or_default(),
            created_at: now,
        };
        if let Err(err) = self.uploads.create_upload(&upload).await {
            self.abort_storage(&upload).await;
            return Err(err.into());
        }
        Ok(upload)
    }

    /// The caller's upload and the parts it has so far.
    pub async fn get(
        &self,
        owner: UserId,
        id: UploadId,
    ) -> Result<(Upload, Vec<UploadPart>), ServiceError> {
        let upload = self.owned(owner, id).await?;
        let parts = self.uploads.upload_parts(id).await?;
        Ok((upload, parts))
    }

    /// Streams one part into storage; a part sent again replaces the earlier one. A checksum mismatch or
    /// a part too large records nothing (an earlier upload of the same number stands).
    pub async fn put_part(&self, request: PartRequest) -> Result<UploadPart, ServiceError> {
        let upload = self.owned(request.owner, request.upload).await?;
        if upload.status != UploadStatus::Open {
            return Err(ServiceError::UploadNotOpen(upload.status.to_string()));
        }
        let max_parts = self.max_parts();
        if request.number == 0 || request.number > max_parts {
            return Err(ValidationError::new(
                "number",
                format!("must be between 1 and {max_parts}"),
            )
            .into());
        }
        let key = BlobKey::parse(&upload.key)?;
        let (stream, verdict) =
            checked_part::watch(request.body, self.settings.part_bytes, request.checksums);
        let stored = self
            .multipart
            .put_part(&key, &upload.storage_upload_id, request.number, stream)
            .await;
        let checked = verdict.lock().ok().and_then(|mut slot| slot.take());
        let (receipt, checked) = match (stored, checked) {
            (_, Some(Err(refused))) => return Err(refused),
            (Err(err), _) => return Err(err.into()),
            (Ok(receipt), Some(Ok(checked))) => (receipt, checked),
            (Ok(_), None) => return Err(ServiceError::Internal("part verdict lost".into())),
        };
        let part = UploadPart {
            number: request.number,
            size: checked.size,
            etag: checked.md5,
            checksum: checked.sha256,
            storage_tag: receipt.tag,
        };
        if !self.uploads.put_upload_part(upload.id, &part).await? {
            // Completed or aborted while the part was on its way: the store's part goes with the upload.
            return Err(ServiceError::UploadNotOpen("no longer open".into()));
        }
        Ok(part)
    }

    /// Assembles the parts into the image's original, checks it as a sync upload is checked, and records
    /// the image with its processing job. Completing a completed upload answers its image again.
    pub async fn complete(
        &self,
        owner: UserId,
        id: UploadId,
        idempotency_key: Option<String>,
    ) -> Result<Image, ServiceError> {
        let upload = self.owned(owner, id).await?;
        match upload.status {
            UploadStatus::Completed => return self.images.get(Some(owner), upload.image_id).await,
            UploadStatus::Completing => {
                return Err(ServiceError::UploadNotOpen("being completed".into()))
            }
            UploadStatus::Open => {}
        }
        let parts = self.uploads.upload_parts(id).await?;
        self.check_whole(&upload, &parts)?;
        if !self
            .uploads
            .set_upload_status(id, UploadStatus::Open, UploadStatus::Completing)
            .await?
        {
            return Err(ServiceError::UploadNotOpen("being completed".into()));
        }
        // The parts as they are now: none can change once the upload is `completing`.
        let parts = self.uploads.upload_parts(id).await?;
        let receipts: Vec<PartReceipt> = parts
            .iter()
            .map(|part| PartReceipt {
                number: part.number,
                size: part.size,
                tag: part.storage_tag.clone(),
            })
            .collect();
        let key = BlobKey::parse(&upload.key)?;
        if let Err(err) = self
            .multipart
            .complete_multipart(&key, &upload.storage_upload_id, &receipts)
            .await
        {
            if let StorageError::NotFound(_) = err {
                // The storage's upload is gone (aborted by the janitor or a bucket rule): it can never
                // complete, so neither its row nor an image is kept; the client starts over.
                tracing::warn!(upload = %id, error = %err, "completing an upload whose parts are gone");
                self.remove_staging(id).await?;
                self.uploads.delete_upload(id).await?;
                return Err(ServiceError::UploadPartsGone);
            }
            // Nothing was assembled: let the client try again (or abort).
            let _ = self
                .uploads
                .set_upload_status(id, UploadStatus::Completing, UploadStatus::Open)
                .await;
            return Err(err.into());
        }
        let adopted = self
            .images
            .adopt_original(upload.image_id, owner, upload.visibility, idempotency_key)
            .await;
        match adopted {
            Ok(image) => {
                self.uploads
                    .set_upload_status(id, UploadStatus::Completing, UploadStatus::Completed)
                    .await?;
                Ok(image)
            }
            Err(refused) => {
                // The blob is gone (adopt_original deletes what it refuses); so goes the upload.
                self.uploads.delete_upload(id).await?;
                Err(refused)
            }
        }
    }

    /// Abandons the upload: its parts leave storage, its rows the database.
    pub async fn abort(&self, owner: UserId, id: UploadId) -> Result<(), ServiceError> {
        let upload = self.owned(owner, id).await?;
        if upload.status != UploadStatus::Open {
            return Err(ServiceError::UploadNotOpen(upload.status.to_string()));
        }
        self.multipart
            .abort_multipart(&BlobKey::parse(&upload.key)?, &upload.storage_upload_id)
            .await?;
        self.remove_staging(id).await?;
        self.uploads.delete_upload(id).await?;
        Ok(())
    }

    /// Removes what a tus upload kept beside its parts (nothing for the others).
    async fn remove_staging(&self, id: UploadId) -> Result<(), ServiceError> {
        self.blobs.delete_prefix(&tus::staging::prefix(id)).await?;
        Ok(())
    }

    /// Parts `1..=n`, every one but the last exactly `part_bytes`, the total as declared.
    fn check_whole(&self, upload: &Upload, parts: &[UploadPart]) -> Result<(), ServiceError> {
        let incomplete = |why: String| Err(ServiceError::UploadIncomplete(why));
        if parts.is_empty() {
            return incomplete("no part has been uploaded".into());
        }
        for (index, part) in parts.iter().enumerate() {
            let expected = index as u32 + 1;
            if part.number != expected {
                return incomplete(format!("part {expected} is missing"));
            }
            let last = index + 1 == parts.len();
            if !last && part.size != self.settings.part_bytes {
                return incomplete(format!(
                    "part {} has {} bytes; every part but the last must have part_size ({})",
                    part.number, part.size, self.settings.part_bytes
                ));
            }
        }
        let total: u64 = parts.iter().map(|part| part.size).sum();
        let limit = self.images.settings().limits.max_bytes;
        if total > limit {
            return Err(ServiceError::PayloadTooLarge { limit });
        }
        match upload.size {
            Some(size) if size != total => incomplete(format!(
                "the parts hold {total} bytes, not the {size} declared"
            )),
            _ => Ok(()),
        }
    }

    async fn owned(&self, owner: UserId, id: UploadId) -> Result<Upload, ServiceError> {
        match self.uploads.upload(id).await? {
            Some(upload) if upload.owner_id == owner => Ok(upload),
            _ => Err(ServiceError::NotFound),
        }
    }

    async fn abort_storage(&self, upload: &Upload) {
        let aborted = match BlobKey::parse(&upload.key) {
            Ok(key) => self
                .multipart
                .abort_multipart(&key, &upload.storage_upload_id)
                .await
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        if let Err(error) = aborted {
            tracing::warn!(upload = %upload.id, %error, "could not abort a multipart upload");
        }
    }
}
