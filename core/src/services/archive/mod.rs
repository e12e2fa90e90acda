//! The archive tier of originals: an image's originals (the upload and its metadata-stripped public copy;
//! never variants or transformation results, which stay hot) move to a cheaper tier when nobody read them
//! for `archive_after_days`, and come back when someone does.
//!
//! The tier is a second store (`archive_storage_url`: another directory, another bucket), or, on S3 with no
//! second store, an S3 storage class of the same objects (`archive_storage_class`). Reads are noted at most
//! once a day per image (`NOTE_EVERY`), so a download costs no database write on most days. The ETag and
//! `sha256` of an original are the hashes in its row, so they never change with the tier.
//!
//! The pass that moves originals there is in `pass`; this module is the tier and the read path.

mod pass;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

pub use pass::ARCHIVE_LEASE;

use super::ServiceError;
use crate::clock::Clock;
use crate::domain::{Image, ImageId};
use crate::ports::storage_classes::STANDARD;
use crate::ports::{
    BlobKey, BlobStore, ImageRepository, OriginalTierRepository, Retrieval, StorageClassStore,
    StorageError,
};

/// A read is noted when the last one noted is at least this old: at most one write a day per image.
pub const NOTE_EVERY: Duration = Duration::from_secs(86_400);

/// What `Retry-After` says while a restore from a slow class runs (S3 Glacier's standard retrievals take
/// hours; clients poll).
pub const RESTORE_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// Where archived originals go.
#[derive(Debug, Clone)]
pub enum ArchiveTier {
    /// A second store: originals are copied there, then removed from the hot store.
    Store(Arc<dyn BlobStore>),
    /// A storage class of the hot store itself (S3): originals stay under their keys.
    Class {
        store: Arc<dyn StorageClassStore>,
        class: String,
    },
}

/// The archive tier and the ports it moves originals with.
#[derive(Debug, Clone)]
pub struct OriginalArchive {
    /// Tier marks and read times; the composition root hands in a wrapper whose writes drop cached images.
    tiers: Arc<dyn OriginalTierRepository>,
    /// Images as stored (the pass and the recovery read them afresh, never from a cache).
    images: Arc<dyn ImageRepository>,
    hot: Arc<dyn BlobStore>,
    tier: ArchiveTier,
    clock: Clock,
    /// Originals not read for this long move (`archive_after_days`).
    after: Duration,
}

impl OriginalArchive {
    pub fn new(
        tiers: Arc<dyn OriginalTierRepository>,
        images: Arc<dyn ImageRepository>,
        hot: Arc<dyn BlobStore>,
        tier: ArchiveTier,
        clock: Clock,
        after: Duration,
    ) -> Self {
        Self {
            tiers,
            images,
            hot,
            tier,
            clock,
            after,
        }
    }

    /// The second store, when the tier is one (the purge removes its copies too).
    pub fn store(&self) -> Option<Arc<dyn BlobStore>> {
        match &self.tier {
            ArchiveTier::Store(store) => Some(store.clone()),
            ArchiveTier::Class { .. } => None,
        }
    }

    /// Called before an image's original is read (downloaded, transformed, edited): brings archived
    /// originals back, or notes the read when the last one noted is a day old. `OriginalRestoring` when the
    /// tier needs a restore that is not done yet.
    pub async fn before_read(&self, image: &Image) -> Result<(), ServiceError> {
        if image.original_archived() {
            return self.bring_back(image).await;
        }
        let now = self.clock.now();
        if now - image.original_last_read() < chrono_duration(NOTE_EVERY) {
            return Ok(());
        }
        // A lost note only lets the original move a day early: never worth failing a download for.
        if let Err(err) = self.tiers.note_original_read(image.id, now).await {
            tracing::warn!(image = %image.id, error = %crate::ports::source::chain(&err), "could not note a read of an original");
        }
        Ok(())
    }

