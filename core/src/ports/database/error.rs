//! The database port's one error enum. Adapters translate their vendor's errors into it themselves, keeping
//! the vendor error as the source so that a log line shows the whole chain.

use std::fmt;

use crate::ports::source::BoxError;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DbError {
    #[error("not found")]
    NotFound,
    /// A uniqueness rule was broken: which one is typed, so callers can tell a taken username from a taken
    /// email without reading strings.
    #[error("already exists: {0}")]
    Conflict(Conflict),
    /// The database cannot serve us now (unreachable, overloaded, locked): worth retrying later.
    #[error("database unavailable")]
    Unavailable(#[source] BoxError),
    /// Anything else: a bug, corrupt data, a refused statement.
    #[error("database error")]
    Other(#[source] BoxError),
}

impl DbError {
    /// `Unavailable` with `cause` (an error, or a message when there is no error to keep).
    pub fn unavailable(cause: impl Into<BoxError>) -> Self {
        Self::Unavailable(cause.into())
    }

    /// `Other` with `cause` (an error, or a message when there is no error to keep).
    pub fn other(cause: impl Into<BoxError>) -> Self {
        Self::Other(cause.into())
    }
}

/// The uniqueness rule a write broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Conflict {
    /// Another account has this username (compared lowercase).
    Username,
    /// Another account has this email (compared lowercase).
    Email,
    /// A user with this id exists.
    UserId,
    /// An image with this id exists.
    ImageId,
    /// The owner already used this idempotency key (adapters normally answer a replay instead).
    IdempotencyKey,
    /// A refresh token with this hash exists.
    RefreshToken,
    /// An outbox message with this id exists.
    OutboxId,
}

impl Conflict {
    /// The rule's stable name: the field for those a client can fix (`username`, `email`), `table.column`
    /// for the rest.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Username => "username",
            Self::Email => "email",
            Self::UserId => "users.id",
            Self::ImageId => "images.id",
            Self::IdempotencyKey => "images.idempotency_key",
            Self::RefreshToken => "refresh_tokens.token_hash",
            Self::OutboxId => "outbox.id",
        }
    }
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error;

    #[test]
    fn causes_are_kept_as_sources() {
        let err = DbError::unavailable(std::io::Error::other("connection refused"));
        assert_eq!(err.to_string(), "database unavailable");
        assert_eq!(
            err.source().map(ToString::to_string).as_deref(),
            Some("connection refused")
        );
        let err = DbError::other("corrupt uuid");
        assert_eq!(err.source().unwrap().to_string(), "corrupt uuid");
        assert_eq!(
            DbError::Conflict(Conflict::Email).to_string(),
            "already exists: email"
        );
    }
}
