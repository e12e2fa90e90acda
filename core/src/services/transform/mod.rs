//! `transformImage`: an imgproxy-style URL checked (signature, expiry, options against the policy),
//! rendered once per (image, normalised options, format) and stored under a key derived from them, then
//! served from storage (and the hot blob cache in front of it) like a variant.
//!
//! Rendering is CPU work an anonymous client can ask for, so it is bounded: at most `concurrency`
//! renders at once and `queue` more waiting, beyond which the answer is `Busy` (503). Identical requests
//! in flight coalesce on one lock per key, so one computation serves them all.

mod singleflight;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use self::singleflight::KeyedLocks;
use super::images::{keys, Grant, ImageService, ServedBlob};
use super::ServiceError;
use crate::domain::{ImageId, ImageStatus, OutputFormat, UserId};
use crate::imaging::{Limits, Overlay};
use crate::ports::{BlobKey, BlobStore, BlobStoreExt, ImagePipeline, StorageError};
use crate::transform::{parse, Signer, TransformPolicy};

/// What transformations may do and how many may run.
#[derive(Debug, Clone)]
pub struct TransformSettings {
    pub signer: Signer,
    pub policy: TransformPolicy,
    /// Renders at once (each takes one decode's memory: see `Limits::max_decode_alloc`).
    pub concurrency: usize,
    /// Renders that may wait for a slot; past them requests are refused with `Busy`.
    pub queue: usize,
    /// The image `wm` lays (imgproxy's `IMGPROXY_WATERMARK_PATH`), decoded once at start-up.
    pub watermark: Option<ConfiguredWatermark>,
}

/// A watermark image configured for transformations.
#[derive(Debug, Clone)]
pub struct ConfiguredWatermark {
    pub overlay: Overlay,
    /// A digest of the file, in the name of every result that lays it: a new watermark file renders
    /// anew rather than serving results marked with the old one.
    pub digest: String,
}

impl ConfiguredWatermark {
    /// `overlay`, decoded from the file `bytes`.
    pub fn new(overlay: Overlay, bytes: &[u8]) -> Self {
        Self {
            overlay,
            digest: hex::encode(&Sha256::digest(bytes)[..8]),
        }
    }
}

/// A transformation to serve, and whether it was rendered for this request.
#[derive(Debug, Clone)]
pub struct Transformed {
    pub blob: ServedBlob,
    /// The format was chosen from `Accept`, so caches must vary on it.
    pub negotiated: bool,
    /// Rendered by this request (a miss), rather than found stored.
    pub rendered: bool,
}

#[derive(Debug, Clone)]
pub struct TransformService {
    images: ImageService,
    storage: Arc<dyn BlobStore>,
    pipeline: Arc<dyn ImagePipeline>,
    settings: Arc<TransformSettings>,
    limits: Limits,
    locks: Arc<KeyedLocks>,
    slots: Arc<Semaphore>,
    waiting: Arc<AtomicUsize>,
}

impl TransformService {
    pub fn new(
        images: ImageService,
        storage: Arc<dyn BlobStore>,
        pipeline: Arc<dyn ImagePipeline>,
        settings: TransformSettings,
    ) -> Self {
        let limits = images.settings().limits;
        Self {
            images,
            storage,
            pipeline,
            slots: Arc::new(Semaphore::new(settings.concurrency.max(1))),
            settings: Arc::new(settings),
            limits,
            locks: Arc::default(),
            waiting: Arc::default(),
        }
    }