    /// Brings an original the hot store does not have back from the second store, for a reader that found
    /// it missing while the image looked hot (a cached row older than the pass's mark, or a pass racing a
    /// bring-back). False when the archive has nothing either.
    pub async fn recover(&self, id: ImageId) -> Result<bool, ServiceError> {
        let ArchiveTier::Store(archive) = &self.tier else {
            return Ok(false);
        };
        let Some(image) = self.images.image(id).await? else {
            return Ok(false);
        };
        for key in original_keys(&image)? {
            match self.hot.head(&key).await {
                Ok(_) => continue,
                Err(StorageError::NotFound(_)) => {}
                Err(err) => return Err(err.into()),
            }
            match copy(archive.as_ref(), self.hot.as_ref(), &key).await {
                Ok(()) => {}
                Err(StorageError::NotFound(_)) => return Ok(false),
                Err(err) => return Err(err.into()),
            }
        }
        self.tiers.mark_original_hot(id, self.clock.now()).await?;
        tracing::info!(image = %id, "original recovered from the archive tier");
        Ok(true)
    }

    /// Copies (or re-classes) the originals back into the hot store, then marks the image hot. The second
    /// store keeps its copy: deleting it here could race the pass deleting the hot one; the next archiving
    /// overwrites it, and the purge removes it with the image.
    async fn bring_back(&self, image: &Image) -> Result<(), ServiceError> {
        let keys = original_keys(image)?;
        match &self.tier {
            ArchiveTier::Store(archive) => {
                for key in &keys {
                    match self.hot.head(key).await {
                        Ok(_) => continue,
                        Err(StorageError::NotFound(_)) => {}
                        Err(err) => return Err(err.into()),
                    }
                    if let Err(err) = copy(archive.as_ref(), self.hot.as_ref(), key).await {
                        // A concurrent bring-back may have put it back meanwhile.
                        if self.hot.head(key).await.is_err() {
                            return Err(err.into());
                        }
                    }
                }
            }
            ArchiveTier::Class { store, .. } => {
                let mut restoring = false;
                for key in &keys {
                    if store.prepare_read(key).await? == Retrieval::Restoring {
                        restoring = true;
                    }
                }
                if restoring {
                    tracing::info!(image = %image.id, "original restoring from the archive class");
                    return Err(ServiceError::OriginalRestoring {
                        retry_after: RESTORE_RETRY_AFTER,
                    });
                }
                for key in &keys {
                    if store.storage_class(key).await? != STANDARD {
                        store.set_storage_class(key, STANDARD).await?;
                    }
                }
            }
        }
        self.tiers
            .mark_original_hot(image.id, self.clock.now())
            .await?;
        tracing::info!(image = %image.id, "original brought back from the archive tier");
        Ok(())
    }

    /// Reads older than this make an original due.
    fn read_before(&self) -> DateTime<Utc> {
        super::images::window_start(self.clock.now(), self.after)
    }
}

/// An image's originals: the upload, and the public copy once processing made it.
pub fn original_keys(image: &Image) -> Result<Vec<BlobKey>, StorageError> {
    let mut keys = vec![BlobKey::parse(&image.original_key)?];
    if let Some(public) = &image.public_original_key {
        keys.push(BlobKey::parse(public)?);
    }
    Ok(keys)
}

/// Streams the blob at `key` from one store to the other, and checks the sizes agree.
async fn copy(from: &dyn BlobStore, to: &dyn BlobStore, key: &BlobKey) -> Result<(), StorageError> {
    let (meta, stream) = from.get_stream(key, None).await?;
    let written = to.put_stream(key, stream).await?;
    if written.size != meta.size {
        return Err(StorageError::other(format!(
            "copying {} wrote {} of {} bytes",
            key.as_str(),
            written.size,
            meta.size
        )));
    }
    Ok(())
}

fn chrono_duration(duration: Duration) -> chrono::Duration {
    chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::MAX)
}
