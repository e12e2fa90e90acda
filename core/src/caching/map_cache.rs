//! A `Cache` for the wrappers' unit tests.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bytes::Bytes;

use crate::ports::{Cache, CacheError};

/// A cache in a map (no expiry: the tests never wait), or one that fails every call. A delete keeps `fill`
/// out of its key for `guard`: none by default, so that a test can read its way into the cache right after a
/// write; `guarded` is the port's `FILL_GUARD`.
#[derive(Debug, Default)]
pub struct MapCache {
    pub entries: Mutex<HashMap<String, Bytes>>,
    pub deleted: Mutex<HashMap<String, Instant>>,
    pub guard: Duration,
    pub broken: bool,
}

impl MapCache {
    pub fn guarded() -> Self {
        Self {
            guard: crate::ports::FILL_GUARD,
            ..Self::default()
        }
    }
}

#[async_trait]
impl Cache for MapCache {
    fn backend(&self) -> &'static str {
        "map"
    }

    async fn get(&self, key: &str) -> Result<Option<Bytes>, CacheError> {
        if self.broken {
            return Err(CacheError::unavailable("broken"));
        }
        Ok(self.entries.lock().unwrap().get(key).cloned())
    }

    async fn set(&self, key: &str, value: Bytes, _ttl: Duration) -> Result<(), CacheError> {
        if self.broken {
            return Err(CacheError::unavailable("broken"));
        }
        self.entries.lock().unwrap().insert(key.to_owned(), value);
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), CacheError> {
        if self.broken {
            return Err(CacheError::unavailable("broken"));
        }
        self.entries.lock().unwrap().remove(key);
        self.deleted
            .lock()
            .unwrap()
            .insert(key.to_owned(), Instant::now());
        Ok(())
    }

    async fn fill(&self, key: &str, value: Bytes, _ttl: Duration) -> Result<bool, CacheError> {
        if self.broken {
            return Err(CacheError::unavailable("broken"));
        }
        let mut entries = self.entries.lock().unwrap();
        let guarded = self
            .deleted
            .lock()
            .unwrap()
            .get(key)
            .is_some_and(|at| at.elapsed() < self.guard);
        if entries.contains_key(key) || guarded {
            return Ok(false);
        }
        entries.insert(key.to_owned(), value);
        Ok(true)
    }

    async fn ping(&self) -> Result<(), CacheError> {
        Ok(())
    }
}
