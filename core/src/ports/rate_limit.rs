//! The rate-limit port: counts requests against quotas, shared by every replica when the backend is.

use std::fmt::Debug;
use std::time::Duration;

use async_trait::async_trait;

use super::BoxError;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RateLimitError {
    /// The backend cannot answer now; callers let the request through rather than refuse everyone.
    #[error("rate limiter unavailable: {message}")]
    Unavailable {
        message: String,
        source: Option<BoxError>,
    },
    #[error("rate limiter error: {message}")]
    Other {
        message: String,
        source: Option<BoxError>,
    },
}

super::source::cause_constructors!(RateLimitError);

/// `limit` requests per `period`, all of which may come at once (a burst of `limit`), then one every
/// `period / limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub limit: u32,
    pub period: Duration,
}

impl Quota {
    pub fn per_minute(limit: u32) -> Self {
        Self {
            limit,
            period: Duration::from_secs(60),
        }
    }

    /// The time one request's share of the quota takes to come back.
    pub fn interval(&self) -> Duration {
        self.period / self.limit.max(1)
    }
}

/// The answer for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub limit: u32,
    /// Requests still allowed right away after this one.
    pub remaining: u32,
    /// When the bucket is whole again.
    pub reset_after: Duration,
    /// When a refused request may be made again (zero when allowed).
    pub retry_after: Duration,
}

/// Counts requests per key with the generic cell rate algorithm (GCRA): one timestamp per key, the
/// theoretical arrival time of the next request.
///
/// # Contract
///
/// - `acquire(key, quota, true)` allows `quota.limit` requests made at once, then refuses until
///   `quota.interval()` has passed, and tells in `retry_after` how long that is (never zero when
///   refused). `remaining` counts down by one per allowed request.
/// - `acquire(key, quota, false)` answers whether one more request would be allowed, and counts nothing.
/// - A refused request counts nothing. Keys are independent. After `quota.period` without requests a key
///   is whole again (`remaining == limit - 1` on the next request).
/// - Shared backends decide atomically: concurrent requests from several replicas never get more than
///   the quota between them.
#[async_trait]
pub trait RateLimiter: Send + Sync + Debug {
    fn backend(&self) -> &'static str;

    async fn acquire(
        &self,
        key: &str,
        quota: Quota,
        count: bool,
    ) -> Result<Decision, RateLimitError>;
}

/// GCRA over plain numbers (microseconds: in milliseconds, a limit above 60 000 a minute would round its
/// interval up to 1 ms and quietly become 1 000 a second), shared by adapters that keep the timestamp themselves:
/// given the stored theoretical arrival time `tat` (if any) and `now`, the decision and the new `tat` to
/// store (when there is one to store).
pub fn gcra(tat: Option<u64>, now: u64, quota: Quota, count: bool) -> (Decision, Option<u64>) {
    let period = u64::try_from(quota.period.as_micros())
        .unwrap_or(u64::MAX)
        .max(1);
    let interval = (period / u64::from(quota.limit.max(1))).max(1);
    let tat = tat.unwrap_or(now).max(now);
    let next = tat + interval;
    let allow_at = next.saturating_sub(period);
    if now < allow_at {
        let decision = Decision {
            allowed: false,
            limit: quota.limit,
            remaining: 0,
            reset_after: Duration::from_micros(tat - now),
            retry_after: Duration::from_micros(allow_at - now),
        };
        return (decision, None);
    }
    let used = next - now;
    let remaining = u32::try_from(period.saturating_sub(used) / interval).unwrap_or(u32::MAX);
    let decision = Decision {
        allowed: true,
        limit: quota.limit,
        remaining,
        reset_after: Duration::from_micros(used),
        retry_after: Duration::ZERO,
    };
    (decision, count.then_some(next))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_of_the_limit_then_one_per_interval() {
        let quota = Quota {
            limit: 3,
            period: Duration::from_secs(3),
        };
        let mut tat = None;
        for left in [2, 1, 0] {
            let (decision, next) = gcra(tat, 10_000_000, quota, true);
            assert!(decision.allowed);
            assert_eq!(decision.remaining, left);
            tat = next;
        }
        let (refused, next) = gcra(tat, 10_000_000, quota, true);
        assert!(!refused.allowed);
        assert_eq!(refused.retry_after, Duration::from_secs(1));
        assert_eq!(next, None);
        assert!(gcra(tat, 11_000_000, quota, true).0.allowed);
        let (peek, stored) = gcra(tat, 11_000_000, quota, false);
        assert!(peek.allowed && stored.is_none());
    }

    #[test]
    fn a_limit_above_one_a_millisecond_holds_at_its_own_rate() {
        // 120 000 a minute is one every 500 µs: requests exactly that far apart are never refused, for longer
        // than the period (a millisecond clock made each cost 1 ms and refused them after a minute).
        let quota = Quota {
            limit: 120_000,
            period: Duration::from_secs(60),
        };
        let mut tat = None;
        for request in 0..300_000u64 {
            let (decision, next) = gcra(tat, request * 500, quota, true);
            assert!(decision.allowed, "request {request} refused");
            tat = next;
        }
        // Twice as fast is refused once the minute's burst is spent.
        let refused = (0..300_000u64).try_fold(tat, |tat, request| {
            let (decision, next) = gcra(tat, 150_000_000 + request * 250, quota, true);
            decision.allowed.then_some(next)
        });
        assert!(refused.is_none());
    }
}
