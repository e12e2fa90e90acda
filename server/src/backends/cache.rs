//! `DARKROOM_CACHE_URL`: `memory`, `redis://…`, or `redis+local://…` (moka in front of Redis, with
//! invalidation shared by every replica). The rate limiter follows the cache: shared in Redis when the
//! cache is, in the process otherwise.

use std::sync::Arc;

use anyhow::bail;
use darkroom_core::ports::{Cache, RateLimiter};

#[allow(unused_imports)]
use super::not_built;
use crate::config::Config;

/// The cache and the rate limiter that lives beside it.
pub type CacheAndLimiter = (Arc<dyn Cache>, Arc<dyn RateLimiter>);

pub async fn connect(config: &Config) -> anyhow::Result<CacheAndLimiter> {
    let url = config.cache_url.as_str();
    match super::scheme(url) {
        "memory" => memory(config),
        "redis" | "rediss" => redis(url).await,
        "redis+local" => two_level(config, url.trim_start_matches("redis+local")).await,
        other => {
            bail!("unknown cache scheme `{other}` (expected memory, redis:// or redis+local://)")
        }
    }
}

#[cfg(feature = "memory-cache")]
fn memory(config: &Config) -> anyhow::Result<CacheAndLimiter> {
    Ok((
        Arc::new(darkroom_adapters::cache::MokaCache::new(
            config.cache_max_bytes,
        )),
        Arc::new(darkroom_adapters::rate_limit::MemoryRateLimiter::new()),
    ))
}

#[cfg(not(feature = "memory-cache"))]
fn memory(_config: &Config) -> anyhow::Result<CacheAndLimiter> {
    Err(not_built("the memory cache", "memory-cache"))
}

#[cfg(feature = "redis")]
async fn redis(url: &str) -> anyhow::Result<CacheAndLimiter> {
    let cache = darkroom_adapters::cache::redis::RedisCache::from_url(url).await?;
    let limiter = Arc::new(cache.rate_limiter());
    Ok((Arc::new(cache), limiter))
}

#[cfg(not(feature = "redis"))]
async fn redis(_url: &str) -> anyhow::Result<CacheAndLimiter> {
    Err(not_built("a redis cache", "redis"))
}

#[cfg(all(feature = "redis", feature = "memory-cache"))]
async fn two_level(config: &Config, rest: &str) -> anyhow::Result<CacheAndLimiter> {
    use darkroom_adapters::cache::redis::{RedisCache, TwoLevelCache};
    let url = format!("redis{rest}");
    let remote = RedisCache::from_url(&url).await?;
    let limiter = Arc::new(remote.rate_limiter());
    Ok((
        Arc::new(TwoLevelCache::new(config.cache_max_bytes, remote).await?),
        limiter,
    ))
}

#[cfg(not(all(feature = "redis", feature = "memory-cache")))]
async fn two_level(_config: &Config, _rest: &str) -> anyhow::Result<CacheAndLimiter> {
    Err(not_built("a two-level cache", "redis and memory-cache"))
}
