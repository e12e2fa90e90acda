//! Whether the account an access token names still exists. A token stays validly signed after its account
//! is gone (deleted, or a data dir reset under the same key), and every write it made would then fail deep
//! in a backend (a foreign-key 500). Checked once per account per `ttl` through the cache, not per request.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use crate::domain::UserId;
use crate::ports::{Cache, UserRepository};
use crate::services::ServiceError;

#[derive(Debug, Clone)]
pub struct LiveAccounts {
    users: Arc<dyn UserRepository>,
    cache: Arc<dyn Cache>,
    ttl: Duration,
}

impl LiveAccounts {
    pub fn new(users: Arc<dyn UserRepository>, cache: Arc<dyn Cache>, ttl: Duration) -> Self {
        Self { users, cache, ttl }
    }

    fn key(user: UserId) -> String {
        format!("account:live:{}", user.0)
    }

    /// True when the account exists. Only a positive answer is cached, so a new account is never refused;
    /// a removed account is refused at most `ttl` after its removal.
    pub async fn is_live(&self, user: UserId) -> Result<bool, ServiceError> {
        let key = Self::key(user);
        if let Ok(Some(_)) = self.cache.get(&key).await {
            return Ok(true);
        }
        let live = self.users.user_by_id(user).await?.is_some();
        if live {
            // A cache that fails only costs the next request another read.
            let _ = self
                .cache
                .set(&key, Bytes::from_static(b"1"), self.ttl)
                .await;
        }
        Ok(live)
    }
}
