//! Refresh-token families.

use std::fmt::Debug;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::DbError;
use crate::domain::{RefreshToken, UserId};

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

/// Refresh-token families.
///
/// # Contract
/// - `rotate_refresh_token` is atomic: of two concurrent calls with the same token, one rotates and the other
///   sees reuse. A used token presented again revokes the family (`ReuseDetected`), and every token of a
///   revoked family is `Invalid` from then on.
#[async_trait]
pub trait SessionRepository: Send + Sync + Debug {
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
