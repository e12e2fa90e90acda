//! The `Cache` contract suite. Run it with `cache_contract_suite!(factory)`, where `factory` is an async fn
//! returning `Fixture<dyn Cache>`. A cache may forget early (eviction), so cases only store a few small
//! values, well within any capacity a fixture would configure.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use darkroom_core::ports::{Cache, FILL_GUARD};

use super::unique;

/// Expands to one `#[tokio::test]` per cache case, each calling `$factory().await` for a cache.
#[macro_export]
macro_rules! cache_contract_suite {
    (@cases $factory:path; $($case:ident),+ $(,)?) => {
        $(
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let Some(fixture) = $crate::contract::IntoFixture::into_fixture($factory().await) else { return };
                $crate::contract::cache::$case(fixture.port.clone()).await;
            }
        )+
    };
    ($factory:path) => {
        $crate::cache_contract_suite!(@cases $factory;
            set_then_get_returns_the_value,
            missing_keys_are_misses,
            delete_removes_and_is_idempotent,
            entries_expire_after_their_ttl,
            set_replaces_the_value_and_the_ttl,
            fill_stores_only_into_an_empty_key,
            a_delete_keeps_fill_out_for_the_guard_only,
            ping_succeeds,
        );
    };
}

const LONG: Duration = Duration::from_secs(60);
const SHORT: Duration = Duration::from_millis(200);

pub async fn set_then_get_returns_the_value(cache: Arc<dyn Cache>) {
    let key = unique("cache");
    let value = Bytes::from(vec![42u8; 10_000]);
    cache.set(&key, value.clone(), LONG).await.unwrap();
    assert_eq!(cache.get(&key).await.unwrap(), Some(value.clone()));
    // Reading does not consume.
    assert_eq!(cache.get(&key).await.unwrap(), Some(value));
    let empty = unique("cache");
    cache.set(&empty, Bytes::new(), LONG).await.unwrap();
    assert_eq!(
        cache.get(&empty).await.unwrap(),
        Some(Bytes::new()),
        "an empty value is a hit, not a miss"
    );
}

pub async fn missing_keys_are_misses(cache: Arc<dyn Cache>) {
    assert_eq!(cache.get(&unique("cache")).await.unwrap(), None);
}

pub async fn delete_removes_and_is_idempotent(cache: Arc<dyn Cache>) {
    let key = unique("cache");
    cache
        .set(&key, Bytes::from_static(b"v"), LONG)
        .await
        .unwrap();
    cache.delete(&key).await.unwrap();
    assert_eq!(cache.get(&key).await.unwrap(), None);
    cache.delete(&key).await.unwrap();
    cache.delete(&unique("cache")).await.unwrap();
}

pub async fn entries_expire_after_their_ttl(cache: Arc<dyn Cache>) {
    let key = unique("cache");
    cache
        .set(&key, Bytes::from_static(b"v"), SHORT)
        .await
        .unwrap();
    assert_eq!(
        cache.get(&key).await.unwrap(),
        Some(Bytes::from_static(b"v"))
    );
    // Never kept past its TTL (a backend may round it up by a few ms: allow the sleep some slack).
    tokio::time::sleep(SHORT * 2).await;
    assert_eq!(cache.get(&key).await.unwrap(), None);
}

pub async fn set_replaces_the_value_and_the_ttl(cache: Arc<dyn Cache>) {
    // A long TTL replaced by a short one: the short one applies.
    let shortened = unique("cache");
    cache
        .set(&shortened, Bytes::from_static(b"old"), LONG)
        .await
        .unwrap();
    cache
        .set(&shortened, Bytes::from_static(b"new"), SHORT)
        .await
        .unwrap();
    assert_eq!(
        cache.get(&shortened).await.unwrap(),
        Some(Bytes::from_static(b"new"))
    );
    // A short TTL replaced by a long one: the long one applies.
    let lengthened = unique("cache");
    cache
        .set(&lengthened, Bytes::from_static(b"old"), SHORT)
        .await
        .unwrap();
    cache
        .set(&lengthened, Bytes::from_static(b"new"), LONG)
        .await
        .unwrap();

    tokio::time::sleep(SHORT * 2).await;
    assert_eq!(
        cache.get(&shortened).await.unwrap(),
        None,
        "the replacing TTL must apply"
    );
    assert_eq!(
        cache.get(&lengthened).await.unwrap(),
        Some(Bytes::from_static(b"new"))
    );
}

pub async fn fill_stores_only_into_an_empty_key(cache: Arc<dyn Cache>) {
    let key = unique("cache");
    assert!(cache
        .fill(&key, Bytes::from_static(b"first"), LONG)
        .await
        .unwrap());
    assert_eq!(
        cache.get(&key).await.unwrap(),
        Some(Bytes::from_static(b"first"))
    );
    assert!(
        !cache
            .fill(&key, Bytes::from_static(b"second"), LONG)
            .await
            .unwrap(),
        "a fill never replaces a value"
    );
    assert_eq!(
        cache.get(&key).await.unwrap(),
        Some(Bytes::from_static(b"first"))
    );
    cache
        .set(&key, Bytes::from_static(b"set"), LONG)
        .await
        .unwrap();
    assert_eq!(
        cache.get(&key).await.unwrap(),
        Some(Bytes::from_static(b"set"))
    );

    // A filled value expires like a set one.
    let short = unique("cache");
    assert!(cache
        .fill(&short, Bytes::from_static(b"v"), SHORT)
        .await
        .unwrap());
    tokio::time::sleep(SHORT * 2).await;
    assert_eq!(cache.get(&short).await.unwrap(), None);
}

pub async fn a_delete_keeps_fill_out_for_the_guard_only(cache: Arc<dyn Cache>) {
    // What a read that raced a write would store: the value from before it.
    let key = unique("cache");
    cache
        .set(&key, Bytes::from_static(b"before"), LONG)
        .await
        .unwrap();
    cache.delete(&key).await.unwrap();
    assert!(!cache
        .fill(&key, Bytes::from_static(b"before"), LONG)
        .await
        .unwrap());
    assert_eq!(cache.get(&key).await.unwrap(), None);
    // Deleting a key that held nothing guards it too: the racing read may have missed.
    let never_set = unique("cache");
    cache.delete(&never_set).await.unwrap();
    assert!(!cache
        .fill(&never_set, Bytes::from_static(b"v"), LONG)
        .await
        .unwrap());
    // The guard holds back fills, not writers.
    cache
        .set(&key, Bytes::from_static(b"after"), LONG)
        .await
        .unwrap();
    assert_eq!(
        cache.get(&key).await.unwrap(),
        Some(Bytes::from_static(b"after"))
    );

    // Past the guard, fills work again.
    tokio::time::sleep(FILL_GUARD + Duration::from_millis(300)).await;
    assert!(cache
        .fill(&never_set, Bytes::from_static(b"later"), LONG)
        .await
        .unwrap());
    assert_eq!(
        cache.get(&never_set).await.unwrap(),
        Some(Bytes::from_static(b"later"))
    );
}

pub async fn ping_succeeds(cache: Arc<dyn Cache>) {
    cache.ping().await.unwrap();
    assert!(!cache.backend().is_empty());
}
