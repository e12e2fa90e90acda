//! `OriginalTierRepository` on DynamoDB. An image whose originals are hot has an entry under
//! `HOT_ORIGINALS` by `order(last read, id)` (written with the image; images stored before the archive tier
//! get theirs at their first noted read); the archive pass reads that partition oldest first. Noting a read
//! moves the entry, archiving removes it, bringing back puts it again: each one transaction with the image's
//! update, which only goes through if the image is still the `version` read, else it reads again.
//! Entries of deleted and processing images stay (a restore finds them as left) and are stepped over;
//! entries whose image is gone (purged) or moved on are dropped as they are met.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use darkroom_core::domain::{Image, ImageId, ImageStatus};
use darkroom_core::ports::{DbError, OriginalTierRepository};

use super::calls::Transacted;
use super::items;
use super::keys::{self, Item};
use super::lifecycle::ROUNDS;
use super::query::{PartitionQuery, SortKeys};
use super::DynamoDatabase;

/// Entries read per listing, for each image asked for: room to step over deleted and processing images.
const READ_AHEAD: usize = 4;

/// Whether the archive pass may move the image's originals, for reads before `read_before`.
fn archivable(image: &Image, read_before: DateTime<Utc>) -> bool {
    !image.original_archived()
        && !image.is_deleted()
        && image.status != ImageStatus::Processing
        && image.original_last_read() < read_before
}

impl DynamoDatabase {
    async fn image_and_version(&self, id: ImageId) -> Result<Option<(Image, u64)>, DbError> {
        let Some(item) = self.get(keys::image(id), "reading an image").await? else {
            return Ok(None);
        };
        Ok(Some((items::image(&item)?, items::image_version(&item)?)))
    }

    /// Runs the writes `writes_for` makes of the image as read, until they go through (true), the image is
    /// gone or `writes_for` declines (false).
    async fn settle(
        &self,
        id: ImageId,
        doing: &str,
        writes_for: impl Fn(
            &Image,
            u64,
        )
            -> Result<Option<Vec<aws_sdk_dynamodb::types::TransactWriteItem>>, DbError>,
    ) -> Result<bool, DbError> {
        for _ in 0..ROUNDS {
            let Some((image, version)) = self.image_and_version(id).await? else {
                return Ok(false);
            };
            let Some(writes) = writes_for(&image, version)? else {
                return Ok(false);
            };
            match self.transact(writes, doing).await? {
                Transacted::Done => return Ok(true),
                // The image changed since we read it: look again.
                outcome if outcome.failed(0) => {}
                _ => {
                    return Err(DbError::other(format!(
                        "{doing}: an entry of image {} is out of step",
                        id.0
                    )))
                }
            }
        }
        Err(DbError::unavailable(format!(
            "{doing} for image {} did not settle in {ROUNDS} rounds: it keeps changing",
            id.0
        )))
    }
}

#[async_trait]
impl OriginalTierRepository for DynamoDatabase {
    async fn note_original_read(&self, id: ImageId, at: DateTime<Utc>) -> Result<bool, DbError> {
        self.settle(id, "noting a read of an original", |image, version| {
            let last = image.original_last_read();
            if last >= at {
                return Ok(None);
            }
            let mut writes = vec![self.versioned_image_update(
                id,
                "SET #original_read_at = :at",
                version,
                Some(at),
            )?];
            if !image.original_archived() {
                writes.push(self.delete(keys::hot_original(last, id), None, Item::new())?);
                writes.push(self.put_new(items::hot_original_entry(at, id))?);
            }
            Ok(Some(writes))
        })
        .await
    }

    async fn originals_to_archive(
        &self,
        read_before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<ImageId>, DbError> {
        let query = PartitionQuery {
            pk: keys::hot_originals(),
            sort_keys: SortKeys::Below(keys::order(read_before, uuid::Uuid::nil())),
            descending: false,
        };
        let entries = self
            .query_items(
                &query,
                Some(limit.saturating_mul(READ_AHEAD)),
                "reading hot originals",
            )
            .await?;
        let listed = entries
            .iter()
            .map(items::hot_original_entry_of)
            .collect::<Result<Vec<_>, _>>()?;
        let found = self.listed_images(&listed, "reading hot originals").await?;
        let mut due = Vec::new();
        let mut stale = Vec::new();
        for (id, last_read) in listed {
            match found.get(&id) {
                Some(image)
                    if !image.original_archived() && image.original_last_read() == last_read =>
                {
                    if due.len() < limit && archivable(image, read_before) {
                        due.push(id);
                    }
                }
                _ => stale.push(keys::hot_original(last_read, id)),
            }
        }
        if !stale.is_empty() {
            self.batch_delete(stale, "dropping stale hot-original entries")
                .await?;
        }
        Ok(due)
    }

    async fn mark_original_archived(
        &self,
        id: ImageId,
        read_before: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<bool, DbError> {
        self.settle(id, "marking an original archived", |image, version| {
            if !archivable(image, read_before) {
                return Ok(None);
            }
            Ok(Some(vec![
                self.versioned_image_update(
                    id,
                    "SET #original_archived_at = :at",
                    version,
                    Some(at),
                )?,
                self.delete(
                    keys::hot_original(image.original_last_read(), id),
                    None,
                    Item::new(),
                )?,
            ]))
        })
        .await
    }

    async fn mark_original_hot(&self, id: ImageId, at: DateTime<Utc>) -> Result<bool, DbError> {
        self.settle(id, "marking an original hot", |image, version| {
            if !image.original_archived() {
                return Ok(None);
            }
            Ok(Some(vec![
                self.versioned_image_update(
                    id,
                    "SET #original_read_at = :at REMOVE #original_archived_at",
                    version,
                    Some(at),
                )?,
                self.put_new(items::hot_original_entry(at, id))?,
            ]))
        })
        .await
    }
}
