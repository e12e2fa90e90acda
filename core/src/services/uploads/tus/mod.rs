//! tus 1.0 (<https://tus.io/protocols/resumable-upload>) on the resumable uploads' own machinery: a tus
//! upload is an `Upload` row with its multipart upload, created with its `Upload-Length` as `size`. A
//! PATCH's bytes become parts of exactly `part_bytes`; what is left past the last whole part waits in
//! storage as segments (`staging`) until a later PATCH fills the part. A PATCH that declares its length
//! (`Content-Length`) streams straight into its parts (`direct`); a chunked one, whose end is known only
//! when it comes, is staged as segments first and then copied into parts (`staged`). When the offset
//! reaches the length, the upload is completed by `UploadService::complete`, exactly as `completeUpload`
//! completes one: same checks, same processing job. Nothing is assembled in memory (a part is gathered
//! only where the store itself needs a whole part, as for `uploadPart`).

mod checksum;
mod direct;
mod metadata;
mod pieces;
mod staged;
pub mod staging;

use bytes::Bytes;
use futures::stream::BoxStream;

pub use checksum::{UploadChecksum, ALGORITHMS as CHECKSUM_ALGORITHMS};
pub use metadata::{TusMetadata, MAX_METADATA_BYTES};

use self::checksum::Failure;
use self::staging::Position;
use super::{NewUploadRequest, UploadService};
use crate::domain::{Image, ImageId, Upload, UploadId, UploadStatus, UserId, ValidationError};
use crate::ports::{BlobStoreExt, StorageError};
use crate::services::ServiceError;

/// What tus answers beyond the use-case errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TusError {
    /// The request's `Upload-Offset` is not where the upload stands (409).
    #[error("the upload is at offset {expected}, not {given}")]
    OffsetMismatch { expected: u64, given: u64 },
    /// Past its `Upload-Expires`, not yet removed by the expiry pass (410).
    #[error("the upload has expired")]
    Expired,
    /// The body does not match its `Upload-Checksum`; nothing was recorded (460).
    #[error("{0}")]
    ChecksumMismatch(String),
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<StorageError> for TusError {
    fn from(err: StorageError) -> Self {
        Self::Service(err.into())
    }
}

impl From<crate::ports::DbError> for TusError {
    fn from(err: crate::ports::DbError) -> Self {
        Self::Service(err.into())
    }
}

/// A tus upload as HEAD describes it.
#[derive(Debug, Clone)]
pub struct TusUpload {
    pub upload: Upload,
    /// `Upload-Length`.
    pub length: u64,
    /// `Upload-Offset`: how many bytes are safely stored.
    pub offset: u64,
    /// The `Upload-Metadata` sent at creation (asked for on HEAD only; `None` once completed).
    pub metadata: Option<String>,
    /// The image it became, once completed.
    pub image: Option<ImageId>,
}

/// A PATCH (or the body of a creation-with-upload).
pub struct TusAppend {
    pub owner: UserId,
    pub upload: UploadId,
    /// `Upload-Offset`.
    pub offset: u64,
    /// `Content-Length`; without one (a chunked body), the body ends where it ends.
    pub length: Option<u64>,
    pub checksum: Option<UploadChecksum>,
    /// Passed to the completion when this PATCH finishes the upload.
    pub idempotency_key: Option<String>,
    pub body: BoxStream<'static, Result<Bytes, String>>,
}

impl std::fmt::Debug for TusAppend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TusAppend")
            .field("upload", &self.upload)
            .field("offset", &self.offset)
            .field("length", &self.length)
            .finish_non_exhaustive()
    }
}

/// What a PATCH achieved.
#[derive(Debug, Clone)]
pub enum Appended {
    /// Stored up to `offset`; more is expected.
    Partial { offset: u64 },
    /// The last byte arrived: the upload became `image` (status `processing`).
    Completed { offset: u64, image: Box<Image> },
}

impl UploadService {
    /// tus creation: an upload of `length` bytes, with its metadata kept beside it.
    pub async fn tus_create(
        &self,
        owner: UserId,
        length: u64,
        metadata: TusMetadata,
    ) -> Result<Upload, ServiceError> {
        let upload = self
            .create(NewUploadRequest {
                owner,
                size: Some(length),
                content_type: metadata.content_type.clone(),
                visibility: metadata.visibility,
            })
            .await?;
        let stored = self
            .blobs
            .put(
                &staging::metadata_key(upload.id)?,
                Bytes::from(metadata.raw),
            )
            .await;
        if let Err(err) = stored {
            if let Err(error) = self.abort(owner, upload.id).await {
                tracing::warn!(upload = %upload.id, %error, "could not remove a tus upload half-created");
            }
            return Err(err.into());
        }
        Ok(upload)
    }

