//! The one error type of the use-case layer. Each variant has a stable code; `server` picks the HTTP status.

use crate::domain::ValidationError;
use crate::ports::source::chain;
use crate::ports::{CacheError, DbError, QueueError, StorageError};

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
            Self::Internal(_) => "internal_error",
        }
    }
}

impl From<DbError> for ServiceError {
    fn from(err: DbError) -> Self {
        match err {
            DbError::NotFound => Self::NotFound,
            DbError::AlreadyExists(what) => Self::Taken(what),
            DbError::Unavailable(msg) => Self::Unavailable(format!("database: {msg}")),
            other => Self::Internal(other.to_string()),
        }
    }
}

// The service errors carry text, so a storage, queue or cache error is flattened with its whole chain of
// sources: the log line of a 500 or 503 then names the vendor's own error (the client never sees it).
impl From<StorageError> for ServiceError {
    fn from(err: StorageError) -> Self {
        match err {
            StorageError::NotFound(_) => Self::NotFound,
            StorageError::Unavailable { .. } => {
                Self::Unavailable(format!("storage: {}", chain(&err)))
            }
            other => Self::Internal(chain(&other)),
        }
    }
}

impl From<QueueError> for ServiceError {
    fn from(err: QueueError) -> Self {
        match err {
            QueueError::Unavailable { .. } => Self::Unavailable(format!("queue: {}", chain(&err))),
            other => Self::Internal(chain(&other)),
        }
    }
}

impl From<CacheError> for ServiceError {
    fn from(err: CacheError) -> Self {
        Self::Internal(chain(&err))
    }
}
