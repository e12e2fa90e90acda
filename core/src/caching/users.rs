//! `CachedUserRepository`: an account's access facts through the cache.
//!
//! Every image request asks whether its owner's account is private and which image is its avatar; asked of
//! the database, that is one round trip per request for an answer that changes only when the owner edits
//! their profile. The wrapper keeps `AccessFacts` (never the whole `User`, whose counts other repositories
//! change) for `ttl`, and `update_profile` through it drops the entry, whether it succeeded or not. Another
//! process's edit is seen here within `ttl` when the cache is per process, at once when it is shared
//! (Redis). Only accounts that exist are cached, so a new account is never missed. Cache trouble is a miss.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;

use super::SourceRead;
use crate::domain::{AccessFacts, NewUser, OutboxMessage, ProfilePatch, User, UserId};
use crate::ports::{Cache, DbError, UserRepository};

/// A `UserRepository` that answers `access_facts` from a `Cache` for `ttl`; everything else goes through.
#[derive(Clone)]
pub struct CachedUserRepository {
    inner: Arc<dyn UserRepository>,
    cache: Arc<dyn Cache>,
    ttl: Duration,
}

impl std::fmt::Debug for CachedUserRepository {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedUserRepository")
            .field("cache", &self.cache.backend())
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl CachedUserRepository {
    pub fn new(inner: Arc<dyn UserRepository>, cache: Arc<dyn Cache>, ttl: Duration) -> Self {
        Self { inner, cache, ttl }
    }

    async fn forget(&self, id: UserId) {
        if let Err(err) = self.cache.delete(&cache_key(id)).await {
            tracing::warn!(user = %id, error = %err, "could not drop an account's cached access facts");
        }
    }
}

fn cache_key(id: UserId) -> String {
    format!("user:access:{id}")
}

#[async_trait]
impl UserRepository for CachedUserRepository {
    async fn create_user(&self, user: &NewUser) -> Result<User, DbError> {
        self.inner.create_user(user).await
    }

    async fn user_by_id(&self, id: UserId) -> Result<Option<User>, DbError> {
        self.inner.user_by_id(id).await
    }

    async fn user_by_username(&self, username: &str) -> Result<Option<User>, DbError> {
        self.inner.user_by_username(username).await
    }

    async fn credentials(&self, login: &str) -> Result<Option<(User, String)>, DbError> {
        self.inner.credentials(login).await
    }

    async fn set_password_hash(&self, id: UserId, password_hash: &str) -> Result<bool, DbError> {
        // Nothing cached holds the hash.
        self.inner.set_password_hash(id, password_hash).await
    }

    async fn users_by_ids(&self, ids: &[UserId]) -> Result<Vec<User>, DbError> {
        self.inner.users_by_ids(ids).await
    }

    async fn update_profile(
        &self,
        id: UserId,
        patch: &ProfilePatch,
        event: &OutboxMessage,
    ) -> Result<Option<User>, DbError> {
        let updated = self.inner.update_profile(id, patch, event).await;
        // Dropped after the write, even a failed one: a write that timed out may still have committed.
        self.forget(id).await;
        updated
    }

    async fn access_facts(&self, id: UserId) -> Result<Option<AccessFacts>, DbError> {
        let key = cache_key(id);
        match self.cache.get(&key).await {
            Ok(Some(bytes)) => {
                if let Ok(facts) = serde_json::from_slice::<AccessFacts>(&bytes) {
                    return Ok(Some(facts));
                }
            }
            Ok(None) => {}
            Err(err) => {
                tracing::debug!(user = %id, error = %err, "access facts cache read failed; reading the database");
            }
        }
        let read = SourceRead::start();
        let facts = self.inner.access_facts(id).await?;
        if let Some(facts) = &facts {
            if let Ok(json) = serde_json::to_vec(facts) {
                read.fill(&*self.cache, &key, Bytes::from(json), self.ttl)
                    .await;
            }
        }
        Ok(facts)
    }
}

#[cfg(test)]
#[path = "users_tests.rs"]
mod tests;
