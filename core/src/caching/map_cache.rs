//! A `Cache` for the wrappers' unit tests.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;

use crate::ports::{Cache, CacheError};

/// A cache in a map (no expiry: the tests never wait), or one that fails every call.
#[derive(Debug, Default)]
pub struct MapCache {
    pub entries: Mutex<HashMap<String, Bytes>>,
    pub broken: bool,
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
        Ok(())
    }

    async fn ping(&self) -> Result<(), CacheError> {
        Ok(())
    }
}
