//! The expiry pass: uploads left unfinished past `expires_at` have their storage parts aborted and their
//! rows removed. Completed uploads past it lose only their rows (their blob is the image's original now).
//! Every step is idempotent, so a pass cut short leaves nothing wrong; a lease in the database
//! (`LeaseRepository`) makes one replica at a time run it.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::UploadService;
use crate::domain::UploadStatus;
use crate::ports::{BlobKey, LeaseRepository};
use crate::services::scheduled::{run_scheduled, Schedule};
use crate::services::ServiceError;

/// Uploads handled per round of a pass.
const BATCH: usize = 100;

/// The lease that makes one replica at a time run the pass.
pub const EXPIRY_LEASE: &str = "upload-expiry";

impl UploadService {
    /// Removes every upload expired by the service's clock; returns how many.
    pub async fn expire(&self) -> Result<usize, ServiceError> {
        let mut removed = 0;
        loop {
            let expired = self
                .uploads
                .expired_uploads(self.clock.now(), BATCH)
                .await?;
            let round = expired.len();
            for upload in expired {
                if upload.status != UploadStatus::Completed {
                    let key = BlobKey::parse(&upload.key)?;
                    self.multipart
                        .abort_multipart(&key, &upload.storage_upload_id)
                        .await?;
                }
                self.remove_staging(upload.id).await?;
                self.uploads.delete_upload(upload.id).await?;
                tracing::info!(upload = %upload.id, status = %upload.status, "expired upload removed");
                removed += 1;
            }
            if round < BATCH {
                return Ok(removed);
            }
        }
    }

    /// Runs `expire` every `every` until `stop` turns true, on one replica at a time (the `upload-expiry`
    /// lease: see `scheduled::run_scheduled`).
    pub async fn run_expiry(
        self,
        leases: Arc<dyn LeaseRepository>,
        every: Duration,
        stop: watch::Receiver<bool>,
    ) {
        let schedule = Schedule {
            lease: EXPIRY_LEASE,
            every,
            clock: self.clock.clone(),
        };
        run_scheduled(schedule, leases, stop, || self.expire()).await;
    }
}
