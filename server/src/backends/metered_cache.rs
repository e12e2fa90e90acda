//! Cache calls as a wrapper of the cache port: every call of the backend underneath is timed by operation and
//! outcome into `cache_operation_duration_seconds`, and every read counted as a hit or a miss into
//! `cache_requests_total`, both by the kind of entry (the key's first segment, from a fixed set: keys hold
//! ids, which must never become labels).

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bytes::Bytes;
use darkroom_core::ports::{Cache, CacheError};

const DURATION: &str = "cache_operation_duration_seconds";
const REQUESTS: &str = "cache_requests_total";

#[derive(Debug)]
pub struct MeteredCache {
    inner: Arc<dyn Cache>,
}

impl MeteredCache {
    pub fn new(inner: Arc<dyn Cache>) -> Self {
        metrics::describe_histogram!(
            DURATION,
            metrics::Unit::Seconds,
            "cache backend calls, by operation, kind of entry and outcome"
        );
        metrics::describe_counter!(
            REQUESTS,
            "cache reads, by kind of entry and result (hit, miss, error: an error is read as a miss)"
        );
        Self { inner }
    }
}

/// The kind of entry a key names: the caching wrappers' prefixes (`image:{id}`, `user:access:{id}`, ...).
fn kind(key: &str) -> &'static str {
    match key.split(':').next() {
        Some("image") => "image",
        Some("user") => "user",
        Some("post") => "post",
        Some("session") => "session",
        _ => "other",
    }
}

fn outcome<T>(result: &Result<T, CacheError>) -> &'static str {
    if result.is_ok() {
        "ok"
    } else {
        "error"
    }
}

fn record(operation: &'static str, kind: &'static str, outcome: &'static str, took: Duration) {
    metrics::histogram!(DURATION, "operation" => operation, "kind" => kind, "outcome" => outcome)
        .record(took.as_secs_f64());
}

#[async_trait]
impl Cache for MeteredCache {
    fn backend(&self) -> &'static str {
        self.inner.backend()
    }

    async fn get(&self, key: &str) -> Result<Option<Bytes>, CacheError> {
        let kind = kind(key);
        let started = Instant::now();
        let result = self.inner.get(key).await;
        record("get", kind, outcome(&result), started.elapsed());
        let read = match &result {
            Ok(Some(_)) => "hit",
            Ok(None) => "miss",
            Err(_) => "error",
        };
        metrics::counter!(REQUESTS, "kind" => kind, "result" => read).increment(1);
        result
    }

    async fn set(&self, key: &str, value: Bytes, ttl: Duration) -> Result<(), CacheError> {
        let kind = kind(key);
        let started = Instant::now();
        let result = self.inner.set(key, value, ttl).await;
        record("set", kind, outcome(&result), started.elapsed());
        result
    }

    async fn fill(&self, key: &str, value: Bytes, ttl: Duration) -> Result<bool, CacheError> {
        let kind = kind(key);
        let started = Instant::now();
        let result = self.inner.fill(key, value, ttl).await;
        record("fill", kind, outcome(&result), started.elapsed());
        result
    }

    async fn delete(&self, key: &str) -> Result<(), CacheError> {
        let kind = kind(key);
        let started = Instant::now();
        let result = self.inner.delete(key).await;
        record("delete", kind, outcome(&result), started.elapsed());
        result
    }

    async fn ping(&self) -> Result<(), CacheError> {
        let started = Instant::now();
        let result = self.inner.ping().await;
        record("ping", "other", outcome(&result), started.elapsed());
        result
    }
}

#[cfg(test)]
mod tests {
    use super::kind;

    #[test]
    fn kinds_come_from_a_fixed_set() {
        assert_eq!(kind("image:0192"), "image");
        assert_eq!(kind("user:access:42"), "user");
        assert_eq!(kind("session:ended:ab"), "session");
        assert_eq!(kind("post:7"), "post");
        assert_eq!(kind("anything-a-client-sent"), "other");
        assert_eq!(kind(""), "other");
    }
}
