//! Resumable uploads and their parts.

use std::fmt::Debug;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::DbError;
use crate::domain::{Upload, UploadId, UploadPart, UploadStatus};

/// Resumable uploads (the aggregate: an upload and its parts).
///
/// # Contract
/// - `create_upload` records a new upload with no parts; an existing id is an error.
/// - `upload` reads one; `upload_parts` its parts in number order (none for an unknown upload).
/// - `put_upload_part` records a part of an `Open` upload, replacing the part of the same number when there
///   is one, and answers `true`; an upload that is unknown or no longer `Open` records nothing: `false`.
/// - `set_upload_status` moves an upload from `from` to `to` only when it is in `from`, and says whether it
///   did: of two concurrent callers with the same `from`, exactly one succeeds.
/// - `delete_upload` removes the upload and all its parts; `false` when there was none.
/// - `expired_uploads` returns up to `limit` uploads whose `expires_at` is before `now`, whatever their
///   status, soonest expired first.
#[async_trait]
pub trait UploadRepository: Send + Sync + Debug {
    async fn create_upload(&self, upload: &Upload) -> Result<(), DbError>;
    async fn upload(&self, id: UploadId) -> Result<Option<Upload>, DbError>;
    async fn upload_parts(&self, id: UploadId) -> Result<Vec<UploadPart>, DbError>;
    async fn put_upload_part(&self, id: UploadId, part: &UploadPart) -> Result<bool, DbError>;
    async fn set_upload_status(
        &self,
        id: UploadId,
        from: UploadStatus,
        to: UploadStatus,
    ) -> Result<bool, DbError>;
    async fn delete_upload(&self, id: UploadId) -> Result<bool, DbError>;
    async fn expired_uploads(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Upload>, DbError>;
}
