//! GCRA in Redis: the same algorithm as in the process (`darkroom_core::ports::rate_limit::gcra`), run as
//! one Lua script so that replicas racing on a key never both take its last request; the clock is Redis's
//! (`TIME`), so replicas with skewed clocks agree. The key expires when its quota is whole again.

use std::time::Duration;

use ::redis::aio::ConnectionManager;
use ::redis::Script;
use async_trait::async_trait;
use darkroom_core::ports::{Decision, Quota, RateLimitError, RateLimiter};

const COMMAND_TIMEOUT: Duration = Duration::from_secs(2);

/// KEYS[1] the key; ARGV: period (µs), limit, count (1 or 0). Returns {allowed, remaining, reset µs,
/// retry µs}. Microseconds since the epoch need 16 digits, exact in Lua's doubles but not in its default
/// number-to-string conversion (14 significant digits), hence the `%d` when storing.
const GCRA: &str = r"
local period = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local interval = math.max(math.floor(period / limit), 1)
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local next = tat + interval
local allow_at = next - period
if now < allow_at then
  return {0, 0, tat - now, allow_at - now}
end
if ARGV[3] == '1' then
  redis.call('SET', KEYS[1], string.format('%d', next), 'PX', math.max(1, math.ceil((next - now) / 1000)))
end
return {1, math.floor((period - (next - now)) / interval), next - now, 0}
";

/// Rate limits in Redis, under the cache's key prefix. Cloning is cheap and shares the connection.
#[derive(Clone)]
pub struct RedisRateLimiter {
    connection: ConnectionManager,
    prefix: String,
    script: Script,
}

impl std::fmt::Debug for RedisRateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisRateLimiter")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisRateLimiter {
    pub(crate) fn new(connection: ConnectionManager, prefix: &str) -> Self {
        Self {
            connection,
            prefix: format!("{prefix}:ratelimit"),
            script: Script::new(GCRA),
        }
    }
}

#[async_trait]
impl RateLimiter for RedisRateLimiter {
    fn backend(&self) -> &'static str {
        "redis"
    }

    async fn acquire(
        &self,
        key: &str,
        quota: Quota,
        count: bool,
    ) -> Result<Decision, RateLimitError> {
        let period = u64::try_from(quota.period.as_micros())
            .unwrap_or(u64::MAX)
            .max(1);
        let mut connection = self.connection.clone();
        let mut invocation = self.script.key(format!("{}:{key}", self.prefix));
        invocation
            .arg(period)
            .arg(quota.limit.max(1))
            .arg(if count { "1" } else { "0" });
        let answer: (u8, u64, u64, u64) =
            tokio::time::timeout(COMMAND_TIMEOUT, invocation.invoke_async(&mut connection))
                .await
                .map_err(|_| {
                    RateLimitError::unavailable(format!(
                        "redis: no answer within {COMMAND_TIMEOUT:?}"
                    ))
                })?
                .map_err(|e| RateLimitError::unavailable_from("redis rate limit failed", e))?;
        let (allowed, remaining, reset, retry) = answer;
        Ok(Decision {
            allowed: allowed == 1,
            limit: quota.limit,
            remaining: u32::try_from(remaining).unwrap_or(u32::MAX),
            reset_after: Duration::from_micros(reset),
            retry_after: Duration::from_micros(retry),
        })
    }
}
