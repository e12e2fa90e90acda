//! `TwoLevelCache`: moka in front of Redis. Reads are served from process memory when they can be, which
//! saves a round trip for hot keys; the contract (never keep a value past its TTL or a `delete`) still holds
//! across replicas because every write and delete is announced on `{prefix}:invalidate`, and every replica
//! drops its copy of an announced key (see `coherence` for why no copy survives a racing change).
//!
//! What a replica may serve from memory is bounded three ways: by what Redis had left of the TTL when the
//! copy was made, by the local TTL (a couple of seconds: the longest another replica's change can go
//! unseen if an announcement is lost without the subscription failing), and by the announcements. A change
//! made through this replica is seen by its next read at once; one made through another replica as soon as
//! the announcement arrives (a network hop).

mod coherence;
mod subscriber;

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bytes::Bytes;
use darkroom_core::ports::{Cache, CacheError};

use self::coherence::Coherence;
use self::subscriber::{channel, Subscriber};
use super::{bounded, RedisCache};

/// A Redis cache with a coherent in-process tier in front of it.
#[derive(Debug)]
pub struct TwoLevelCache {
    redis: RedisCache,
    coherence: Arc<Coherence>,
    local_ttl: Duration,
    _subscriber: Subscriber,
}

impl TwoLevelCache {
    /// How long a local copy is kept at most (less when Redis has less left).
    pub const DEFAULT_LOCAL_TTL: Duration = Duration::from_secs(2);

    /// Connects to Redis as `RedisCache::from_url` does (same URL), with a local tier of about
    /// `local_max_bytes` and the default local TTL.
    pub async fn from_url(url: &str, local_max_bytes: u64) -> Result<Self, CacheError> {
        let redis = RedisCache::from_url(url).await?;
        Self::new(local_max_bytes, redis).await
    }

    /// Puts a local tier of about `local_max_bytes` in front of `redis`, with the default local TTL.
    /// Subscribes to the namespace's invalidations before returning.
    pub async fn new(local_max_bytes: u64, redis: RedisCache) -> Result<Self, CacheError> {
        Self::with_local_ttl(local_max_bytes, redis, Self::DEFAULT_LOCAL_TTL).await
    }

    /// As `new`, with local copies living at most `local_ttl`.
    pub async fn with_local_ttl(
        local_max_bytes: u64,
        redis: RedisCache,
        local_ttl: Duration,
    ) -> Result<Self, CacheError> {
        let coherence = Arc::new(Coherence::new(local_max_bytes));
        let subscriber = Subscriber::start(redis.clone(), coherence.clone()).await?;
        Ok(Self {
            redis,
            coherence,
            local_ttl,
            _subscriber: subscriber,
        })
    }

    /// The Redis tier (for `clear`, say).
    pub fn redis(&self) -> &RedisCache {
        &self.redis
    }

    /// Runs a write or delete of `key` with its announcement, then drops the local copy, whether or not the
    /// write went through (after an error Redis may or may not hold the new value).
    async fn write(&self, mut pipe: ::redis::Pipeline, key: &str) -> Result<(), CacheError> {
        pipe.cmd("PUBLISH")
            .arg(channel(&self.redis))
            .arg(key)
            .ignore();
        let written = self.redis.exec(&pipe).await;
        self.coherence.invalidate(key).await;
        written
    }

    /// The value under `key` and how long it has left (`None`: no expiry), read atomically.
    async fn get_with_ttl(
        &self,
        key: &str,
    ) -> Result<Option<(Bytes, Option<Duration>)>, CacheError> {
        let key = self.redis.key(key);
        let (value, pttl): (Option<Vec<u8>>, i64) = bounded(
            ::redis::pipe()
                .atomic()
                .cmd("GET")
                .arg(&key)
                .cmd("PTTL")
                .arg(&key)
                .query_async(&mut self.redis.connection.clone()),
        )
        .await?;
        // PTTL answers -1 for a key without expiry (never written by us) and -2 for a missing one.
        let left = u64::try_from(pttl).ok().map(Duration::from_millis);
        Ok(value.map(|value| (Bytes::from(value), left)))
    }
}

#[async_trait]
impl Cache for TwoLevelCache {
    fn backend(&self) -> &'static str {
        "redis+memory"
    }

    async fn get(&self, key: &str) -> Result<Option<Bytes>, CacheError> {
        if let Some(value) = self.coherence.get(key).await {
            return Ok(Some(value));
        }
        let stamp = self.coherence.stamp(key);
        let asked = Instant::now();
        let found = self.get_with_ttl(key).await?;
        if let Some((value, left)) = &found {
            // What Redis had left, counted from before we asked: the copy cannot outlive the original.
            let ttl = left
                .map_or(self.local_ttl, |left| left.saturating_sub(asked.elapsed()))
                .min(self.local_ttl);
            self.coherence.fill(key, value.clone(), ttl, stamp).await;
        }
        Ok(found.map(|(value, _)| value))
    }

    async fn set(&self, key: &str, value: Bytes, ttl: Duration) -> Result<(), CacheError> {
        // Not copied locally here: copies only come from Redis reads, which is what lets `coherence`
        // order them against concurrent changes. The next read fills it.
        let mut pipe = ::redis::pipe();
        self.redis.push_set(&mut pipe, key, &value, ttl);
        self.write(pipe, key).await
    }

    async fn delete(&self, key: &str) -> Result<(), CacheError> {
        let mut pipe = ::redis::pipe();
        self.redis.push_delete(&mut pipe, key);
        self.write(pipe, key).await
    }

    async fn fill(&self, key: &str, value: Bytes, ttl: Duration) -> Result<bool, CacheError> {
        // Nothing to announce: a fill only lands in a key Redis holds no value under, and no replica keeps
        // a copy of a key past Redis's own (copies are cut to what Redis had left, and deletes announced).
        self.redis.fill_key(key, &value, ttl).await
    }

    async fn ping(&self) -> Result<(), CacheError> {
        self.redis.ping().await
    }
}