    /// Serves `path` (everything after the signature segment, leading `/` included) signed by
    /// `signature`, for `viewer` (or the holder of a temporary URL's `grant`), in the first of `accepted`
    /// formats when the URL names none.
    pub async fn transform(
        &self,
        viewer: Option<UserId>,
        grant: Option<&Grant>,
        signature: &str,
        path: &str,
        accepted: &[OutputFormat],
    ) -> Result<Transformed, ServiceError> {
        if !self.settings.signer.verify(signature, path) {
            return Err(ServiceError::BadSignature);
        }
        let request = parse(path, &self.settings.policy).map_err(ServiceError::InvalidTransform)?;
        if request
            .expires
            .is_some_and(|at| at < chrono::Utc::now().timestamp())
        {
            return Err(ServiceError::NotFound);
        }
        let negotiated = request.options.format.is_none();
        let format = match request.options.format {
            Some(format) => format,
            None => accepted.first().copied().unwrap_or(OutputFormat::Jpeg),
        };
        let (image, access) = self
            .images
            .get_with_grant(viewer, request.image, grant)
            .await?;
        if image.status != ImageStatus::Ready {
            return Err(ServiceError::NotReady);
        }
        let mut canonical = request.options.canonical();
        let watermark = self.settings.watermark.as_ref();
        if let (Some(_), Some(mark)) = (request.options.watermark, watermark) {
            canonical.push_str(&format!("/wmd:{}", mark.digest));
        }
        let name = hex::encode(&Sha256::digest(format!("{canonical}|{format}"))[..16]);
        let key = keys::transform(image.id, &name, format);
        let blob = ServedBlob {
            key: key.clone(),
            mime: format.mime(),
            // The key names the options and format, and what is under it is written once: a strong
            // validator.
            etag: format!("{}-{name}", image.id),
            public: access.public,
            original_of: None,
        };
        let blob_key = BlobKey::parse(&key)?;
        if self.stored(&blob_key).await? {
            return Ok(Transformed {
                blob,
                negotiated,
                rendered: false,
            });
        }
        let _one_at_a_time = self.locks.lock(&key).await;
        // Whoever held the lock before may have rendered it.
        if self.stored(&blob_key).await? {
            return Ok(Transformed {
                blob,
                negotiated,
                rendered: false,
            });
        }
        let plan = request
            .options
            .plan(format, watermark.map(|mark| &mark.overlay));
        // Rendering reads the original: bring it back from the archive tier first (or note the read).
        self.images.prepare_original(&image).await?;
        self.render(image.id, &image.original_key, &blob_key, plan)
            .await?;
        Ok(Transformed {
            blob,
            negotiated,
            rendered: true,
        })
    }

    async fn stored(&self, key: &BlobKey) -> Result<bool, ServiceError> {
        match self.storage.head(key).await {
            Ok(_) => Ok(true),
            Err(StorageError::NotFound(_)) => Ok(false),
            Err(err) => Err(err.into()),
        }
    }

    /// Renders within the concurrency budget and stores the result under `key`.
    async fn render(
        &self,
        id: ImageId,
        original_key: &str,
        key: &BlobKey,
        plan: crate::imaging::Plan,
    ) -> Result<(), ServiceError> {
        let _slot = self.slot().await?;
        let original = self
            .storage
            .get(&BlobKey::parse(original_key)?, None)
            .await?;
        let (limits, pipeline) = (self.limits, self.pipeline.clone());
        let rendered =
            tokio::task::spawn_blocking(move || pipeline.render(&original, &plan, &limits))
                .await
                .map_err(|e| ServiceError::Internal(format!("transform task failed: {e}")))?
                .map_err(|e| match e.code() {
                    "invalid_plan" | "image_dimensions_too_large" => {
                        ServiceError::InvalidTransform(e.to_string())
                    }
                    code => ServiceError::Internal(format!("transform of {id}: {code} ({e})")),
                })?;
        self.storage.put(key, rendered.bytes.into()).await?;
        metrics::counter!("darkroom_transforms_rendered_total").increment(1);
        // Deleted while we rendered: what we just wrote belongs to nobody.
        if self.images.exists(id).await? {
            Ok(())
        } else {
            self.storage.delete(key).await?;
            Err(ServiceError::NotFound)
        }
    }

    /// A render slot, waiting for one only while fewer than `queue` others are.
    async fn slot(&self) -> Result<tokio::sync::SemaphorePermit<'_>, ServiceError> {
        if let Ok(permit) = self.slots.try_acquire() {
            return Ok(permit);
        }
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.settings.queue {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            metrics::counter!("darkroom_transforms_refused_total").increment(1);
            return Err(ServiceError::Busy);
        }
        let permit = self.slots.acquire().await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        permit.map_err(|_| ServiceError::Internal("transform slots closed".into()))
    }
}
