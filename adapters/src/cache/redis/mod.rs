//! The cache port on Redis, shared by every replica, and (`TwoLevelCache`, with the `memory-cache` feature
//! too) a moka tier in front of it that stays coherent across replicas through Redis pub/sub.
//!
//! Every key lives under `{prefix}:`, so several deployments (or test cases) share one Redis without seeing
//! each other, and `clear` can remove one namespace. Values are plain strings with a millisecond `PX` expiry;
//! a delete leaves a short-lived `{prefix}:deleted:{key}` behind, which `fill` respects.

mod errors;
#[cfg(feature = "memory-cache")]
mod two_level;
mod url;

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use ::redis::aio::{ConnectionManager, ConnectionManagerConfig};
use ::redis::{AsyncCommands, Client, Pipeline, Script};
use async_trait::async_trait;
use bytes::Bytes;
use darkroom_core::ports::{Cache, CacheError, FILL_GUARD};

use self::errors::cache_error;
use self::url::RedisUrl;

#[cfg(feature = "memory-cache")]
pub use self::two_level::TwoLevelCache;

/// How long one connection attempt may take; the first one (in `from_url`) fails the start after this.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// How long a command may take as a whole, waiting for a reconnection included: a cache that is slow is
/// worse than a miss, and callers treat errors as misses.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(2);
/// Retries of a lost connection (the redis crate waits a second or two first) before the commands waiting
/// on it fail; the next command starts another round.
const RECONNECT_ATTEMPTS: usize = 1;
const RECONNECT_DELAY_MS: u64 = 500;
/// Longest TTL honoured; longer ones are cut to it (a cache may forget early).
const MAX_TTL: Duration = Duration::from_secs(365 * 24 * 3600);
/// Keys asked for per `SCAN` round trip in `clear`.
const SCAN_BATCH: usize = 1000;

/// `fill`: stores ARGV[1] under KEYS[1] for ARGV[2] ms unless KEYS[1] holds a value or KEYS[2] (the key's
/// delete guard) exists; 1 when it stored. One script, so no delete lands between the look and the write.
const FILL_SCRIPT: &str = r"
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
if redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then return 1 end
return 0
";

/// A cache in Redis. Cloning is cheap and shares the connection.
#[derive(Clone)]
pub struct RedisCache {
    client: Client,
    connection: ConnectionManager,
    prefix: Arc<str>,
    fill_script: Script,
}

impl RedisCache {
    /// Connects to `redis://[user:password@]host[:port][/db][?prefix=NAME]` (`prefix` defaults to
    /// `darkroom`). The connection is made at once, so that a wrong address, password or database fails
    /// here, within seconds; later it reconnects by itself.
    pub async fn from_url(url: &str) -> Result<Self, CacheError> {
        let url = RedisUrl::parse(url)?;
        let client = Client::open(url.connect.as_str())
            .map_err(|e| CacheError::other_from("invalid redis url", e))?;
        let address = client.get_connection_info().addr.to_string();
        let unreachable = format!("cannot connect to redis at {address}");
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(CONNECT_TIMEOUT)
            .set_response_timeout(COMMAND_TIMEOUT)
            .set_number_of_retries(RECONNECT_ATTEMPTS)
            .set_max_delay(RECONNECT_DELAY_MS);
        // The manager retries its first connection too; the outer bound keeps a black-holed host from
        // holding the start for the sum of every attempt.
        let connection = tokio::time::timeout(
            CONNECT_TIMEOUT * 2,
            ConnectionManager::new_with_config(client.clone(), config),
        )
        .await
        .map_err(|_| {
            CacheError::unavailable(format!(
                "{unreachable}: no answer within {:?}",
                CONNECT_TIMEOUT * 2
            ))
        })?
        .map_err(|e| CacheError::unavailable_from(unreachable.clone(), e))?;
        Ok(Self {
            client,
            connection,
            prefix: url.prefix.into(),
            fill_script: Script::new(FILL_SCRIPT),
        })
    }

    /// Nothing to create in Redis; here so every adapter starts the same way.
    pub async fn migrate(&self) -> Result<(), CacheError> {
        Ok(())
    }

    /// A rate limiter on this cache's connection and under its namespace.
    pub fn rate_limiter(&self) -> crate::rate_limit::RedisRateLimiter {
        crate::rate_limit::RedisRateLimiter::new(self.connection.clone(), &self.prefix)
    }

