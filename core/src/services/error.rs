//! The one error type of the use-case layer. Each variant has a stable code; `server` picks the HTTP status.

use crate::domain::ValidationError;
use crate::ports::{CacheError, DbError, QueueError, SearchError, StorageError};

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceError {
    #[error(transparent)]
    Validation(#[from] ValidationError),
    #[error("invalid login or password")]
    InvalidCredentials,
    #[error("missing, invalid or expired token")]
    Unauthenticated,
    #[error("{0} is already taken")]
    Taken(String),
    #[error("not found")]
    NotFound,
    #[error("the image is not ready yet")]
    NotReady,
    /// The body is not in a format this build decodes; `detail` names what was seen.
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("the upload exceeds the limit of {limit} bytes")]
    PayloadTooLarge { limit: u64 },
    #[error("the request body was empty")]
    EmptyBody,
    #[error("the upload was interrupted: {0}")]
    UploadInterrupted(String),
    #[error("this idempotency key was already used with a different body")]
    IdempotencyKeyReused,
    #[error("a backend is unavailable: {0}")]
    Unavailable(String),
    /// Too much of a bounded resource (such as password hashing) is in use; try again shortly.
    #[error("the server is busy; try again shortly")]
    Busy,
    /// The database failed (`Unavailable` or `Other`); the source keeps the whole cause for the log.
    #[error("the database failed")]
    Database(#[source] DbError),
    /// Storage failed; the source keeps the whole cause for the log.
    #[error("storage failed")]
    Storage(#[source] StorageError),
    /// The queue failed; the source keeps the whole cause for the log.
    #[error("the queue failed")]
    Queue(#[source] QueueError),
    /// The cache failed (callers normally treat that as a miss; this is for those that cannot).
    #[error("the cache failed")]
    Cache(#[source] CacheError),
    /// The search index failed; the source keeps the whole cause for the log.
    #[error("search failed")]
    Search(#[source] SearchError),
    /// The request asks for something the current state forbids (following yourself, a post with
    /// images that are not ready).
    #[error("{0}")]
    Rejected(String),
    /// A transformation URL's signature is missing, altered or truncated while a key is configured.
    #[error("the signature does not match the path")]
    BadSignature,
    /// A transformation's options are malformed or outside the policy; the detail says which.
    #[error("{0}")]
    InvalidTransform(String),
    /// An edit's operations are malformed, outside their ranges or impossible on the image; the detail
    /// names the step (`operations[2]: …`).
    #[error("{0}")]
    InvalidEdit(String),
    /// A part's bytes do not match the checksum its request carried; nothing was recorded.
    #[error("{0}")]
    ChecksumMismatch(String),
    #[error("a part may be at most {limit} bytes")]
    PartTooLarge { limit: u64 },
    /// The upload is being completed, or was: it takes no more parts.
    #[error("the upload is {0} and takes no more parts")]
    UploadNotOpen(String),
    /// The upload's parts are no longer in storage (its multipart upload was aborted outside the API: the
    /// janitor, a bucket lifecycle rule); it can never complete, and is removed. Start a new one.
    #[error("the upload's parts are gone from storage; start a new upload")]
    UploadPartsGone,
    /// The parts received do not make a whole upload (a gap, a short part, a size unlike the declared one).
    #[error("{0}")]
    UploadIncomplete(String),
    /// The original is in an archive class that must be restored before it is read; the restore is under
    /// way. Not a failure: ask again after `retry_after`.
    #[error("the original is being restored from the archive; try again later")]
    OriginalRestoring { retry_after: std::time::Duration },
    #[error("internal error: {0}")]
    Internal(String),
}

impl ServiceError {
    /// The stable, machine-readable code clients switch on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Validation(_) => "validation_failed",
            Self::InvalidCredentials => "invalid_credentials",
            Self::Unauthenticated => "unauthenticated",
            Self::Taken(_) => "already_exists",
            Self::NotFound => "not_found",
            Self::NotReady => "image_not_ready",
            Self::UnsupportedMediaType(_) => "unsupported_media_type",
            Self::PayloadTooLarge { .. } => "image_too_large",
            Self::EmptyBody => "empty_body",
            Self::UploadInterrupted(_) => "upload_interrupted",
            Self::IdempotencyKeyReused => "idempotency_key_reused",
            Self::Unavailable(_) => "service_unavailable",
            Self::Busy => "busy",
            Self::BadSignature => "invalid_signature",
            Self::InvalidTransform(_) => "invalid_transform",
            Self::InvalidEdit(_) => "invalid_edit",
            Self::Database(DbError::Unavailable(_)) => "service_unavailable",
            Self::Storage(StorageError::Unavailable { .. })
            | Self::Queue(QueueError::Unavailable { .. })
            | Self::Cache(CacheError::Unavailable { .. })
            | Self::Search(SearchError::Unavailable { .. }) => "service_unavailable",
            Self::Database(_)
            | Self::Storage(_)
            | Self::Queue(_)
            | Self::Cache(_)
            | Self::Search(_) => "internal_error",
            Self::Rejected(_) => "rejected",
            Self::ChecksumMismatch(_) => "checksum_mismatch",
            Self::PartTooLarge { .. } => "part_too_large",
            Self::UploadNotOpen(_) => "upload_not_open",
            Self::UploadIncomplete(_) => "upload_incomplete",
            Self::UploadPartsGone => "upload_parts_gone",
            Self::OriginalRestoring { .. } => "original_restoring",
            Self::Internal(_) => "internal_error",
        }
    }
}

impl From<DbError> for ServiceError {
    fn from(err: DbError) -> Self {
        match err {
            DbError::NotFound => Self::NotFound,
            DbError::Conflict(rule) => Self::Taken(rule.to_string()),
            other => Self::Database(other),
        }
    }
}

impl From<StorageError> for ServiceError {
    fn from(err: StorageError) -> Self {
        match err {
            StorageError::NotFound(_) => Self::NotFound,
            other => Self::Storage(other),
        }
    }
}

impl From<QueueError> for ServiceError {
    fn from(err: QueueError) -> Self {
        Self::Queue(err)
    }
}

impl From<SearchError> for ServiceError {
    fn from(err: SearchError) -> Self {
        Self::Search(err)
    }
}

impl From<CacheError> for ServiceError {
    fn from(err: CacheError) -> Self {
        Self::Cache(err)
    }
}

impl ServiceError {
    /// Whether a backend could not serve the request now (503 rather than 500).
    pub fn is_unavailable(&self) -> bool {
        self.code() == "service_unavailable"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::source::chain;
    use crate::ports::Conflict;

    #[test]
    fn database_errors_keep_their_cause_and_code() {
        let err = ServiceError::from(DbError::unavailable(std::io::Error::other(
            "connection refused",
        )));
        assert_eq!(err.code(), "service_unavailable");
        assert!(err.is_unavailable());
        assert_eq!(
            chain(&err),
            "the database failed: database unavailable: connection refused"
        );
        let err = ServiceError::from(DbError::other("corrupt uuid"));
        assert_eq!(
            (err.code(), err.is_unavailable()),
            ("internal_error", false)
        );
        let err = ServiceError::from(DbError::Conflict(Conflict::Email));
        assert_eq!(
            (err.code(), err.to_string().as_str()),
            ("already_exists", "email is already taken")
        );
        assert_eq!(ServiceError::from(DbError::NotFound).code(), "not_found");
    }

    #[test]
    fn storage_queue_and_cache_errors_keep_their_cause_and_code() {
        let refused = || std::io::Error::other("connection refused");
        let err = ServiceError::from(StorageError::unavailable_from("reading a blob", refused()));
        assert_eq!(
            (err.code(), err.is_unavailable()),
            ("service_unavailable", true)
        );
        assert!(
            chain(&err).ends_with("connection refused"),
            "{}",
            chain(&err)
        );
        let err = ServiceError::from(QueueError::other_from("publishing", refused()));
        assert_eq!(
            (err.code(), err.is_unavailable()),
            ("internal_error", false)
        );
        assert!(
            chain(&err).ends_with("connection refused"),
            "{}",
            chain(&err)
        );
        let err = ServiceError::from(CacheError::unavailable_from("get", refused()));
        assert_eq!(err.code(), "service_unavailable");
        assert_eq!(
            ServiceError::from(StorageError::NotFound("k".into())).code(),
            "not_found"
        );
    }
}
