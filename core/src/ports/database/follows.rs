//! The follow graph.

use std::fmt::Debug;

use async_trait::async_trait;

use super::DbError;
use crate::domain::{Follow, FollowState, OutboxMessage, Page, PageRequest, UserId};

/// What `follow` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowOutcome {
    /// The follow (or request) was written, with its event.
    Created(FollowState),
    /// One already existed, in this state: nothing was written.
    Existing(FollowState),
}

impl FollowOutcome {
    pub fn state(self) -> FollowState {
        match self {
            Self::Created(state) | Self::Existing(state) => state,
        }
    }
}

/// Who follows whom.
///
/// # Contract
/// - At most one follow per (follower, followee). `follow` writes `follow` and `event` in one transaction
///   when there is none, and answers `Existing` (writing nothing) when there is one, whatever its state.
/// - The counts on the users (`followers_count` of the followee, `following_count` of the follower) count
///   `Active` follows only, and move in the transaction that makes or unmakes one: they are exact under
///   any interleaving of concurrent calls.
/// - `unfollow` removes the follow or request and writes `event` in one transaction, and answers the state
///   it removed; with none, it writes nothing and answers `None`.
/// - `accept_follow` turns a `Requested` follow `Active` (its `created_at` becomes `at`) and writes `event`
///   in one transaction; it answers false, writing nothing, when there is no such request.
/// - `followers` and `following` list follows in one `state` newest first by (created_at, other user's
///   id), keyset-paginated: the cursor's id is the other user's.
/// - `follower_ids` lists the `Active` followers of `user` in id order, after `after`: it serves the
///   fan-out's batches and is stable while follows are made.
#[async_trait]
pub trait FollowRepository: Send + Sync + Debug {
    async fn follow(
        &self,
        follow: &Follow,
        event: &OutboxMessage,
    ) -> Result<FollowOutcome, DbError>;
    async fn unfollow(
        &self,
        follower: UserId,
        followee: UserId,
        event: &OutboxMessage,
    ) -> Result<Option<FollowState>, DbError>;
    async fn accept_follow(
        &self,
        follower: UserId,
        followee: UserId,
        at: chrono::DateTime<chrono::Utc>,
        event: &OutboxMessage,
    ) -> Result<bool, DbError>;
    async fn follow_state(
        &self,
        follower: UserId,
        followee: UserId,
    ) -> Result<Option<FollowState>, DbError>;
    /// Who follows `user` (or asked to), in `state`.
    async fn followers(
        &self,
        user: UserId,
        state: FollowState,
        page: PageRequest,
    ) -> Result<Page<Follow>, DbError>;
    /// Whom `user` follows (`Active` only).
    async fn following(&self, user: UserId, page: PageRequest) -> Result<Page<Follow>, DbError>;
    async fn follower_ids(
        &self,
        user: UserId,
        after: Option<UserId>,
        limit: u32,
    ) -> Result<Vec<UserId>, DbError>;
}
