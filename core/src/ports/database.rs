//! The database port: the metadata of the product. Split by aggregate into repository traits that
//! `Database` gathers, so that each adapter can implement them in files of their own.

use std::fmt::Debug;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::{
    Failure, Image, ImageId, ImagePatch, LateVariantFile, NewImage, NewUser, OutboxMessage, Page,
    PageRequest, ProcessedImage, RefreshToken, User, UserId,
};

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DbError {
    #[error("not found")]
    NotFound,
    /// A uniqueness rule was broken; the string names it (`username`, `email`, …).
    #[error("already exists: {0}")]
    AlreadyExists(String),
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Other(String),
}

/// What `create_image` did.
#[derive(Debug, Clone, PartialEq)]
pub enum CreateImageOutcome {
    Created,
    /// The owner already used this idempotency key: nothing was written; here is the image it made.
    IdempotentReplay(Box<Image>),
}

/// What presenting a refresh token did.
#[derive(Debug, Clone, PartialEq)]
pub enum RefreshOutcome {
    /// The token was valid and unused; it is now used and `replacement` stored in its family (the adapter
    /// takes `family_id` and `user_id` from the presented token, whatever `replacement` carries).
    Rotated { user_id: UserId },
    /// The token had been used before: its whole family is now revoked.
    ReuseDetected,
    /// Unknown, expired or revoked.
    Invalid,
}

/// Accounts.
///
/// # Contract
/// - Usernames and emails are unique (compared as stored: both are lowercase). `create_user` answers
///   `AlreadyExists("username")` or `AlreadyExists("email")` and writes nothing.
#[async_trait]
pub trait UserRepository: Send + Sync {
    async fn create_user(&self, user: &NewUser) -> Result<User, DbError>;
    async fn user_by_id(&self, id: UserId) -> Result<Option<User>, DbError>;
    async fn user_by_username(&self, username: &str) -> Result<Option<User>, DbError>;
    /// The user and their password hash, by username or email.
    async fn credentials(&self, login: &str) -> Result<Option<(User, String)>, DbError>;
}

/// Refresh-token families.
///
/// # Contract
/// - `rotate_refresh_token` is atomic: of two concurrent calls with the same token, one rotates and the other
///   sees reuse. A used token presented again revokes the family (`ReuseDetected`), and every token of a
///   revoked family is `Invalid` from then on.
#[async_trait]
pub trait SessionRepository: Send + Sync {
    async fn insert_refresh_token(&self, token: &RefreshToken) -> Result<(), DbError>;
    async fn rotate_refresh_token(
        &self,
        presented_hash: &str,
        replacement: &RefreshToken,
        now: DateTime<Utc>,
    ) -> Result<RefreshOutcome, DbError>;
    /// Revokes the family of this token; returns false when the token is unknown.
    async fn revoke_refresh_family(&self, token_hash: &str) -> Result<bool, DbError>;
}

/// Images and their variants.
///
/// # Contract
/// - `create_image` writes the image and the job in one transaction: both or neither. With an idempotency
///   key the owner already used, it writes nothing and answers `IdempotentReplay` with the earlier image.
/// - `images_by_owner` is newest first, keyset-paginated on (created_at, id).
/// - `complete_processing` and `fail_processing` only move an image that is `processing`; on any other
///   state they change nothing and return false (a redelivered job must not undo a later state).
/// - `delete_image` removes the image and enqueues `job` in one transaction; returns the deleted image.
/// - `add_variant_files` records encodings made after an image became `ready` (AVIF): each file joins the
///   variant of its name, unless that variant already has a file in its format (adding twice leaves one
///   file, the first); a file for a variant the image lacks is dropped (see `merge_variant_files`). It is
///   atomic against concurrent writes to the image, and returns true when the image is `ready` (whether or
///   not anything was new); on any other state, or no image, it changes nothing and returns false.
#[async_trait]
pub trait ImageRepository: Send + Sync {
    async fn create_image(
        &self,
        image: &NewImage,
        job: &OutboxMessage,
    ) -> Result<CreateImageOutcome, DbError>;
    async fn image(&self, id: ImageId) -> Result<Option<Image>, DbError>;
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
}

/// The transactional outbox, relayed to the queue.
///
/// # Contract
/// - `pending_outbox` returns messages oldest first; they stay pending until `mark_outbox_relayed`.
#[async_trait]
pub trait OutboxRepository: Send + Sync {
    async fn pending_outbox(&self, limit: usize) -> Result<Vec<OutboxMessage>, DbError>;
    async fn mark_outbox_relayed(&self, ids: &[Uuid]) -> Result<(), DbError>;
}

/// Everything the product stores, behind one handle.
#[async_trait]
pub trait Database:
    UserRepository + SessionRepository + ImageRepository + OutboxRepository + Send + Sync + Debug
{
    fn backend(&self) -> &'static str;
    async fn ping(&self) -> Result<(), DbError>;
}
