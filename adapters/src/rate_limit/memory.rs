//! GCRA in the process: one timestamp per key in a map, swept of keys whose quota is whole again.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use async_trait::async_trait;
use darkroom_core::ports::rate_limit::gcra;
use darkroom_core::ports::{Decision, Quota, RateLimitError, RateLimiter};

/// Keys held before a sweep drops the ones that no longer limit anything; after a sweep, the next comes
/// when the map has doubled, so sweeping costs O(1) per insert however many keys are live.
const FIRST_SWEEP_AT: usize = 10_000;

#[derive(Debug)]
struct Keys {
    /// Per key: its theoretical arrival time, in ms since `start`.
    tat: HashMap<String, u64>,
    sweep_at: usize,
}

#[derive(Debug)]
pub struct MemoryRateLimiter {
    start: Instant,
    keys: Mutex<Keys>,
}

impl Default for MemoryRateLimiter {
    fn default() -> Self {
        Self {
            start: Instant::now(),
            keys: Mutex::new(Keys {
                tat: HashMap::new(),
                sweep_at: FIRST_SWEEP_AT,
            }),
        }
    }
}

impl MemoryRateLimiter {
    pub fn new() -> Self {
        Self::default()
    }

    fn now(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_micros()).unwrap_or(u64::MAX)
    }
}

#[async_trait]
impl RateLimiter for MemoryRateLimiter {
    fn backend(&self) -> &'static str {
        "memory"
    }

    async fn acquire(
        &self,
        key: &str,
        quota: Quota,
        count: bool,
    ) -> Result<Decision, RateLimitError> {
        let now = self.now();
        let mut keys = self
            .keys
            .lock()
            .map_err(|_| RateLimitError::other("the rate-limit map was poisoned"))?;
        let (decision, next) = gcra(keys.tat.get(key).copied(), now, quota, count);
        if let Some(tat) = next {
            if let Some(stored) = keys.tat.get_mut(key) {
                *stored = tat;
            } else {
                if keys.tat.len() >= keys.sweep_at {
                    // A key whose arrival time has passed is as good as absent.
                    keys.tat.retain(|_, tat| *tat > now);
                    keys.sweep_at = (keys.tat.len() * 2).max(FIRST_SWEEP_AT);
                }
                keys.tat.insert(key.to_owned(), tat);
            }
        }
        Ok(decision)
    }
}
