//! Deleted images: the soft delete, the restore, and the purge pass's reads and removals. A deleted image
//! keeps its item (with `deleted_at`), leaves its owner's listing and frees its idempotency claim, and is
//! entered under `DELETED_IMAGES` by `order(deleted_at, id)`; a restore undoes all three but the claim, and
//! the purge removes the item and the entry. Each is one transaction that only goes through if the image
//! is still the `version` read, else it reads again. No migration: items written before retention have no
//! `deleted_at`, which reads as live.

use chrono::{DateTime, Utc};
use darkroom_core::domain::{Image, ImageId};
use darkroom_core::ports::DbError;

use super::attrs::n;
use super::calls::Transacted;
use super::items;
use super::keys::{self, Item};
use super::lifecycle::ROUNDS;
use super::query::{PartitionQuery, SortKeys};
use super::writes::vals;
use super::DynamoDatabase;

/// Only the image read: its `version` is unchanged.
const UNCHANGED: &str = "#version = :version";

impl DynamoDatabase {
    /// The image and its `version`, or `None`.
    async fn versioned_image(&self, id: ImageId) -> Result<Option<(Image, u64)>, DbError> {
        let Some(item) = self.get(keys::image(id), "reading an image").await? else {
            return Ok(None);
        };
        Ok(Some((items::image(&item)?, items::image_version(&item)?)))
    }

    pub(super) async fn soft_delete_image(
        &self,
        id: ImageId,
        at: DateTime<Utc>,
    ) -> Result<Option<Image>, DbError> {
        for _ in 0..ROUNDS {
            let Some(item) = self.get(keys::image(id), "reading an image").await? else {
                return Ok(None);
            };
            let mut image = items::image(&item)?;
            if image.is_deleted() {
                return Ok(None);
            }
            let version = items::image_version(&item)?;
            // Index by index: 0 image, 1 deleted entry, 2 listing entry, 3 claim.
            let mut writes = vec![
                self.versioned_image_update(
                    id,
                    "SET #deleted_at = :at REMOVE #idempotency_key",
                    version,
                    Some(at),
                )?,
                self.put_new(items::deleted_entry(at, id))?,
                self.delete(
                    keys::listing(image.owner_id, image.created_at, id),
                    None,
                    Item::new(),
                )?,
            ];
            if let Some(key) = items::idempotency_key(&item)? {
                writes.push(self.delete(
                    keys::idempotency(image.owner_id, &key),
                    None,
                    Item::new(),
                )?);
            }
            match self.transact(writes, "deleting an image").await? {
                Transacted::Done => {
                    image.deleted_at = Some(at);
                    return Ok(Some(image));
                }
                // Changed since we read it (a concurrent delete, say): look again.
                outcome if outcome.failed(0) => {}
                _ => {
                    return Err(DbError::other(format!(
                        "image {} already has a deleted entry at its deletion time",
                        id.0
                    )))
                }
            }
        }
        Err(unsettled("deleting", id))
    }

    pub(super) async fn restore_deleted_image(
        &self,
        id: ImageId,
        deleted_since: DateTime<Utc>,
    ) -> Result<Option<Image>, DbError> {
        for _ in 0..ROUNDS {
            let Some((mut image, version)) = self.versioned_image(id).await? else {
                return Ok(None);
            };
            let Some(deleted_at) = image.deleted_at.filter(|at| *at >= deleted_since) else {
                return Ok(None);
            };
            // Index by index: 0 image, 1 deleted entry, 2 listing entry.
            let writes = vec![
                self.versioned_image_update(id, "REMOVE #deleted_at", version, None)?,
                self.delete(keys::deleted_image(deleted_at, id), None, Item::new())?,
                self.put_new(items::listing_of(image.owner_id, image.created_at, id))?,
            ];
            match self.transact(writes, "restoring an image").await? {
                Transacted::Done => {
                    image.deleted_at = None;
                    return Ok(Some(image));
                }
                // Changed since we read it (a concurrent restore put the listing entry back, say): look
                // again.
                outcome if outcome.failed(0) => {}
                _ => {
                    return Err(DbError::other(format!(
                        "deleted image {} still has its listing entry",
                        id.0
                    )))
                }
            }
        }
        Err(unsettled("restoring", id))
    }

    /// The entries of images deleted before `deleted_before`, oldest first. An entry whose image is gone,
    /// or was deleted at another time (none should be: every write of both is one transaction), is dropped
    /// on the way rather than handed to the purge again and again.
    pub(super) async fn deleted_image_ids(
        &self,
        deleted_before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<ImageId>, DbError> {
        let query = PartitionQuery {
            pk: keys::deleted_images(),
            sort_keys: SortKeys::Below(keys::order(deleted_before, uuid::Uuid::nil())),
            descending: false,
        };
        let entries = self
            .query_items(&query, Some(limit), "reading deleted images")
            .await?;
        let listed = entries
            .iter()
            .map(items::deleted_entry_of)
            .collect::<Result<Vec<_>, _>>()?;
        let found = self
            .listed_images(&listed, "reading deleted images")
            .await?;
        let mut due = Vec::with_capacity(listed.len());
        let mut stale = Vec::new();
        for (id, deleted_at) in listed {
            let current = found
                .get(&id)
                .is_some_and(|image| image.deleted_at == Some(deleted_at));
            if current {
                due.push(id);
            } else {
                stale.push(keys::deleted_image(deleted_at, id));
            }
        }
        if !stale.is_empty() {
            self.batch_delete(stale, "dropping stale deleted-image entries")
                .await?;
        }
        Ok(due)
    }

    pub(super) async fn purge_deleted_image(
        &self,
        id: ImageId,
        deleted_before: DateTime<Utc>,
    ) -> Result<bool, DbError> {
        for _ in 0..ROUNDS {
            let Some((image, version)) = self.versioned_image(id).await? else {
                return Ok(false);
            };
            let Some(deleted_at) = image.deleted_at.filter(|at| *at < deleted_before) else {
                return Ok(false);
            };
            let writes = vec![
                self.delete(
                    keys::image(id),
                    Some(UNCHANGED),
                    vals([(":version", n(version))]),
                )?,
                self.delete(keys::deleted_image(deleted_at, id), None, Item::new())?,
            ];
            if self.transact(writes, "purging an image").await? == Transacted::Done {
                return Ok(true);
            }
        }
        Err(unsettled("purging", id))
    }
}

fn unsettled(doing: &str, id: ImageId) -> DbError {
    DbError::unavailable(format!(
        "{doing} image {} did not settle in {ROUNDS} rounds: it keeps changing",
        id.0
    ))
}
