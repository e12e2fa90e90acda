//! `uploadImage`: the body streams into storage while it is measured, hashed and identified; then one
//! transaction records the image and its processing job.

use bytes::Bytes;
use chrono::Utc;
use futures::stream::BoxStream;
use futures::StreamExt;

use super::{keys, ImageService};
use crate::domain::{Image, ImageId, Job, NewImage, OutboxMessage, UserId, Visibility};
use crate::ports::{BlobKey, CreateImageOutcome};
use crate::services::ingest::{self, Ingest, Ingested};
use crate::services::ServiceError;

/// An upload as the API received it. `body` yields chunks, or a description of why the client's stream broke.
pub struct UploadRequest {
    pub owner: UserId,
    pub visibility: Visibility,
    pub idempotency_key: Option<String>,
    pub body: BoxStream<'static, Result<Bytes, String>>,
}

impl std::fmt::Debug for UploadRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UploadRequest")
            .field("owner", &self.owner)
            .field("visibility", &self.visibility)
            .field("idempotency_key", &self.idempotency_key)
            .finish_non_exhaustive()
    }
}

const MAX_IDEMPOTENCY_KEY: usize = 255;

fn check_idempotency_key(key: Option<&str>) -> Result<(), ServiceError> {
    match key {
        Some(key) if key.is_empty() || key.chars().count() > MAX_IDEMPOTENCY_KEY => Err(
            crate::domain::ValidationError::new("Idempotency-Key", "must be 1 to 255 characters")
                .into(),
        ),
        _ => Ok(()),
    }
}

impl ImageService {
    /// Stores the upload and queues its processing. The image comes back `processing`.
    pub async fn upload(&self, request: UploadRequest) -> Result<Image, ServiceError> {
        check_idempotency_key(request.idempotency_key.as_deref())?;
        let id = ImageId::new();
        let key = BlobKey::parse(&keys::original(id))?;
        let ingested = self.store_original(&key, request.body).await?;
        self.record(
            id,
            request.owner,
            request.visibility,
            request.idempotency_key,
            &key,
            ingested,
        )
        .await
    }

    /// Takes a blob already at `image_id`'s original key (a completed resumable upload) as that image's
    /// original: read back through the same checks as a sync upload (limits, magic bytes, hash), then
    /// recorded with its processing job. A blob refused is deleted.
    pub async fn adopt_original(
        &self,
        image_id: ImageId,
        owner: UserId,
        visibility: Visibility,
        idempotency_key: Option<String>,
    ) -> Result<Image, ServiceError> {
        let key = BlobKey::parse(&keys::original(image_id))?;
        if let Err(err) = check_idempotency_key(idempotency_key.as_deref()) {
            self.discard(&key).await;
            return Err(err);
        }
        let ingested = match self.inspect_stored(&key).await {
            Ok(ingested) => ingested,
            Err(err) => {
                self.discard(&key).await;
                return Err(err);
            }
        };
        self.record(image_id, owner, visibility, idempotency_key, &key, ingested)
            .await
    }

    /// Reads the blob at `key` through `Ingest`, exactly as a sync upload's body is watched.
    async fn inspect_stored(&self, key: &BlobKey) -> Result<Ingested, ServiceError> {
        let mut ingest = Ingest::new(self.settings.limits.max_bytes, self.accepted_formats());
        let (_, mut stream) = self.storage.get_stream(key, None).await?;
        while let Some(chunk) = stream.next().await {
            ingest.observe(&chunk?)?;
        }
        ingest.finish()
    }

    /// Records the image stored at `key` and its processing job in one transaction; an idempotent replay
    /// answers the earlier image (and drops this blob).
    async fn record(
        &self,
        id: ImageId,
        owner: UserId,
        visibility: Visibility,
        idempotency_key: Option<String>,
        key: &BlobKey,
        ingested: Ingested,
    ) -> Result<Image, ServiceError> {
        let new_image = NewImage {
            id,
            owner_id: owner,
            format: ingested.format,
            bytes: ingested.bytes,
            sha256: ingested.sha256.clone(),
            visibility,
            original_key: key.as_str().to_owned(),
            idempotency_key,
            derivation: None,
            created_at: Utc::now(),
        };
        let job = OutboxMessage::job(&Job::ProcessImage { image_id: id });
        let outcome = match self.images.create_image(&new_image, &job).await {
            Ok(outcome) => outcome,
            Err(err) => {
                self.discard(key).await;
                return Err(err.into());
            }
        };
        match outcome {
            CreateImageOutcome::Created => {
                self.outbox_written.notify_one();
                tracing::info!(image = %id, bytes = ingested.bytes, format = %ingested.format, "image uploaded");
                self.images
                    .image(id)
                    .await?
                    .ok_or_else(|| ServiceError::Internal("uploaded image vanished".into()))
            }
            CreateImageOutcome::IdempotentReplay(earlier) => {
                self.discard(key).await;
                if earlier.sha256 == ingested.sha256 {
                    Ok(*earlier)
                } else {
                    Err(ServiceError::IdempotencyKeyReused)
                }
            }
        }
    }

    /// Streams the body to `key`. On any refusal the write is abandoned (storage's contract) and the reason
    /// for it is returned; a body refused only at its end is deleted again.
    async fn store_original(
        &self,
        key: &BlobKey,
        body: BoxStream<'static, Result<Bytes, String>>,
    ) -> Result<Ingested, ServiceError> {
        let accepted = self.accepted_formats();
        let (stream, state, rejection) =
            ingest::watch(body, self.settings.limits.max_bytes, accepted);
        let stored = self.storage.put_stream(key, stream).await;
        let rejected = rejection.lock().ok().and_then(|mut slot| slot.take());
        if let Some(reason) = rejected {
            self.discard(key).await;
            return Err(reason);
        }
        stored?;
        let ingest = state.lock().ok().and_then(|mut slot| slot.take());
        let verdict = ingest
            .ok_or_else(|| ServiceError::Internal("ingest state lost".into()))?
            .finish();
        if verdict.is_err() {
            self.discard(key).await;
        }
        verdict
    }

    /// Removes a blob nobody will reference. Failure leaves an orphan worth a log line, not a failed request.
    pub(crate) async fn discard(&self, key: &BlobKey) {
        if let Err(err) = self.storage.delete(key).await {
            tracing::warn!(key = key.as_str(), error = %err, "could not remove an unreferenced upload");
        }
    }
}
