//! The `RateLimiter` contract suite. Run it with `rate_limit_contract_suite!(factory)`, where `factory` is
//! an async fn returning `Fixture<dyn RateLimiter>`. Quotas are long (a minute) wherever a case must not
//! see them refill, so no case depends on how fast it runs; the one case about refilling uses a short one.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use darkroom_core::ports::{Quota, RateLimiter};

use super::unique;

/// Expands to one `#[tokio::test]` per rate-limit case, each calling `$factory().await` for a limiter.
#[macro_export]
macro_rules! rate_limit_contract_suite {
    (@cases $factory:path; $($case:ident),+ $(,)?) => {
        $(
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let Some(fixture) = $crate::contract::IntoFixture::into_fixture($factory().await) else { return };
                $crate::contract::rate_limit::$case(fixture.port.clone()).await;
            }
        )+
    };
    ($factory:path) => {
        $crate::rate_limit_contract_suite!(@cases $factory;
            a_burst_of_the_limit_is_allowed_then_refused,
            looking_counts_nothing,
            keys_are_independent,
            a_quota_refills_with_time,
            concurrent_requests_never_exceed_the_quota,
        );
    };
}

const MINUTE: Quota = Quota {
    limit: 5,
    period: Duration::from_secs(60),
};

pub async fn a_burst_of_the_limit_is_allowed_then_refused(limiter: Arc<dyn RateLimiter>) {
    let key = unique("rl");
    for left in (0..MINUTE.limit).rev() {
        let decision = limiter.acquire(&key, MINUTE, true).await.unwrap();
        assert!(decision.allowed, "{decision:?}");
        assert_eq!(decision.limit, MINUTE.limit);
        assert_eq!(decision.remaining, left);
    }
    let refused = limiter.acquire(&key, MINUTE, true).await.unwrap();
    assert!(!refused.allowed);
    assert_eq!(refused.remaining, 0);
    assert!(refused.retry_after > Duration::ZERO, "{refused:?}");
    assert!(refused.retry_after <= MINUTE.interval(), "{refused:?}");
    // A refusal counts nothing: the wait does not grow.
    let again = limiter.acquire(&key, MINUTE, true).await.unwrap();
    assert!(!again.allowed);
    assert!(
        again.retry_after <= refused.retry_after,
        "{again:?} after {refused:?}"
    );
}

pub async fn looking_counts_nothing(limiter: Arc<dyn RateLimiter>) {
    let key = unique("rl");
    for _ in 0..MINUTE.limit * 2 {
        assert!(limiter.acquire(&key, MINUTE, false).await.unwrap().allowed);
    }
    let first = limiter.acquire(&key, MINUTE, true).await.unwrap();
    assert_eq!(first.remaining, MINUTE.limit - 1);
    for _ in 1..MINUTE.limit {
        limiter.acquire(&key, MINUTE, true).await.unwrap();
    }
    assert!(!limiter.acquire(&key, MINUTE, false).await.unwrap().allowed);
}

pub async fn keys_are_independent(limiter: Arc<dyn RateLimiter>) {
    let (a, b) = (unique("rl"), unique("rl"));
    for _ in 0..MINUTE.limit {
        limiter.acquire(&a, MINUTE, true).await.unwrap();
    }
    assert!(!limiter.acquire(&a, MINUTE, true).await.unwrap().allowed);
    let other = limiter.acquire(&b, MINUTE, true).await.unwrap();
    assert!(other.allowed);
    assert_eq!(other.remaining, MINUTE.limit - 1);
}

pub async fn a_quota_refills_with_time(limiter: Arc<dyn RateLimiter>) {
    let quota = Quota {
        limit: 2,
        period: Duration::from_millis(400),
    };
    let key = unique("rl");
    limiter.acquire(&key, quota, true).await.unwrap();
    limiter.acquire(&key, quota, true).await.unwrap();
    let refused = limiter.acquire(&key, quota, true).await.unwrap();
    assert!(!refused.allowed);
    tokio::time::sleep(quota.period + Duration::from_millis(100)).await;
    let whole = limiter.acquire(&key, quota, true).await.unwrap();
    assert!(whole.allowed);
    assert_eq!(whole.remaining, quota.limit - 1);
}

pub async fn concurrent_requests_never_exceed_the_quota(limiter: Arc<dyn RateLimiter>) {
    let key = unique("rl");
    let quota = Quota {
        limit: 20,
        period: Duration::from_secs(60),
    };
    let tries = (0..50).map(|_| {
        let limiter = limiter.clone();
        let key = key.clone();
        tokio::spawn(async move { limiter.acquire(&key, quota, true).await.unwrap().allowed })
    });
    let mut allowed = 0;
    for task in tries {
        allowed += u32::from(task.await.unwrap());
    }
    assert_eq!(allowed, quota.limit);
}
