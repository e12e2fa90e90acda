//! Refresh-token families.

use std::fmt::Debug;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

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

/// A session that can still go on: a refresh-token family holding a token that is unused, unrevoked and
/// unexpired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveSession {
    /// The family's id, which names the session (a UUIDv7 since sessions were named, so it sorts by start).
    pub id: Uuid,
    /// When its live token expires unless it is refreshed first.
    pub expires_at: DateTime<Utc>,
}

/// Refresh-token families.
///
/// # Contract
/// - `rotate_refresh_token` is atomic: of two concurrent calls with the same token, one rotates and the other
///   sees reuse. A used token presented again revokes the family (`ReuseDetected`), and every token of a
///   revoked family is `Invalid` from then on.
/// - `live_sessions` lists exactly the families of the user that hold a token still able to rotate at
///   `now`, by id descending, those below `before` only, at most `limit`.
/// - `revoke_session` revokes a family only if it belongs to `user` (another account's id changes nothing
///   and answers false, like an unknown one).
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
    async fn live_sessions(
        &self,
        user: UserId,
        now: DateTime<Utc>,
        before: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<LiveSession>, DbError>;
    /// Revokes `user`'s session `id`; false when no live session of theirs has that id.
    async fn revoke_session(
        &self,
        user: UserId,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<bool, DbError>;
}