    /// The namespace every key of this cache lives under.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Removes every key of this cache's namespace (and nothing else); returns how many there were.
    /// `SCAN` walks the keyspace in batches, so this never blocks Redis the way `KEYS` would.
    pub async fn clear(&self) -> Result<u64, CacheError> {
        let mut connection = self.connection.clone();
        let pattern = format!("{}:*", self.prefix);
        let mut cursor = 0u64;
        let mut removed = 0u64;
        loop {
            let (next, keys): (u64, Vec<Vec<u8>>) = bounded(
                ::redis::cmd("SCAN")
                    .arg(cursor)
                    .arg("MATCH")
                    .arg(&pattern)
                    .arg("COUNT")
                    .arg(SCAN_BATCH)
                    .query_async(&mut connection),
            )
            .await?;
            if !keys.is_empty() {
                let gone: u64 = bounded(connection.unlink(keys)).await?;
                removed += gone;
            }
            if next == 0 {
                return Ok(removed);
            }
            cursor = next;
        }
    }

    fn key(&self, key: &str) -> String {
        format!("{}:{key}", self.prefix)
    }

    /// Where a delete of `key` leaves its guard against `fill` (see `FILL_GUARD`), in the same namespace.
    fn guard_key(&self, key: &str) -> String {
        format!("{}:deleted:{key}", self.prefix)
    }

    /// Adds "delete `key` and guard it from `fill`" to `pipe`.
    fn push_delete(&self, pipe: &mut Pipeline, key: &str) {
        let guard_millis = u64::try_from(FILL_GUARD.as_millis()).unwrap_or(u64::MAX);
        pipe.cmd("SET")
            .arg(self.guard_key(key))
            .arg(1)
            .arg("PX")
            .arg(guard_millis)
            .ignore();
        pipe.cmd("DEL").arg(self.key(key)).ignore();
    }

    /// Stores `value` under `key` if it holds nothing and is not guarded; answers whether it stored.
    async fn fill_key(&self, key: &str, value: &[u8], ttl: Duration) -> Result<bool, CacheError> {
        let millis = u64::try_from(ttl.min(MAX_TTL).as_millis()).unwrap_or(u64::MAX);
        if millis == 0 {
            return Ok(false);
        }
        let stored: i64 = bounded(
            self.fill_script
                .key(self.key(key))
                .key(self.guard_key(key))
                .arg(value)
                .arg(millis)
                .invoke_async(&mut self.connection.clone()),
        )
        .await?;
        Ok(stored == 1)
    }

    /// Adds "store `value` under `key` for `ttl`" to `pipe`. A TTL under a millisecond cannot be expressed
    /// in `PX` and rounding it up would keep the value past it, so the key is deleted instead: a value that
    /// expires at once is no value.
    fn push_set(&self, pipe: &mut Pipeline, key: &str, value: &[u8], ttl: Duration) {
        let millis = u64::try_from(ttl.min(MAX_TTL).as_millis()).unwrap_or(u64::MAX);
        if millis == 0 {
            pipe.cmd("DEL").arg(self.key(key)).ignore();
        } else {
            pipe.cmd("SET")
                .arg(self.key(key))
                .arg(value)
                .arg("PX")
                .arg(millis)
                .ignore();
        }
    }

    async fn exec(&self, pipe: &Pipeline) -> Result<(), CacheError> {
        bounded(pipe.query_async::<()>(&mut self.connection.clone())).await
    }
}

/// Runs one command (or pipeline) under `COMMAND_TIMEOUT`.
async fn bounded<T>(
    command: impl Future<Output = ::redis::RedisResult<T>>,
) -> Result<T, CacheError> {
    tokio::time::timeout(COMMAND_TIMEOUT, command)
        .await
        .map_err(|_| {
            CacheError::unavailable(format!("redis: no answer within {COMMAND_TIMEOUT:?}"))
        })?
        .map_err(cache_error)
}

impl fmt::Debug for RedisCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisCache")
            .field(
                "address",
                &self.client.get_connection_info().addr.to_string(),
            )
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl Cache for RedisCache {
    fn backend(&self) -> &'static str {
        "redis"
    }

    async fn get(&self, key: &str) -> Result<Option<Bytes>, CacheError> {
        let value: Option<Vec<u8>> = bounded(self.connection.clone().get(self.key(key))).await?;
        Ok(value.map(Bytes::from))
    }

    async fn set(&self, key: &str, value: Bytes, ttl: Duration) -> Result<(), CacheError> {
        let mut pipe = ::redis::pipe();
        self.push_set(&mut pipe, key, &value, ttl);
        self.exec(&pipe).await
    }

    async fn delete(&self, key: &str) -> Result<(), CacheError> {
        let mut pipe = ::redis::pipe();
        self.push_delete(&mut pipe, key);
        self.exec(&pipe).await
    }

    async fn fill(&self, key: &str, value: Bytes, ttl: Duration) -> Result<bool, CacheError> {
        self.fill_key(key, &value, ttl).await
    }

    async fn ping(&self) -> Result<(), CacheError> {
        let _: String =
            bounded(::redis::cmd("PING").query_async(&mut self.connection.clone())).await?;
        Ok(())
    }
}
