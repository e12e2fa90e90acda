//! The one error type of the use-case layer. Each variant has a stable code; `server` picks the HTTP status.

use std::error::Error;
use std::fmt;

use crate::domain::ValidationError;
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
    /// The database failed (`Unavailable` or `Other`); the source keeps the whole cause for the log.
    #[error("the database failed")]
    Database(#[source] DbError),
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
            Self::Database(DbError::Unavailable(_)) => "service_unavailable",
            Self::Database(_) => "internal_error",
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
            StorageError::Unavailable(msg) => Self::Unavailable(format!("storage: {msg}")),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<QueueError> for ServiceError {
    fn from(err: QueueError) -> Self {
        match err {
            QueueError::Unavailable(msg) => Self::Unavailable(format!("queue: {msg}")),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<CacheError> for ServiceError {
    fn from(err: CacheError) -> Self {
        Self::Internal(err.to_string())
    }
}

impl ServiceError {
    /// Whether a backend could not serve the request now (503 rather than 500).
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            Self::Unavailable(_) | Self::Database(DbError::Unavailable(_))
        )
    }
}

/// An error and every source under it, `: `-separated, for a log line that shows the whole cause.
#[derive(Debug, Clone, Copy)]
pub struct ErrorChain<'a>(pub &'a (dyn Error + 'static));

impl fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::Conflict;

    #[test]
    fn database_errors_keep_their_cause_and_code() {
        let err = ServiceError::from(DbError::unavailable(std::io::Error::other(
            "connection refused",
        )));
        assert_eq!(err.code(), "service_unavailable");
        assert!(err.is_unavailable());
        assert_eq!(
            ErrorChain(&err).to_string(),
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
}
