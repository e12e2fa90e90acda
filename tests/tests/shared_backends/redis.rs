//! The cache contract suite against Redis (`DARKROOM_TEST_REDIS_URL`), plain and with the coherent moka tier
//! in front, each case under a key prefix of its own that is cleared afterwards; plus what only a shared
//! server can show: two replicas on one Redis never serve what the other deleted or replaced, prefixes
//! isolate, and a server that is not there fails fast.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use darkroom_adapters::{RedisCache, TwoLevelCache};
use darkroom_core::ports::{Cache, CacheError, RateLimiter};
use darkroom_tests::contract::Fixture;
use darkroom_tests::services::{require, unique_name, REDIS_URL};

const LOCAL_BYTES: u64 = 16 * 1024 * 1024;
/// How long a change made through one replica may take to reach another's local tier (one pub/sub hop;
/// polled, so a fast run does not wait for it).
const PROPAGATION: Duration = Duration::from_secs(5);

/// `url` with `prefix=NAME` added to its query.
fn with_prefix(url: &str, prefix: &str) -> String {
    let joiner = if url.contains('?') { '&' } else { '?' };
    format!("{url}{joiner}prefix={prefix}")
}

/// A URL under a fresh prefix, or `None` (skip) when the server is not configured.
fn fresh_url(suite: &str) -> Option<String> {
    let url = require(REDIS_URL, suite)?;
    Some(with_prefix(&url, &unique_name("dr")))
}

/// Removes the case's keys when the fixture goes, on the case's own (multi-threaded) runtime.
struct ClearPrefix(RedisCache);

impl Drop for ClearPrefix {
    fn drop(&mut self) {
        let cache = self.0.clone();
        let cleared = tokio::task::block_in_place(|| {
            tokio::runtime::Handle::current().block_on(cache.clear())
        });
        if let Err(e) = cleared {
            eprintln!("could not clear prefix {}: {e}", cache.prefix());
        }
    }
}

async fn redis() -> Option<Fixture<dyn Cache>> {
    let cache = RedisCache::from_url(&fresh_url("cache_redis")?)
        .await
        .unwrap();
    cache.migrate().await.unwrap();
    let port: Arc<dyn Cache> = Arc::new(cache.clone());
    Some(Fixture::with_guard(port, ClearPrefix(cache)))
}

async fn two_level() -> Option<Fixture<dyn Cache>> {
    let redis = RedisCache::from_url(&fresh_url("cache_two_level")?)
        .await
        .unwrap();
    let cache = TwoLevelCache::new(LOCAL_BYTES, redis.clone())
        .await
        .unwrap();
    let port: Arc<dyn Cache> = Arc::new(cache);
    Some(Fixture::with_guard(port, ClearPrefix(redis)))
}

async fn redis_rate_limiter() -> Option<Fixture<dyn RateLimiter>> {
    let cache = RedisCache::from_url(&fresh_url("rate_limit_redis")?)
        .await
        .unwrap();
    let port: Arc<dyn RateLimiter> = Arc::new(cache.rate_limiter());
    Some(Fixture::with_guard(port, ClearPrefix(cache)))
}

mod rate_limit_redis {
    darkroom_tests::rate_limit_contract_suite!(super::redis_rate_limiter);
}

mod cache_redis {
    darkroom_tests::cache_contract_suite!(super::redis);
}

mod cache_two_level {
    darkroom_tests::cache_contract_suite!(super::two_level);
}

/// Two replicas sharing one Redis namespace, each with its local tier.
async fn replicas() -> Option<(TwoLevelCache, TwoLevelCache, ClearPrefix)> {
    let url = fresh_url("cache_two_level")?;
    let a = TwoLevelCache::from_url(&url, LOCAL_BYTES).await.unwrap();
    let b = TwoLevelCache::from_url(&url, LOCAL_BYTES).await.unwrap();
    let guard = ClearPrefix(a.redis().clone());
    Some((a, b, guard))
}

