//! Accounts.

use std::fmt::Debug;

use async_trait::async_trait;

use super::DbError;
use crate::domain::{NewUser, User, UserId};

/// Accounts.
///
/// # Contract
/// - Usernames and emails are unique (compared as stored: both are lowercase). `create_user` answers
///   `Conflict(Conflict::Username)` or `Conflict(Conflict::Email)` and writes nothing.
/// - Lookups lowercase what they are given, so a caller passing raw input still finds the account.
#[async_trait]
pub trait UserRepository: Send + Sync + Debug {
    async fn create_user(&self, user: &NewUser) -> Result<User, DbError>;
    async fn user_by_id(&self, id: UserId) -> Result<Option<User>, DbError>;
    async fn user_by_username(&self, username: &str) -> Result<Option<User>, DbError>;
    /// The user and their password hash, by username or email.
    async fn credentials(&self, login: &str) -> Result<Option<(User, String)>, DbError>;
}
