//! `LocalCopies`: decoded values kept in this process, in front of a cache that holds them as bytes.
//!
//! Every image request reads its image's metadata; from an in-process cache that is a JSON decode of a few
//! kilobytes each time (about a tenth of the CPU of serving a thumb). When the cache itself lives in this
//! process, nothing another process writes can make a decoded copy stale that the cache's own entry would
//! not be stale with too, so the wrappers keep the decoded value beside it and drop both on every write.
//! With a shared cache (Redis) the composition root leaves this out: another replica's write would not reach
//! a copy kept here.
//!
//! Bounded without a sweep: two generations of at most `capacity / 2` entries each. A new entry goes into
//! the young one; when it is full the old generation is dropped and the young one takes its place. A hit in
//! the old generation moves the entry back into the young one, so what keeps being read stays.
//!
//! A copy is made from a read that a write may overtake (the read finds the old value, the write drops the
//! copy, then the read stores the old value). So a `put` carries the `Stamp` taken before its read, and is
//! refused when any `forget` came in between: a rare lost copy, never a stale one.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Decoded values by key, each for at most `ttl`, at most `capacity` of them. Clones share the copies.
#[derive(Debug, Clone)]
pub struct LocalCopies<K, V> {
    inner: Arc<Mutex<Generations<K, V>>>,
    ttl: Duration,
}

#[derive(Debug)]
struct Generations<K, V> {
    young: HashMap<K, (V, Instant)>,
    old: HashMap<K, (V, Instant)>,
    generation_size: usize,
    /// How many `forget`s there have been: what a `Stamp` records.
    forgets: u64,
}

/// When a read that a `put` will store began, in `forget`s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp(u64);

impl<K: Eq + Hash, V: Clone> LocalCopies<K, V> {
    pub fn new(capacity: usize, ttl: Duration) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Generations {
                young: HashMap::new(),
                old: HashMap::new(),
                generation_size: (capacity / 2).max(1),
                forgets: 0,
            })),
            ttl,
        }
    }

    /// The copy of `key`, if one younger than the TTL is held.
    pub fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        let mut generations = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        if let Some((value, stored)) = generations.young.get(key) {
            return (now.duration_since(*stored) < self.ttl).then(|| value.clone());
        }
        let (key, (value, stored)) = generations.old.remove_entry(key)?;
        if now.duration_since(stored) >= self.ttl {
            return None;
        }
        generations.insert(key, value.clone(), stored);
        Some(value)
    }

    /// Taken before reading a value that will be `put`.
    pub fn stamp(&self) -> Stamp {
        Stamp(
            self.inner
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .forgets,
        )
    }

    /// Keeps a copy of `value`, read after `since` was taken, unless something was forgotten since then.
    pub fn put(&self, key: K, value: V, since: Stamp) {
        let mut generations = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if generations.forgets != since.0 {
            return;
        }
        generations.old.remove(&key);
        generations.insert(key, value, Instant::now());
    }

    pub fn forget(&self, key: &K) {
        let mut generations = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        generations.forgets += 1;
        generations.young.remove(key);
        generations.old.remove(key);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        let generations = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        generations.young.len() + generations.old.len()
    }
}

impl<K: Eq + Hash, V> Generations<K, V> {
    fn insert(&mut self, key: K, value: V, stored: Instant) {
        if self.young.len() >= self.generation_size && !self.young.contains_key(&key) {
            self.old = std::mem::take(&mut self.young);
        }
        self.young.insert(key, (value, stored));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_what_it_was_given_until_forgotten() {
        let copies = LocalCopies::new(10, Duration::from_secs(60));
        copies.put(1, "one", copies.stamp());
        assert_eq!(copies.get(&1), Some("one"));
        copies.put(1, "uno", copies.stamp());
        assert_eq!(copies.get(&1), Some("uno"));
        copies.forget(&1);
        assert_eq!(copies.get(&1), None);
    }

    #[test]
    fn a_copy_read_before_a_forget_is_not_kept() {
        let copies = LocalCopies::new(10, Duration::from_secs(60));
        let before_the_write = copies.stamp();
        copies.forget(&1);
        copies.put(1, "read before the write", before_the_write);
        assert_eq!(copies.get(&1), None);
        copies.put(1, "read after it", copies.stamp());
        assert_eq!(copies.get(&1), Some("read after it"));
    }

    #[test]
    fn never_holds_more_than_its_capacity_and_keeps_what_is_read() {
        let copies = LocalCopies::new(100, Duration::from_secs(60));
        copies.put(0, 0, copies.stamp());
        for key in 1..10_000 {
            copies.put(key, key, copies.stamp());
            // Read often enough, the first entry survives every generation change.
            assert_eq!(copies.get(&0), Some(0), "after {key} entries");
            assert!(copies.len() <= 100, "{} entries held", copies.len());
        }
        assert_eq!(copies.get(&1), None, "an entry never read again ages out");
    }

    #[test]
    fn copies_older_than_the_ttl_are_not_served() {
        let copies = LocalCopies::new(10, Duration::ZERO);
        copies.put(1, 1, copies.stamp());
        assert_eq!(copies.get(&1), None);
    }
}
