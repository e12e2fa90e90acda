//! Whether the account an access token names still exists. A token stays validly signed after its account
//! is gone (deleted, or a data dir reset under the same key), and every write it made would then fail deep
//! in a backend (a foreign-key 500). Asked on every authenticated request, so the composition root gives it
//! a cache-backed repository (`CachedUserRepository`): a removed account is refused at most that cache's
//! time-to-live after its removal, and a new one is never refused (only accounts that exist are cached).

use std::sync::Arc;

use crate::domain::UserId;
use crate::ports::UserRepository;
use crate::services::ServiceError;

#[derive(Debug, Clone)]
pub struct LiveAccounts {
    users: Arc<dyn UserRepository>,
}

impl LiveAccounts {
    pub fn new(users: Arc<dyn UserRepository>) -> Self {
        Self { users }
    }

    /// True when the account exists.
    pub async fn is_live(&self, user: UserId) -> Result<bool, ServiceError> {
        Ok(self.users.access_facts(user).await?.is_some())
    }
}
