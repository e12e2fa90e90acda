//! `ImageRepository` on DynamoDB, the reads and `create_image`; the writes after creation are in
//! `lifecycle.rs`, deletion, restore and purge in `retention.rs`. An image is one item; its owner's
//! listing entry and its idempotency claim are written and deleted in the same transactions as the image.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use darkroom_core::domain::{
    Cursor, Failure, Image, ImageId, ImagePatch, LateVariantFile, NewImage, OutboxMessage, Page,
    PageRequest, ProcessedImage, UserId,
};
use darkroom_core::ports::{Conflict, CreateImageOutcome, DbError, ImageRepository};

use super::attrs::s;
use super::calls::Transacted;
use super::errors::db_error;
use super::items;
use super::keys::{self, PK, SK};
use super::lifecycle::Finished;
use super::writes::{vals, PRESENT};
use super::DynamoDatabase;

/// A replay finds the image its key made; should that image vanish in between (deleted, which frees the
/// key), creation is tried again. Two rounds settle it; more would mean a bug.
const CREATE_ROUNDS: usize = 3;

impl DynamoDatabase {
    /// The images that index entries (an owner's listing, the deleted or hot-original indexes) name, by id
    /// (one BatchGetItem per 100); an image gone since the entries were read is not among them.
    pub(super) async fn listed_images(
        &self,
        listed: &[(ImageId, DateTime<Utc>)],
        context: &str,
    ) -> Result<HashMap<ImageId, Image>, DbError> {
        self.batch_get(
            listed.iter().map(|(id, _)| keys::image(*id)).collect(),
            context,
        )
        .await?
        .iter()
        .map(|item| items::image(item).map(|image| (image.id, image)))
        .collect()
    }

    /// An update of image `id` (`changes`: its SET/REMOVE clauses, with `:at` bound to `at` when given) that
    /// lands only while the image is still at `version`, the one just read, and moves the version on: how the
    /// retention and archive passes change an image without losing a concurrent change.
    pub(super) fn versioned_image_update(
        &self,
        id: ImageId,
        changes: &str,
        version: u64,
        at: Option<DateTime<Utc>>,
    ) -> Result<aws_sdk_dynamodb::types::TransactWriteItem, DbError> {
        let mut values = vals([
            (":one", super::attrs::n(1)),
            (":version", super::attrs::n(version)),
        ]);
        if let Some(at) = at {
            values.insert(":at".to_owned(), super::attrs::micros(at));
        }
        self.update(
            keys::image(id),
            &format!("{changes} ADD #version :one"),
            Some("#version = :version"),
            values,
        )
    }

    async fn try_create_image(
        &self,
        image: &NewImage,
        job: &OutboxMessage,
    ) -> Result<Option<CreateImageOutcome>, DbError> {
        let Some(owner) = self
            .get(keys::user(image.owner_id), "reading an image's owner")
            .await?
        else {
            return Err(DbError::other(format!(
                "owner {} does not exist",
                image.owner_id.0
            )));
        };
        let owner = items::user(&owner)?;
        // Index by index: 0 owner, 1 image, 2 listing entry, 3 outbox entry, 4 outbox pointer, 5 claim.
        let mut writes = vec![
            self.check(keys::user(image.owner_id), PRESENT, vals([]))?,
            self.put_new(items::new_image(image, &owner.username, Utc::now())?)?,
            self.put_new(items::listing(image))?,
            self.put_new(items::outbox_entry(job))?,
            self.put_new(items::outbox_pointer(job))?,
        ];
        if let Some(key) = &image.idempotency_key {
            writes.push(self.put_new(items::idempotency(image, key))?);
        }
        // Last, so the indexes above stay put: the entry the archive pass finds its original by.
        writes.push(self.put_new(items::hot_original_entry(image.created_at, image.id))?);
        let outcome = self.transact(writes, "creating an image").await?;
        if outcome == Transacted::Done {
            return Ok(Some(CreateImageOutcome::Created));
        }
        if outcome.failed(5) {
            // A retried upload: nothing was written; answer with what the first one made.
            let Some(key) = &image.idempotency_key else {
                return Err(DbError::other("idempotency claim failed without a key"));
            };
            let claim = self
                .get(
                    keys::idempotency(image.owner_id, key),
                    "reading an idempotency claim",
                )
                .await?;
            let Some(claim) = claim else {
                return Ok(None);
            };
            // Deleted since the claim was read (which frees the claim): try creating again.
            let earlier = self
                .image(items::claimed_image(&claim)?)
                .await?
                .filter(|earlier| !earlier.is_deleted());
            let Some(earlier) = earlier else {
                return Ok(None);
            };
            return Ok(Some(CreateImageOutcome::IdempotentReplay(Box::new(
                earlier,
            ))));
        }
        Err(if outcome.failed(0) {
            DbError::other(format!("owner {} does not exist", image.owner_id.0))
        } else if outcome.failed(1) || outcome.failed(2) {
            DbError::Conflict(Conflict::ImageId)
        } else {
            DbError::Conflict(Conflict::OutboxId)
        })
    }
}

