//! Images and their variants.

use std::fmt::Debug;

use async_trait::async_trait;

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
/// - `images_by_owner` is newest first, keyset-paginated on (created_at, id).
/// - `complete_processing` and `fail_processing` only move an image that is `processing`; on any other
///   state they change nothing and return false (a redelivered job must not undo a later state).
/// - `delete_image` removes the image and enqueues `job` in one transaction; returns the deleted image.
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
    async fn update_image(&self, id: ImageId, patch: &ImagePatch)
        -> Result<Option<Image>, DbError>;
    async fn complete_processing(
        &self,
        id: ImageId,
        result: &ProcessedImage,
    ) -> Result<bool, DbError>;
    async fn fail_processing(&self, id: ImageId, failure: &Failure) -> Result<bool, DbError>;
    async fn delete_image(
        &self,
        id: ImageId,
        job: &OutboxMessage,
    ) -> Result<Option<Image>, DbError>;
    async fn add_variant_files(
        &self,
        id: ImageId,
        files: &[LateVariantFile],
    ) -> Result<bool, DbError>;
    async fn record_original(&self, id: ImageId, bytes: u64, sha256: &str)
        -> Result<bool, DbError>;
}
