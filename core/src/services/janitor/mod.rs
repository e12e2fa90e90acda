//! The janitor: a scheduled pass of the worker role removing what interrupted writes leave behind, once
//! they are older than a grace period (`janitor_grace_secs`):
//!
//! - staging files of streamed writes cut short (the local store's `images/{id}/original#{hex}`);
//! - multipart uploads neither completed nor aborted: a sync upload's S3 multipart, and a resumable
//!   upload's whose row was never written; never one an upload row refers to (the expiry pass owns those);
//! - blobs under `images/{id}/` of an image with no row at all (stored before a row that never came), when
//!   no upload row will become that image. Deleted images keep their rows until the retention purge.
//!
//! Rows are read after storage is listed: a multipart upload is created before its row, and a sync upload's
//! original is stored before its row, so whatever the listing saw has its row by then, if it ever will.
//! Every step is idempotent; a lease makes one replica at a time run it.

mod decide;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::watch;

use self::decide::{abandoned, stale_images, LiveUploads};
use super::scheduled::{run_scheduled, Schedule};
use super::ServiceError;
use crate::clock::Clock;
use crate::domain::ImageId;
use crate::ports::{
    BlobKey, BlobStore, DatedBlob, ImageRepository, LeaseRepository, LeftoverKind, StorageSweep,
    UploadRepository,
};

/// The lease that makes one replica at a time run the pass.
pub const JANITOR_LEASE: &str = "storage-janitor";

/// The shortest grace allowed: a sync upload's S3 multipart keeps the time it began while its body
/// arrives, so a grace shorter than the slowest upload would abort uploads under way.
pub const MIN_GRACE: Duration = Duration::from_secs(3600);

/// Upload rows read at most per round. A round that finds this many cannot know it saw every row, so it
/// removes no multipart upload and no blob that round (staging files need no rows).
const MAX_UPLOAD_ROWS: usize = 100_000;

/// Image ids looked up per query.
const BATCH: usize = 100;

/// How far past now an upload row's expiry can lie at most, whatever `upload_expiry_secs` was when it was
/// written: a floor under the horizon of `live_uploads` for installs that shortened the expiry.
const LONGEST_EXPIRY: Duration = Duration::from_secs(365 * 86_400);

/// What a round removed, by kind.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub staging_files: usize,
    pub multiparts: usize,
    pub orphan_blobs: usize,
}

impl Swept {
    pub fn total(&self) -> usize {
        self.staging_files + self.multiparts + self.orphan_blobs
    }
}

#[derive(Debug, Clone)]
pub struct Janitor {
    sweep: Arc<dyn StorageSweep>,
    /// The same store, for deleting orphan blobs (through the server's wrappers, so caches drop them).
    blobs: Arc<dyn BlobStore>,
    images: Arc<dyn ImageRepository>,
    uploads: Arc<dyn UploadRepository>,
    clock: Clock,
    grace: Duration,
    upload_expiry: Duration,
}

impl Janitor {
    pub fn new(
        sweep: Arc<dyn StorageSweep>,
        blobs: Arc<dyn BlobStore>,
        images: Arc<dyn ImageRepository>,
        uploads: Arc<dyn UploadRepository>,
        clock: Clock,
        grace: Duration,
        upload_expiry: Duration,
    ) -> Self {
        Self {
            sweep,
            blobs,
            images,
            uploads,
            clock,
            grace,
            upload_expiry,
        }
    }

