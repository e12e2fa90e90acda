//! The cache port: small, hot, disposable bytes with a time to live.

use std::fmt::Debug;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;

use super::BoxError;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CacheError {
    /// Worth trying again later: the backend is unreachable, overloaded or refused us for now.
    #[error("cache unavailable: {message}")]
    Unavailable {
        message: String,
        source: Option<BoxError>,
    },
    #[error("cache error: {message}")]
    Other {
        message: String,
        source: Option<BoxError>,
    },
}

super::source::cause_constructors!(CacheError);

/// How long a `delete` keeps `fill` from storing its key again.
///
/// Cache-aside reads race with writes: a reader misses, reads the database, a writer commits and deletes the
/// key, and then the reader stores what it read before the write, which every later reader would be served
/// until the TTL ran out. A reader fills with `fill` instead of `set`, and only when its database read began
/// less than `FILL_GUARD` ago (with a margin: see `caching::SourceRead`), so a fill based on a read older
/// than a racing write always finds that write's guard still there.
pub const FILL_GUARD: Duration = Duration::from_secs(5);

/// A key-value cache.
///
/// # Contract
///
/// - `get` after `set` returns the value until `ttl` has passed or `delete` was called; after that, `None`.
///   A cache may forget a value earlier (eviction), never keep it past its TTL or a `delete`.
/// - `set` replaces any earlier value and TTL. `delete` of a missing key succeeds.
/// - `fill` stores like `set`, but only into a key that holds no value and was not deleted in the last
///   `FILL_GUARD`; it answers whether it stored. `set` is not held back by a delete.
/// - Callers treat every error as a miss: a cache is never the only copy of anything.
#[async_trait]
pub trait Cache: Send + Sync + Debug {
    fn backend(&self) -> &'static str;

    async fn get(&self, key: &str) -> Result<Option<Bytes>, CacheError>;

    async fn set(&self, key: &str, value: Bytes, ttl: Duration) -> Result<(), CacheError>;

    async fn delete(&self, key: &str) -> Result<(), CacheError>;

    async fn fill(&self, key: &str, value: Bytes, ttl: Duration) -> Result<bool, CacheError>;

    async fn ping(&self) -> Result<(), CacheError>;
}
