//! De-duplication by message id, as far as one process can see.
//!
//! RabbitMQ has no de-duplication of its own. The adapter remembers the `(topic, id)` of what it published
//! in the last hour (up to a bound) and publishes a repeat of one of them as a no-op. A repeat from another
//! process, or after a restart, is delivered twice: the port only promises de-duplication "where the
//! backend can tell", and consumers are idempotent anyway.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// How long an id is remembered, as long as the embedded queue and JetStream remember theirs.
const WINDOW: Duration = Duration::from_secs(3600);
/// At most this many ids are remembered; the oldest go first.
const CAPACITY: usize = 100_000;

type Key = (String, String);

#[derive(Debug, Default)]
pub(super) struct RecentIds {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// When each remembered key was claimed.
    seen: HashMap<Key, Instant>,
    /// Keys in the order they were claimed; an entry whose time no longer matches `seen` is stale.
    order: VecDeque<(Key, Instant)>,
}

impl RecentIds {
    /// True when `(topic, id)` was not published recently, and remembers it from now on.
    pub fn claim(&self, topic: &str, id: &str, now: Instant) -> bool {
        let mut inner = self.lock();
        inner.forget_old(now);
        let key = (topic.to_owned(), id.to_owned());
        if inner.seen.contains_key(&key) {
            return false;
        }
        inner.seen.insert(key.clone(), now);
        inner.order.push_back((key, now));
        true
    }

    /// Forgets a claim whose publish failed, so that a retry goes through.
    pub fn release(&self, topic: &str, id: &str) {
        self.lock().seen.remove(&(topic.to_owned(), id.to_owned()));
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Each change is a single insert or remove: nothing is left half-done by a panic elsewhere.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Inner {
    fn forget_old(&mut self, now: Instant) {
        while let Some((key, claimed)) = self.order.front() {
            let expired = now.saturating_duration_since(*claimed) >= WINDOW;
            if !expired && self.order.len() < CAPACITY {
                break;
            }
            if self.seen.get(key) == Some(claimed) {
                self.seen.remove(key);
            }
            self.order.pop_front();
        }
    }
}
