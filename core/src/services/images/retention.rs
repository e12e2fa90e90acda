//! Deleting and restoring: a delete hides an image at once from everyone, its owner included (every read
//! path asks `access`, which hides deleted images), and keeps its row and blobs for
//! `ImageSettings::retention`, inside which its owner may restore it exactly as it was (same id, variants,
//! keys, so the same ETags). The purge pass (`services::retention`) removes what is left after that.

use chrono::{DateTime, Utc};

use super::ImageService;
use crate::domain::{Image, ImageId, UserId};
use crate::services::ServiceError;

impl ImageService {
    /// Marks one of `viewer`'s images deleted now. Nothing of it is removed yet: see the module docs.
    pub async fn delete(&self, viewer: UserId, id: ImageId) -> Result<(), ServiceError> {
        self.owned(viewer, id).await?;
        self.images
            .delete_image(id, self.clock.now())
            .await?
            .ok_or(ServiceError::NotFound)?;
        tracing::info!(image = %id, "image deleted; restorable until the retention window closes");
        Ok(())
    }

    /// Brings back one of `viewer`'s deleted images while its retention window is open. Anything else (not
    /// theirs, not deleted, deleted too long ago, purged) is `NotFound`.
    pub async fn restore(&self, viewer: UserId, id: ImageId) -> Result<Image, ServiceError> {
        match self.images.image(id).await? {
            Some(image) if image.owner_id == viewer && image.is_deleted() => {}
            // Restoring is idempotent: a restore retried after its answer was lost, or of an image that was
            // never deleted, finds the image as wanted.
            Some(image) if image.owner_id == viewer => return Ok(image),
            _ => return Err(ServiceError::NotFound),
        }
        let restored = self
            .images
            .restore_image(id, self.restorable_since())
            .await?
            .ok_or(ServiceError::NotFound)?;
        tracing::info!(image = %id, "image restored");
        Ok(restored)
    }

    /// The earliest deletion that may still be restored.
    fn restorable_since(&self) -> DateTime<Utc> {
        window_start(self.clock.now(), self.settings.retention)
    }
}

/// `now` minus the retention window (the distant past for a window too large to subtract).
pub(crate) fn window_start(now: DateTime<Utc>, window: std::time::Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(window)
        .ok()
        .and_then(|window| now.checked_sub_signed(window))
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn the_window_starts_a_retention_before_now_and_never_overflows() {
        let now = Utc::now();
        let week = Duration::from_secs(7 * 86_400);
        assert_eq!(window_start(now, week), now - chrono::Duration::days(7));
        assert_eq!(
            window_start(now, Duration::from_secs(u64::MAX)),
            DateTime::<Utc>::MIN_UTC
        );
    }
}
