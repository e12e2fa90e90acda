//! Images and their variants.

use std::fmt::Debug;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::DbError;
use crate::domain::{
    Failure, Image, ImageId, ImagePatch, LateVariantFile, NewImage, OutboxMessage, Page,
    PageRequest, ProcessedImage, UserId,
};

/// What `create_image` did.
#[derive(Debug, Clone, PartialEq)]
pub enum CreateImageOutcome {
    Created,
    /// The owner already used this idempotency key: nothing was written; here is the image it made.
    IdempotentReplay(Box<Image>),
}

/// Images and their variants.
///
/// # Contract
/// - `create_image` writes the image and the job in one transaction: both or neither. With an idempotency
///   key the owner already used, it writes nothing and answers `IdempotentReplay` with the earlier image;
///   of concurrent calls with one key, exactly one answers `Created`.
/// - `image` and `images_by_ids` answer every image that has a row, deleted ones included (with
///   `deleted_at`): who may see what is the services' to decide. `images_by_owner` leaves deleted images out.
/// - `images_by_owner` is newest first, keyset-paginated on (created_at, id).
/// - `images_by_owner_with_tag` is `images_by_owner` keeping only the images whose `tags` or `auto_tags`
///   hold `tag` exactly, with the same order and cursors (a cursor is the last image a page holds). A page
///   may hold fewer than `limit` images, or none, while `next` is still set: an adapter that filters as it
///   reads may stop after a bounded amount of reading; only `next: None` means the end.
/// - `complete_processing` stores the result's `auto_tags` and `capture` with the rest.
/// - `complete_processing` and `fail_processing` only move an image that is `processing`; on any other
///   state they change nothing and return false (a redelivered job must not undo a later state).
/// - `delete_image(id, at)` marks a live image deleted at `at` (a soft delete: the row and its blobs stay)
///   and frees its idempotency key, atomically; it returns the image as marked. An image already deleted,
///   or none, is left alone: `None` (of two concurrent deletes, exactly one answers `Some`).
/// - `restore_image(id, deleted_since)` clears the mark of an image deleted at or after `deleted_since`
///   and returns it as it was before the delete (same id, variants, keys); anything else (a live image,
///   one deleted before `deleted_since`, none) is left alone: `None`.
/// - `deleted_images(deleted_before, limit)` lists up to `limit` images deleted before `deleted_before`,
///   the longest deleted first.
/// - `purge_image(id, deleted_before)` removes the row of an image deleted before `deleted_before`, and
///   everything the adapter keeps for it, for good; true when it did. A live image, or one deleted at or
///   after `deleted_before` (restored and deleted again meanwhile), is left alone: false.
/// - `add_variant_files` records encodings made after an image became `ready` (AVIF): each file joins the
///   variant of its name, unless that variant already has a file in its format (adding twice leaves one
///   file, the first); a file for a variant the image lacks is dropped (see `merge_variant_files`). It is
///   atomic against concurrent writes to the image, and returns true when the image is `ready` (whether or
///   not anything was new); on any other state, or no image, it changes nothing and returns false.
/// - `create_image` stores `NewImage::derivation` as the image's `source_image_id` and `operations`.
/// - `record_original` sets the size and SHA-256 of an image's original once an edit job has rendered it;
///   like `complete_processing`, only while the image is `processing` (else false, nothing changed).
#[async_trait]
pub trait ImageRepository: Send + Sync + Debug {
    async fn create_image(
        &self,
        image: &NewImage,
        job: &OutboxMessage,
    ) -> Result<CreateImageOutcome, DbError>;
    async fn image(&self, id: ImageId) -> Result<Option<Image>, DbError>;
    /// The images that exist among `ids`, in any order (a page of posts reads its images in one call).
    async fn images_by_ids(&self, ids: &[ImageId]) -> Result<Vec<Image>, DbError>;
    async fn images_by_owner(
        &self,
        owner: UserId,
        page: PageRequest,
    ) -> Result<Page<Image>, DbError>;
    async fn images_by_owner_with_tag(
        &self,
        owner: UserId,
        tag: &str,
        page: PageRequest,
    ) -> Result<Page<Image>, DbError>;
    async fn update_image(&self, id: ImageId, patch: &ImagePatch)
        -> Result<Option<Image>, DbError>;
    async fn complete_processing(
        &self,
        id: ImageId,
        result: &ProcessedImage,
    ) -> Result<bool, DbError>;
    async fn fail_processing(&self, id: ImageId, failure: &Failure) -> Result<bool, DbError>;
    async fn delete_image(&self, id: ImageId, at: DateTime<Utc>) -> Result<Option<Image>, DbError>;
    async fn restore_image(
        &self,
        id: ImageId,
        deleted_since: DateTime<Utc>,
    ) -> Result<Option<Image>, DbError>;
    async fn deleted_images(
        &self,
        deleted_before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<ImageId>, DbError>;
    async fn purge_image(
        &self,
        id: ImageId,
        deleted_before: DateTime<Utc>,
    ) -> Result<bool, DbError>;
    async fn add_variant_files(
        &self,
        id: ImageId,
        files: &[LateVariantFile],
    ) -> Result<bool, DbError>;
    async fn record_original(&self, id: ImageId, bytes: u64, sha256: &str)
        -> Result<bool, DbError>;
}
