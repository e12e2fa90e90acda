//! Accounts.

use std::fmt::Debug;

use async_trait::async_trait;

use super::DbError;
use crate::domain::{AccessFacts, NewUser, OutboxMessage, ProfilePatch, User, UserId};

/// Accounts.
///
/// # Contract
/// - Usernames and emails are unique (compared as stored: both are lowercase). `create_user` answers
///   `Conflict(Conflict::Username)` or `Conflict(Conflict::Email)` and writes nothing. The user and its
///   `event` (the outbox row `NewUser::event`) are written in one transaction.
/// - A new user is public (`is_private` false), with no avatar and every count zero.
/// - Lookups lowercase what they are given, so a caller passing raw input still finds the account.
#[async_trait]
pub trait UserRepository: Send + Sync + Debug {
    async fn create_user(&self, user: &NewUser) -> Result<User, DbError>;
    async fn user_by_id(&self, id: UserId) -> Result<Option<User>, DbError>;
    async fn user_by_username(&self, username: &str) -> Result<Option<User>, DbError>;
    /// The user and their password hash, by username or email.
    async fn credentials(&self, login: &str) -> Result<Option<(User, String)>, DbError>;
    /// Replaces the user's password hash; false when there is no such user.
    async fn set_password_hash(&self, id: UserId, password_hash: &str) -> Result<bool, DbError>;
    /// The users that exist among `ids`, in any order.
    async fn users_by_ids(&self, ids: &[UserId]) -> Result<Vec<User>, DbError>;
    /// What access decisions need of the account; `None` when there is no such account. Provided from
    /// `user_by_id`, so no backend implements it: it exists so that `CachedUserRepository` can answer the
    /// question every image request asks from memory.
    async fn access_facts(&self, id: UserId) -> Result<Option<AccessFacts>, DbError> {
        Ok(self.user_by_id(id).await?.as_ref().map(AccessFacts::of))
    }
    /// Applies `patch` and writes `event` in one transaction, and answers the user as it now is; `None`
    /// (writing nothing) when there is no such user.
    async fn update_profile(
        &self,
        id: UserId,
        patch: &ProfilePatch,
        event: &OutboxMessage,
    ) -> Result<Option<User>, DbError>;
}
