//! `DARKROOM_CACHE_URL`: `memory`, `redis://…`, or `redis+local://…` (moka in front of Redis, with
//! invalidation shared by every replica).

use std::sync::Arc;

use anyhow::bail;
use darkroom_core::ports::Cache;

#[allow(unused_imports)]
use super::not_built;
use crate::config::Config;

pub async fn connect(config: &Config) -> anyhow::Result<Arc<dyn Cache>> {
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
fn memory(config: &Config) -> anyhow::Result<Arc<dyn Cache>> {
    Ok(Arc::new(darkroom_adapters::cache::MokaCache::new(
        config.cache_max_bytes,
    )))
}

#[cfg(not(feature = "memory-cache"))]
fn memory(_config: &Config) -> anyhow::Result<Arc<dyn Cache>> {
    Err(not_built("the memory cache", "memory-cache"))
}

#[cfg(feature = "redis")]
async fn redis(url: &str) -> anyhow::Result<Arc<dyn Cache>> {
    Ok(Arc::new(
        darkroom_adapters::cache::redis::RedisCache::from_url(url).await?,
    ))
}

#[cfg(not(feature = "redis"))]
async fn redis(_url: &str) -> anyhow::Result<Arc<dyn Cache>> {
    Err(not_built("a redis cache", "redis"))
}

#[cfg(all(feature = "redis", feature = "memory-cache"))]
async fn two_level(config: &Config, rest: &str) -> anyhow::Result<Arc<dyn Cache>> {
    use darkroom_adapters::cache::redis::{RedisCache, TwoLevelCache};
    let url = format!("redis{rest}");
    let remote = RedisCache::from_url(&url).await?;
    Ok(Arc::new(
        TwoLevelCache::new(config.cache_max_bytes, remote).await?,
    ))
}

#[cfg(not(all(feature = "redis", feature = "memory-cache")))]
async fn two_level(_config: &Config, _rest: &str) -> anyhow::Result<Arc<dyn Cache>> {
    Err(not_built("a two-level cache", "redis and memory-cache"))
}