    /// One round: removes every leftover and orphan older than the grace; returns what it removed.
    pub async fn sweep(&self) -> Result<Swept, ServiceError> {
        let now = self.clock.now();
        // A grace too long to subtract keeps everything.
        let cutoff = chrono::Duration::from_std(self.grace)
            .ok()
            .and_then(|grace| now.checked_sub_signed(grace))
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        let leftovers = self.sweep.leftovers().await?;
        let blobs = self.sweep.list_dated("images/").await?;
        // After the listings: see the module's note.
        let live = self.live_uploads(now).await?;
        let mut swept = Swept::default();
        let no_rows = LiveUploads::default();
        for leftover in leftovers {
            let staging = leftover.kind == LeftoverKind::StagingFile;
            let judged = match &live {
                Some(live) => abandoned(&leftover, cutoff, live),
                // Without every row, no multipart upload can be told abandoned; staging files need none.
                None => staging && abandoned(&leftover, cutoff, &no_rows),
            };
            if !judged {
                continue;
            }
            // One that cannot go (a permission, a store hiccup) must not keep the others: next round.
            if let Err(error) = self.sweep.remove_leftover(&leftover).await {
                tracing::warn!(kind = leftover.kind.name(), key = %leftover.key, %error, "janitor could not remove a leftover");
                continue;
            }
            tracing::debug!(kind = leftover.kind.name(), key = %leftover.key, started = %leftover.started, "janitor removed a leftover");
            metrics::counter!(REMOVED, "kind" => leftover.kind.name()).increment(1);
            if staging {
                swept.staging_files += 1;
            } else {
                swept.multiparts += 1;
            }
        }
        if let Some(live) = &live {
            swept.orphan_blobs = self.remove_orphans(blobs, cutoff, live).await?;
        }
        tracing::info!(
            staging_files = swept.staging_files,
            multiparts = swept.multiparts,
            orphan_blobs = swept.orphan_blobs,
            "janitor round finished"
        );
        Ok(swept)
    }

    /// Every upload row, live or expired and not yet removed; `None` when there are too many to be sure.
    async fn live_uploads(&self, now: DateTime<Utc>) -> Result<Option<LiveUploads>, ServiceError> {
        // An upload's `expires_at` is its creation plus `upload_expiry` (by the clock of the replica that
        // made it, which the grace, at least an hour, covers), so every row expires before now + expiry +
        // grace; the year's floor covers rows made under a longer expiry before a restart. Rows past their
        // expiry are still before it: every row there is.
        let ahead = (self.upload_expiry + self.grace).max(LONGEST_EXPIRY);
        let Some(horizon) = chrono::Duration::from_std(ahead)
            .ok()
            .and_then(|ahead| now.checked_add_signed(ahead))
        else {
            return Ok(None);
        };
        let rows = self
            .uploads
            .expired_uploads(horizon, MAX_UPLOAD_ROWS)
            .await?;
        if rows.len() >= MAX_UPLOAD_ROWS {
            tracing::warn!(
                rows = rows.len(),
                "janitor: too many upload rows to tell abandoned multipart uploads; only staging files this round"
            );
            return Ok(None);
        }
        Ok(Some(LiveUploads::of(&rows)))
    }

    /// Deletes the listed blobs of every stale image with no row; returns how many blobs.
    async fn remove_orphans(
        &self,
        blobs: Vec<DatedBlob>,
        cutoff: DateTime<Utc>,
        live: &LiveUploads,
    ) -> Result<usize, ServiceError> {
        let candidates = stale_images(blobs, cutoff, live);
        let ids: Vec<ImageId> = candidates.keys().copied().collect();
        let mut removed = 0;
        for batch in ids.chunks(BATCH) {
            // Deleted images included: their blobs are the retention purge's.
            let rows = self.images.images_by_ids(batch).await?;
            for id in batch {
                if rows.iter().any(|image| image.id == *id) {
                    continue;
                }
                // Only the keys listed: nothing written since is touched.
                for key in candidates.get(id).into_iter().flatten() {
                    self.blobs.delete(&BlobKey::parse(key)?).await?;
                    metrics::counter!(REMOVED, "kind" => "orphan_blob").increment(1);
                    removed += 1;
                }
                tracing::debug!(image = %id, "janitor removed the blobs of an image with no row");
            }
        }
        Ok(removed)
    }

    /// Runs `sweep` every `every` until `stop` turns true, on one replica at a time (the `storage-janitor`
    /// lease: see `scheduled::run_scheduled`).
    pub async fn run(
        self,
        leases: Arc<dyn LeaseRepository>,
        every: Duration,
        stop: watch::Receiver<bool>,
    ) {
        describe_metrics();
        let schedule = Schedule {
            lease: JANITOR_LEASE,
            every,
            clock: self.clock.clone(),
        };
        run_scheduled(schedule, leases, stop, || async {
            self.sweep().await.map(|swept| swept.total())
        })
        .await;
    }
}

/// `darkroom_janitor_removed_total{kind}`: what the janitor removed, by kind (`staging_file`, `multipart`,
/// `orphan_blob`).
pub const REMOVED: &str = "darkroom_janitor_removed_total";

/// Describes the janitor's metric for `/metrics`.
fn describe_metrics() {
    metrics::describe_counter!(
        REMOVED,
        "leftovers of interrupted writes the janitor removed, by kind"
    );
}
