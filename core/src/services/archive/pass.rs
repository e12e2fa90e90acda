//! The archive pass: originals not read for `archive_after_days` move to the archive tier, in bounded
//! batches, on one replica at a time (the `original-archive` lease).
//!
//! To a second store, each image goes copy, then mark, then delete:
//! - a crash after the copy leaves the hot original and its row as they were (the archive's copy is
//!   overwritten by the next pass, or removed by the purge with the image);
//! - a crash after the mark leaves both copies and a row saying "archived": a read brings it back (finding
//!   the hot copy there, it copies nothing), the purge removes both;
//! - only once the row says where the bytes are is the hot copy deleted, so no reader is ever sent to a
//!   store that lacks them for good (one who raced the delete is helped by `OriginalArchive::recover`).
//!
//! In a storage class, the mark comes first and the class change second: a crash between leaves a row
//! saying "archived" over bytes that are still hot, which a read handles like any archived original
//! (nothing to restore, nothing to copy). The other order could leave bytes in a class that needs a restore
//! under a row that says they are hot, and the read would fail.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::watch;

use super::{copy, original_keys, ArchiveTier, OriginalArchive};
use crate::domain::{ImageId, ImageStatus};
use crate::ports::storage_classes::STANDARD;
use crate::ports::{LeaseRepository, StorageError};
use crate::services::scheduled::{run_scheduled, Schedule};
use crate::services::ServiceError;

/// The lease that makes one replica at a time run the pass.
pub const ARCHIVE_LEASE: &str = "original-archive";

/// Images handled per round.
const BATCH: usize = 50;
/// Rounds per pass: a pass moves at most `BATCH * MAX_ROUNDS` images, and the next one goes on.
const MAX_ROUNDS: usize = 20;

impl OriginalArchive {
    /// Moves every due original (up to the pass's bound); returns how many images moved.
    pub async fn archive_due(&self) -> Result<usize, ServiceError> {
        let read_before = self.read_before();
        let mut moved = 0;
        for _ in 0..MAX_ROUNDS {
            let due = self.tiers.originals_to_archive(read_before, BATCH).await?;
            let mut moved_this_round = 0;
            for id in &due {
                match self.archive_one(*id, read_before).await {
                    Ok(true) => moved_this_round += 1,
                    Ok(false) => {}
                    // One image's trouble (a missing blob, say) must not hold up the others.
                    Err(err) => {
                        tracing::warn!(image = %id, error = %crate::ports::source::chain(&err), "could not archive an original")
                    }
                }
            }
            moved += moved_this_round;
            // A short round means nothing more is due; a round that moved nothing would only list the same
            // images again.
            if due.len() < BATCH || moved_this_round == 0 {
                break;
            }
        }
        Ok(moved)
    }

    /// Moves one image's originals; false when it no longer qualifies.
    async fn archive_one(
        &self,
        id: ImageId,
        read_before: DateTime<Utc>,
    ) -> Result<bool, ServiceError> {
        let Some(image) = self.images.image(id).await? else {
            return Ok(false);
        };
        if image.is_deleted()
            || image.original_archived()
            || image.status == ImageStatus::Processing
            || image.original_last_read() >= read_before
        {
            return Ok(false);
        }
        let keys = original_keys(&image)?;
        let now = self.clock.now();
        match &self.tier {
            ArchiveTier::Store(archive) => {
                for key in &keys {
                    copy(self.hot.as_ref(), archive.as_ref(), key).await?;
                }
                if !self
                    .tiers
                    .mark_original_archived(id, read_before, now)
                    .await?
                {
                    // Read (or deleted) since it was listed: it stays hot.
                    return Ok(false);
                }
                for key in &keys {
                    self.hot.delete(key).await?;
                }
                // A reader that saw the image hot just before the mark may have been sent to the hot copy;
                // `recover` puts it back for them. Nothing more to do here.
            }
            ArchiveTier::Class { store, class } => {
                if !self
                    .tiers
                    .mark_original_archived(id, read_before, now)
                    .await?
                {
                    return Ok(false);
                }
                for key in &keys {
                    if let Err(err) = store.set_storage_class(key, class).await {
                        // Undo the mark so that the next pass tries again; the bytes are hot either way.
                        let _ = self.tiers.mark_original_hot(id, now).await;
                        return Err(err.into());
                    }
                }
                // A read that brought it back between the mark and the class change left it marked hot:
                // put the bytes back in the default class for it.
                if let Some(after) = self.images.image(id).await? {
                    if !after.original_archived() {
                        for key in &keys {
                            match store.set_storage_class(key, STANDARD).await {
                                Ok(()) | Err(StorageError::NotFound(_)) => {}
                                Err(err) => return Err(err.into()),
                            }
                        }
                        return Ok(false);
                    }
                }
            }
        }
        tracing::info!(image = %id, "original moved to the archive tier");
        Ok(true)
    }

    /// Runs `archive_due` every `every` until `stop` turns true, on one replica at a time.
    pub async fn run(
        self,
        leases: Arc<dyn LeaseRepository>,
        every: Duration,
        stop: watch::Receiver<bool>,
    ) {
        let schedule = Schedule {
            lease: ARCHIVE_LEASE,
            every,
            clock: self.clock.clone(),
        };
        run_scheduled(schedule, leases, stop, || self.archive_due()).await;
    }
}
