//! The purge pass: images deleted longer ago than the retention window lose their blobs (original, public
//! original, variants, transformation results: everything under `images/{id}/`, in the hot store and in
//! the archive tier's second store), then their rows, for
//! good. Blobs go first, so a pass cut short leaves a row the next pass finishes, never a blob nobody
//! points to. Every step is idempotent; a lease makes one replica at a time run it.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::watch;

use super::images::keys;
use super::scheduled::{run_scheduled, Schedule};
use super::ServiceError;
use crate::clock::Clock;
use crate::ports::{BlobStore, BlobStoreExt, ImageRepository, LeaseRepository};

/// The lease that makes one replica at a time run the pass.
pub const PURGE_LEASE: &str = "image-purge";

/// The window of `retention_days` unless configured: the compliance window of the product's design.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(7 * 86_400);

/// Images handled per round of a pass.
const BATCH: usize = 100;

/// How long after its window closes an image waits for the purge. A restore is refused once the window
/// has closed by the clock of the replica serving it; this margin keeps a replica whose clock runs behind
/// by less than it from restoring an image whose blobs are being removed.
const CLOCK_MARGIN: Duration = Duration::from_secs(300);

#[derive(Debug, Clone)]
pub struct Purge {
    /// The image repository (cached: its writes drop the metadata cache's entries).
    images: Arc<dyn ImageRepository>,
    storage: Arc<dyn BlobStore>,
    clock: Clock,
    retention: Duration,
    /// The archive tier's second store, whose copies of originals go with the image.
    archive: Option<Arc<dyn BlobStore>>,
}

impl Purge {
    pub fn new(
        images: Arc<dyn ImageRepository>,
        storage: Arc<dyn BlobStore>,
        clock: Clock,
        retention: Duration,
    ) -> Self {
        Self {
            images,
            storage,
            clock,
            retention,
            archive: None,
        }
    }

    /// The same pass also removing images' copies in the archive tier's second store.
    pub fn with_archive(mut self, archive: Option<Arc<dyn BlobStore>>) -> Self {
        self.archive = archive;
        self
    }

    /// Images deleted before this may be purged.
    fn cutoff(&self) -> DateTime<Utc> {
        super::images::window_start(self.clock.now(), self.retention + CLOCK_MARGIN)
    }

    /// Purges every image whose window closed by the service's clock; returns how many.
    pub async fn purge(&self) -> Result<usize, ServiceError> {
        let cutoff = self.cutoff();
        let mut purged = 0;
        loop {
            let due = self.images.deleted_images(cutoff, BATCH).await?;
            let round = due.len();
            for id in due {
                let mut blobs = self.storage.delete_prefix(&keys::prefix(id)).await?;
                if let Some(archive) = &self.archive {
                    blobs += archive.delete_prefix(&keys::prefix(id)).await?;
                }
                if self.images.purge_image(id, cutoff).await? {
                    tracing::info!(image = %id, blobs, "deleted image purged");
                    purged += 1;
                }
            }
            if round < BATCH {
                return Ok(purged);
            }
        }
    }

    /// Runs `purge` every `every` until `stop` turns true, on one replica at a time (the `image-purge`
    /// lease: see `scheduled::run_scheduled`).
    pub async fn run(
        self,
        leases: Arc<dyn LeaseRepository>,
        every: Duration,
        stop: watch::Receiver<bool>,
    ) {
        let schedule = Schedule {
            lease: PURGE_LEASE,
            every,
            clock: self.clock.clone(),
        };
        run_scheduled(schedule, leases, stop, || self.purge()).await;
    }
}
