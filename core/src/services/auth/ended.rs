//! Sessions that have ended (logout, reuse of a rotated refresh token) before their access tokens expired.
//! Kept in the cache for as long as such a token can live, so every request checks a cache entry rather
//! than the database; with a shared cache (Redis) an end is seen by every replica on their next request.
//! A cache that evicts the entry early lets the session's access tokens live out their (short) lifetime,
//! as they did before sessions were named: the refresh tokens, in the database, are revoked regardless.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use uuid::Uuid;

use crate::ports::Cache;

#[derive(Debug, Clone)]
pub struct EndedSessions {
    cache: Arc<dyn Cache>,
    /// How long an access token lives, and a little more for the verifier's leeway.
    remember: Duration,
}

impl EndedSessions {
    pub fn new(cache: Arc<dyn Cache>, access_ttl: Duration) -> Self {
        Self {
            cache,
            remember: access_ttl + Duration::from_secs(30),
        }
    }

    fn key(session: Uuid) -> String {
        format!("session:ended:{}", session.simple())
    }

    pub async fn end(&self, session: Uuid) {
        if let Err(error) = self
            .cache
            .set(&Self::key(session), Bytes::from_static(b"1"), self.remember)
            .await
        {
            tracing::warn!(%error, %session, "could not record an ended session; its access tokens live until they expire");
        }
    }

    /// Whether the session has ended; a cache that cannot answer counts as "not ended".
    pub async fn has_ended(&self, session: Uuid) -> bool {
        matches!(self.cache.get(&Self::key(session)).await, Ok(Some(_)))
    }
}
