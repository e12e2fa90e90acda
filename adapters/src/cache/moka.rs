//! The cache port in process memory with moka: bounded by bytes, not entries, with a TTL per entry.

use std::time::{Duration, Instant};

use ::moka::future::Cache as Moka;
use ::moka::Expiry;
use async_trait::async_trait;
use bytes::Bytes;
use darkroom_core::ports::{Cache, CacheError, FILL_GUARD};

/// Longest TTL honoured. Longer ones are cut to this: a cache may forget early, and moka's timer wheel is
/// not meant for centuries.
const MAX_TTL: Duration = Duration::from_secs(365 * 24 * 3600);

#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub value: Bytes,
    pub ttl: Duration,
}

/// Each entry expires `ttl` after it was written; reading does not extend it, and overwriting restarts it.
#[derive(Debug)]
pub(crate) struct PerEntryTtl;

impl Expiry<String, Entry> for PerEntryTtl {
    fn expire_after_create(&self, _key: &String, entry: &Entry, _at: Instant) -> Option<Duration> {
        Some(entry.ttl)
    }

    fn expire_after_update(
        &self,
        _key: &String,
        entry: &Entry,
        _at: Instant,
        _remaining: Option<Duration>,
    ) -> Option<Duration> {
        Some(entry.ttl)
    }
}

/// Deleted keys remembered for `fill` (see `FILL_GUARD`): enough for a burst of deletes far beyond what one
/// process writes in the guard's few seconds. Evicting one early only reopens its key to a racing fill.
const DELETED_KEYS: u64 = 256 * 1024;

/// An in-process cache holding at most about `max_bytes` of keys and values.
#[derive(Debug, Clone)]
pub struct MokaCache {
    inner: Moka<String, Entry>,
    /// Keys deleted in the last `FILL_GUARD`, which `fill` leaves alone.
    deleted: Moka<String, ()>,
}

impl MokaCache {
    pub fn new(max_bytes: u64) -> Self {
        let inner = Moka::builder()
            .name("darkroom")
            .max_capacity(max_bytes)
            // Weighed in bytes so that one large variant counts for what it holds. Entries over 4 GiB
            // saturate the weight (and never fit a sensible capacity anyway).
            .weigher(|key: &String, entry: &Entry| {
                u32::try_from(key.len() + entry.value.len()).unwrap_or(u32::MAX)
            })
            .expire_after(PerEntryTtl)
            .build();
        let deleted = Moka::builder()
            .max_capacity(DELETED_KEYS)
            .time_to_live(FILL_GUARD)
            .build();
        Self { inner, deleted }
    }
}

#[async_trait]
impl Cache for MokaCache {
    fn backend(&self) -> &'static str {
        "memory"
    }

    async fn get(&self, key: &str) -> Result<Option<Bytes>, CacheError> {
        Ok(self.inner.get(key).await.map(|entry| entry.value))
    }

    async fn set(&self, key: &str, value: Bytes, ttl: Duration) -> Result<(), CacheError> {
        self.inner
            .insert(
                key.to_owned(),
                Entry {
                    value,
                    ttl: ttl.min(MAX_TTL),
                },
            )
            .await;
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), CacheError> {
        // The guard goes up before the value goes: a `fill` that inserts after the invalidation then
        // finds it on its second look.
        self.deleted.insert(key.to_owned(), ()).await;
        self.inner.invalidate(key).await;
        Ok(())
    }

    async fn fill(&self, key: &str, value: Bytes, ttl: Duration) -> Result<bool, CacheError> {
        if ttl.is_zero() || self.deleted.contains_key(key) {
            return Ok(false);
        }
        let entry = Entry {
            value,
            ttl: ttl.min(MAX_TTL),
        };
        let inserted = self
            .inner
            .entry(key.to_owned())
            .or_insert(entry)
            .await
            .is_fresh();
        // A delete that ran between the first look and the insert has invalidated before the insert (so
        // the value would stay) but raised its guard before this look: take the value back out.
        if inserted && self.deleted.contains_key(key) {
            self.inner.invalidate(key).await;
            return Ok(false);
        }
        Ok(inserted)
    }

    async fn ping(&self) -> Result<(), CacheError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[tokio::test]
    async fn capacity_is_counted_in_bytes() {
        let cache = MokaCache::new(10 * 1024);
        for i in 0..100 {
            cache
                .set(
                    &format!("k{i}"),
                    Bytes::from(vec![0u8; 1024]),
                    Duration::from_secs(60),
                )
                .await
                .unwrap();
        }
        cache.inner.run_pending_tasks().await;
        assert!(
            cache.inner.weighted_size() <= 10 * 1024,
            "{}",
            cache.inner.weighted_size()
        );
        assert!(cache.inner.entry_count() <= 10);
        assert_eq!(cache.backend(), "memory");
    }

    #[tokio::test]
    async fn huge_ttls_are_accepted() {
        let cache = MokaCache::new(1024);
        cache
            .set("k", Bytes::from_static(b"v"), Duration::MAX)
            .await
            .unwrap();
        assert_eq!(
            cache.get("k").await.unwrap(),
            Some(Bytes::from_static(b"v"))
        );
    }
}