    /// tus HEAD: where the caller's upload stands.
    pub async fn tus_head(&self, owner: UserId, id: UploadId) -> Result<TusUpload, TusError> {
        let (upload, position) = self.tus_position(owner, id).await?;
        let length = upload.size.unwrap_or_default();
        let Some(position) = position else {
            return Ok(completed(upload, length));
        };
        let metadata = self.blobs.get(&staging::metadata_key(id)?, None).await?;
        Ok(TusUpload {
            length,
            offset: position.offset,
            metadata: Some(String::from_utf8_lossy(&metadata).into_owned()),
            image: None,
            upload,
        })
    }

    /// tus termination: the upload, its parts and its segments are removed.
    pub async fn tus_terminate(&self, owner: UserId, id: UploadId) -> Result<(), TusError> {
        self.tus_position(owner, id).await?;
        Ok(self.abort(owner, id).await?)
    }

    /// tus PATCH: streams the body into whole parts and, for what does not fill one, a segment; records
    /// the parts once the whole body has arrived and passed its checksum; completes the upload when its
    /// last byte is in.
    pub async fn tus_append(&self, request: TusAppend) -> Result<Appended, TusError> {
        let (upload, position) = self.tus_position(request.owner, request.upload).await?;
        let length = upload.size.unwrap_or_default();
        let Some(position) = position else {
            // Completed already: a client that missed the answer to its last PATCH hears it again.
            if request.offset == length && request.length.unwrap_or(0) == 0 {
                let image = self
                    .images
                    .get(Some(request.owner), upload.image_id)
                    .await?;
                return Ok(Appended::Completed {
                    offset: length,
                    image: Box::new(image),
                });
            }
            return Err(ServiceError::UploadNotOpen(upload.status.to_string()).into());
        };
        if request.offset != position.offset {
            return Err(TusError::OffsetMismatch {
                expected: position.offset,
                given: request.offset,
            });
        }
        // Segments that make a whole part (left by a chunked PATCH cut short) become one first.
        let position = self.flush(&upload, position).await?;
        let remaining = length - position.offset;
        let declared = request.length.unwrap_or(0);
        if declared > remaining {
            return Err(ServiceError::Validation(ValidationError::new(
                "Content-Length",
                format!("the upload has {remaining} bytes left to receive, not {declared}"),
            ))
            .into());
        }
        let end = position.offset + declared;
        let end = match request.length {
            Some(_) if declared == 0 => end,
            Some(_) => {
                self.store_direct(&upload, &position, end, request.checksum, request.body)
                    .await?;
                end
            }
            None => {
                self.store_staged(&upload, &position, request.checksum, request.body)
                    .await?
            }
        };
        if end < length {
            return Ok(Appended::Partial { offset: end });
        }
        let completed = self
            .complete(request.owner, upload.id, request.idempotency_key)
            .await;
        if !matches!(
            completed,
            Err(ServiceError::Storage(_) | ServiceError::Database(_))
        ) {
            // Completed, or refused (and then the upload is gone): the staging goes either way.
            if let Err(error) = self.remove_staging(upload.id).await {
                tracing::warn!(upload = %upload.id, %error, "could not remove a tus upload's segments");
            }
        }
        Ok(Appended::Completed {
            offset: end,
            image: Box::new(completed?),
        })
    }

    /// The caller's tus upload and where it stands (`None` once completed). Another account's upload, an
    /// S3-style one and an unknown id are all 404; one past its time is 410.
    async fn tus_position(
        &self,
        owner: UserId,
        id: UploadId,
    ) -> Result<(Upload, Option<Position>), TusError> {
        let upload = self.owned(owner, id).await?;
        let Some(length) = upload.size else {
            return Err(ServiceError::NotFound.into());
        };
        match upload.status {
            UploadStatus::Completed => return Ok((upload, None)),
            UploadStatus::Completing => {
                return Err(ServiceError::UploadNotOpen(upload.status.to_string()).into())
            }
            UploadStatus::Open => {}
        }
        if upload.expires_at <= self.clock.now() {
            return Err(TusError::Expired);
        }
        let listed = self.blobs.list(&staging::prefix(id)).await?;
        if !staging::is_tus(id, &listed) {
            return Err(ServiceError::NotFound.into());
        }
        let parts = self.uploads.upload_parts(id).await?;
        let position = staging::position(id, &parts, &listed, length);
        Ok((upload, Some(position)))
    }
}

fn completed(upload: Upload, length: u64) -> TusUpload {
    TusUpload {
        length,
        offset: length,
        metadata: None,
        image: Some(upload.image_id),
        upload,
    }
}

/// Why a write failed: what the body said (a broken connection, a checksum), before what the store said.
pub(super) fn why(failure: &Failure, err: Option<ServiceError>) -> TusError {
    if let Some(reason) = failure.lock().ok().and_then(|mut slot| slot.take()) {
        return reason;
    }
    match err {
        Some(err) => err.into(),
        None => ServiceError::Internal("a write failed without a reason".into()).into(),
    }
}
