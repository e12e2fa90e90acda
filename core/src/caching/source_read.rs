//! `SourceRead`: a read of the repository behind a cache, which may fill the cache with what it read.

use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::ports::{Cache, FILL_GUARD};

/// The longest a read may take and still fill the cache. A fifth of the guard: the rest is margin for the
/// fill's own trip to the cache and for a writer's delete that lands a little after its commit.
const FRESH_FOR: Duration = Duration::from_secs(FILL_GUARD.as_secs() / 5);

/// Started just before reading the repository on a miss; `fill` stores what was read unless a write may
/// have raced with the read (see `FILL_GUARD`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct SourceRead {
    started: Instant,
}

impl SourceRead {
    pub(crate) fn start() -> Self {
        Self {
            started: Instant::now(),
        }
    }

    /// Whether the read is recent enough to fill the cache at all.
    pub(crate) fn fresh(&self) -> bool {
        self.started.elapsed() < FRESH_FOR
    }

    /// Stores `value` under `key` when the read is fresh and no write deleted the key since (or just
    /// before) it began; answers whether it stored. Cache trouble is only logged: the next read misses.
    pub(crate) async fn fill(
        &self,
        cache: &dyn Cache,
        key: &str,
        value: Bytes,
        ttl: Duration,
    ) -> bool {
        if !self.fresh() {
            return false;
        }
        match cache.fill(key, value, ttl).await {
            Ok(stored) => stored,
            Err(err) => {
                tracing::debug!(key, error = %err, "cache fill failed");
                false
            }
        }
    }
}