#[async_trait]
impl ImageRepository for DynamoDatabase {
    async fn create_image(
        &self,
        image: &NewImage,
        job: &OutboxMessage,
    ) -> Result<CreateImageOutcome, DbError> {
        for _ in 0..CREATE_ROUNDS {
            if let Some(outcome) = self.try_create_image(image, job).await? {
                return Ok(outcome);
            }
        }
        Err(DbError::other(format!(
            "creating an image did not settle in {CREATE_ROUNDS} rounds"
        )))
    }

    async fn images_by_ids(&self, ids: &[ImageId]) -> Result<Vec<Image>, DbError> {
        // BatchGetItem refuses a key named twice.
        let ids: HashSet<ImageId> = ids.iter().copied().collect();
        self.batch_get(ids.into_iter().map(keys::image).collect(), "reading images")
            .await?
            .iter()
            .map(items::image)
            .collect()
    }

    async fn image(&self, id: ImageId) -> Result<Option<Image>, DbError> {
        self.get(keys::image(id), "reading an image")
            .await?
            .as_ref()
            .map(items::image)
            .transpose()
    }

    async fn images_by_owner(
        &self,
        owner: UserId,
        page: PageRequest,
    ) -> Result<Page<Image>, DbError> {
        let limit = page.limit as usize;
        // One entry more than the page tells whether another page follows without a count.
        let mut query = self
            .client
            .query()
            .table_name(&self.table)
            .consistent_read(true)
            .scan_index_forward(false)
            .limit(i32::try_from(limit + 1).unwrap_or(i32::MAX))
            .expression_attribute_names("#pk", PK)
            .expression_attribute_values(":pk", s(keys::images_of(owner)));
        query = match page.after {
            None => query.key_condition_expression("#pk = :pk"),
            Some(after) => query
                .key_condition_expression("#pk = :pk AND #sk < :after")
                .expression_attribute_names("#sk", SK)
                .expression_attribute_values(":after", s(keys::order(after.created_at, after.id))),
        };
        let entries = query
            .send()
            .await
            .map_err(|e| db_error(e, &self.table, "listing an owner's images"))?
            .items
            .unwrap_or_default();
        let listed = entries
            .iter()
            .take(limit)
            .map(items::listed_image)
            .collect::<Result<Vec<_>, _>>()?;

        let mut by_id = self
            .listed_images(&listed, "reading a page of images")
            .await?;
        // In the listing's order; an image deleted between the two reads is left out.
        let items = listed
            .iter()
            .filter_map(|(id, _)| by_id.remove(id))
            .filter(|image| !image.is_deleted())
            .collect();
        let next = if entries.len() > limit {
            listed.last().map(|(id, created_at)| Cursor {
                created_at: *created_at,
                id: id.0,
            })
        } else {
            None
        };
        Ok(Page { items, next })
    }

    async fn images_by_owner_with_tag(
        &self,
        owner: UserId,
        tag: &str,
        page: PageRequest,
    ) -> Result<Page<Image>, DbError> {
        self.owner_images_with_tag(owner, tag, page).await
    }

    async fn update_image(
        &self,
        id: ImageId,
        patch: &ImagePatch,
    ) -> Result<Option<Image>, DbError> {
        self.patch_image(id, patch).await
    }

    async fn complete_processing(
        &self,
        id: ImageId,
        result: &ProcessedImage,
    ) -> Result<bool, DbError> {
        self.finish_processing(id, Finished::Ready(result)).await
    }

    async fn record_original(
        &self,
        id: ImageId,
        bytes: u64,
        sha256: &str,
    ) -> Result<bool, DbError> {
        self.record_rendered_original(id, bytes, sha256).await
    }

    async fn fail_processing(&self, id: ImageId, failure: &Failure) -> Result<bool, DbError> {
        self.finish_processing(id, Finished::Failed(failure)).await
    }

    async fn delete_image(&self, id: ImageId, at: DateTime<Utc>) -> Result<Option<Image>, DbError> {
        self.soft_delete_image(id, at).await
    }

    async fn restore_image(
        &self,
        id: ImageId,
        deleted_since: DateTime<Utc>,
    ) -> Result<Option<Image>, DbError> {
        self.restore_deleted_image(id, deleted_since).await
    }

    async fn deleted_images(
        &self,
        deleted_before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<ImageId>, DbError> {
        self.deleted_image_ids(deleted_before, limit).await
    }

    async fn purge_image(
        &self,
        id: ImageId,
        deleted_before: DateTime<Utc>,
    ) -> Result<bool, DbError> {
        self.purge_deleted_image(id, deleted_before).await
    }

    async fn add_variant_files(
        &self,
        id: ImageId,
        files: &[LateVariantFile],
    ) -> Result<bool, DbError> {
        self.add_late_files(id, files).await
    }
}