/// Polls `cache` until `key` reads as `expected`; false if it never did within `PROPAGATION`.
async fn eventually(cache: &dyn Cache, key: &str, expected: Option<&'static [u8]>) -> bool {
    let deadline = Instant::now() + PROPAGATION;
    while Instant::now() < deadline {
        if cache.get(key).await.unwrap() == expected.map(Bytes::from_static) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delete_through_one_replica_reaches_the_other() {
    let Some((a, b, _guard)) = replicas().await else {
        return;
    };
    let long = Duration::from_secs(60);
    for round in 0..20 {
        let key = format!("k{round}");
        a.set(&key, Bytes::from_static(b"v"), long).await.unwrap();
        // Both read it, so both now hold a local copy.
        assert_eq!(a.get(&key).await.unwrap(), Some(Bytes::from_static(b"v")));
        assert_eq!(b.get(&key).await.unwrap(), Some(Bytes::from_static(b"v")));
        a.delete(&key).await.unwrap();
        assert_eq!(
            a.get(&key).await.unwrap(),
            None,
            "the deleting replica sees it at once"
        );
        assert!(
            eventually(&b, &key, None).await,
            "round {round}: the other replica kept a deleted value"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_set_through_one_replica_replaces_the_others_copy() {
    let Some((a, b, _guard)) = replicas().await else {
        return;
    };
    let long = Duration::from_secs(60);
    a.set("k", Bytes::from_static(b"old"), long).await.unwrap();
    assert_eq!(b.get("k").await.unwrap(), Some(Bytes::from_static(b"old")));
    a.set("k", Bytes::from_static(b"new"), long).await.unwrap();
    assert_eq!(a.get("k").await.unwrap(), Some(Bytes::from_static(b"new")));
    assert!(
        eventually(&b, "k", Some(b"new")).await,
        "the other replica kept the replaced value"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_local_copy_never_outlives_the_redis_ttl() {
    let Some((a, b, _guard)) = replicas().await else {
        return;
    };
    let short = Duration::from_millis(300);
    a.set("k", Bytes::from_static(b"v"), short).await.unwrap();
    // B copies it with what is left of its TTL, not with the local TTL of seconds.
    assert_eq!(b.get("k").await.unwrap(), Some(Bytes::from_static(b"v")));
    tokio::time::sleep(short * 2).await;
    assert_eq!(b.get("k").await.unwrap(), None);
    assert_eq!(a.get("k").await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writes_and_reads_settle_on_the_last_write() {
    let Some((a, b, _guard)) = replicas().await else {
        return;
    };
    let (a, b) = (Arc::new(a), Arc::new(b));
    let long = Duration::from_secs(60);
    // Readers on both replicas keep filling their tiers while A writes; once the writes stop, both must
    // agree with Redis rather than keep a copy of an earlier value.
    let readers: Vec<_> = [a.clone(), b.clone(), a.clone(), b.clone()]
        .into_iter()
        .map(|cache| {
            tokio::spawn(async move {
                for _ in 0..200 {
                    cache.get("k").await.unwrap();
                }
            })
        })
        .collect();
    for i in 0..100u32 {
        a.set("k", Bytes::from(i.to_string()), long).await.unwrap();
    }
    a.set("k", Bytes::from_static(b"last"), long).await.unwrap();
    for reader in readers {
        reader.await.unwrap();
    }
    assert_eq!(a.get("k").await.unwrap(), Some(Bytes::from_static(b"last")));
    assert!(eventually(b.as_ref(), "k", Some(b"last")).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prefixes_isolate_and_clear_stays_in_its_own() {
    let (Some(one), Some(two)) = (fresh_url("cache_redis"), fresh_url("cache_redis")) else {
        return;
    };
    let one = RedisCache::from_url(&one).await.unwrap();
    let two = RedisCache::from_url(&two).await.unwrap();
    let _guards = (ClearPrefix(one.clone()), ClearPrefix(two.clone()));
    let long = Duration::from_secs(60);
    one.set("k", Bytes::from_static(b"1"), long).await.unwrap();
    one.set("j", Bytes::from_static(b"1"), long).await.unwrap();
    two.set("k", Bytes::from_static(b"2"), long).await.unwrap();
    assert_eq!(two.get("j").await.unwrap(), None);
    assert_eq!(one.clear().await.unwrap(), 2);
    assert_eq!(one.get("k").await.unwrap(), None);
    assert_eq!(two.get("k").await.unwrap(), Some(Bytes::from_static(b"2")));
}

#[tokio::test]
async fn an_unreachable_server_fails_fast_with_unavailable() {
    let Some(_) = require(REDIS_URL, "cache_redis") else {
        return;
    };
    // Nothing listens on port 1.
    match RedisCache::from_url("redis://127.0.0.1:1").await {
        Err(CacheError::Unavailable { message, .. }) => {
            assert!(message.contains("127.0.0.1:1"), "{message}")
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
    assert!(matches!(
        TwoLevelCache::from_url("redis://127.0.0.1:1", LOCAL_BYTES).await,
        Err(CacheError::Unavailable { .. })
    ));
}

#[tokio::test]
async fn an_unknown_parameter_is_refused() {
    let Some(url) = require(REDIS_URL, "cache_redis") else {
        return;
    };
    match RedisCache::from_url(&with_prefix(&url, "p&ttl=1")).await {
        Err(CacheError::Other { message, .. }) => assert!(message.contains("ttl"), "{message}"),
        other => panic!("expected the parameter to be refused, got {other:?}"),
    }
}
