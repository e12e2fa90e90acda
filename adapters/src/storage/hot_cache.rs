//! `HotBlobCache`: the blobs read most, kept in process memory in front of any `BlobStore`.
//!
//! A photo site's traffic is reads of the same few variants; serving them from memory skips the file (or
//! the S3 round trip) entirely. The cache wraps the port, so neither the handlers nor the use cases know it
//! is there. What keeps it honest:
//!
//! - Only keys the caller declares immutable are held (`admits`): blobs whose key changes when their bytes
//!   do, so no entry can go stale. Writes and deletes through the wrapper still drop their key.
//! - Bounded by bytes (key plus value), with blobs over an eighth of the budget never held, so one huge
//!   original cannot evict every variant.
//! - A blob enters on its second miss, not its first: a scan of many distinct blobs (a crawler, a backup,
//!   the worker reading each original once) passes through without displacing what is hot. Past that,
//!   moka's TinyLFU admission keeps a newcomer out of a full cache unless it is read more than its victim.
//! - Range reads are answered from a held blob but never fill the cache (a video-style seek is no sign of
//!   a hot image).

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use darkroom_core::ports::{BlobKey, BlobMeta, BlobStore, ByteStream, StorageError};
use futures::{StreamExt, TryStreamExt};
use moka::future::Cache as Moka;

/// Keys remembered as missed once, to let a second miss in. Only keys (~80 bytes each), so a few MiB.
const DOORKEEPER_KEYS: u64 = 64 * 1024;

/// Which keys hold bytes that never change under them.
pub type Admits = dyn Fn(&str) -> bool + Send + Sync;

/// A `BlobStore` that serves hot immutable blobs from memory, within a budget in bytes.
#[derive(Clone)]
pub struct HotBlobCache {
    inner: Arc<dyn BlobStore>,
    hot: Moka<String, Bytes>,
    /// Keys missed once and not (yet) held.
    seen_once: Moka<String, ()>,
    max_blob: u64,
    admits: Arc<Admits>,
}

impl fmt::Debug for HotBlobCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HotBlobCache")
            .field("inner", &self.inner)
            .field("budget", &self.hot.policy().max_capacity())
            .field("max_blob", &self.max_blob)
            .finish_non_exhaustive()
    }
}

impl HotBlobCache {
    /// Caches blobs of `inner` whose keys `admits`, holding at most about `budget_bytes`.
    pub fn new(
        inner: Arc<dyn BlobStore>,
        budget_bytes: u64,
        admits: impl Fn(&str) -> bool + Send + Sync + 'static,
    ) -> Self {
        let hot = Moka::builder()
            .name("darkroom-hot-blobs")
            .max_capacity(budget_bytes)
            .weigher(|key: &String, bytes: &Bytes| {
                u32::try_from(key.len() + bytes.len()).unwrap_or(u32::MAX)
            })
            .build();
        Self {
            inner,
            hot,
            seen_once: Moka::new(DOORKEEPER_KEYS),
            max_blob: budget_bytes / 8,
            admits: Arc::new(admits),
        }
    }

    /// Bytes held now (keys and values), once moka has applied the evictions it owes.
    pub async fn held_bytes(&self) -> u64 {
        self.hot.run_pending_tasks().await;
        self.hot.weighted_size()
    }

    /// Whether this miss should fill the cache: an admitted key missed before.
    async fn second_miss(&self, key: &BlobKey) -> bool {
        if !(self.admits)(key.as_str()) {
            return false;
        }
        if self.seen_once.contains_key(key.as_str()) {
            self.seen_once.invalidate(key.as_str()).await;
            return true;
        }
        self.seen_once.insert(key.as_str().to_owned(), ()).await;
        false
    }

    async fn forget(&self, key: &BlobKey) {
        self.hot.invalidate(key.as_str()).await;
    }
}

/// `range` of a held blob, with the port's contract for ranges.
fn slice(
    key: &BlobKey,
    bytes: Bytes,
    range: Option<Range<u64>>,
) -> Result<(BlobMeta, ByteStream), StorageError> {
    let size = bytes.len() as u64;
    let part = match range {
        None => bytes,
        Some(r) if r.start >= size => return Err(StorageError::InvalidRange { size }),
        // Bounded by `size`, which came from a `usize`.
        Some(r) => bytes.slice(r.start as usize..r.end.clamp(r.start, size) as usize),
    };
    let meta = BlobMeta {
        key: key.as_str().to_owned(),
        size,
    };
    let body = futures::stream::iter((!part.is_empty()).then_some(Ok(part)));
    Ok((meta, body.boxed()))
}

#[async_trait]
impl BlobStore for HotBlobCache {
    fn backend(&self) -> &'static str {
        self.inner.backend()
    }

    async fn put(&self, key: &BlobKey, data: Bytes) -> Result<BlobMeta, StorageError> {
        let result = self.inner.put(key, data).await;
        self.forget(key).await;
        result
    }

    async fn put_stream(&self, key: &BlobKey, data: ByteStream) -> Result<BlobMeta, StorageError> {
        let result = self.inner.put_stream(key, data).await;
        self.forget(key).await;
        result
    }

    async fn get_stream(
        &self,
        key: &BlobKey,
        range: Option<Range<u64>>,
    ) -> Result<(BlobMeta, ByteStream), StorageError> {
        if let Some(bytes) = self.hot.get(key.as_str()).await {
            return slice(key, bytes, range);
        }
        if range.is_some() || !self.second_miss(key).await {
            return self.inner.get_stream(key, range).await;
        }
        let (meta, body) = self.inner.get_stream(key, None).await?;
        if meta.size > self.max_blob {
            return Ok((meta, body));
        }
        let chunks: Vec<Bytes> = body.try_collect().await?;
        let bytes = match chunks.len() {
            1 => chunks.into_iter().next().unwrap_or_default(),
            _ => Bytes::from(chunks.concat()),
        };
        self.hot
            .insert(key.as_str().to_owned(), bytes.clone())
            .await;
        slice(key, bytes, None)
    }

    async fn head(&self, key: &BlobKey) -> Result<BlobMeta, StorageError> {
        match self.hot.get(key.as_str()).await {
            Some(bytes) => Ok(BlobMeta {
                key: key.as_str().to_owned(),
                size: bytes.len() as u64,
            }),
            None => self.inner.head(key).await,
        }
    }

    async fn delete(&self, key: &BlobKey) -> Result<(), StorageError> {
        let result = self.inner.delete(key).await;
        self.forget(key).await;
        result
    }

    async fn list(&self, prefix: &str) -> Result<Vec<BlobMeta>, StorageError> {
        self.inner.list(prefix).await
    }

    async fn ping(&self) -> Result<(), StorageError> {
        self.inner.ping().await
    }
}

#[cfg(test)]
mod tests {
    use darkroom_core::ports::BlobStoreExt;

    use super::*;
    use crate::storage::ObjectStoreBlobs;

    fn key(raw: &str) -> BlobKey {
        BlobKey::parse(raw).unwrap()
    }

    fn cache_over(store: &Arc<dyn BlobStore>, budget: u64) -> HotBlobCache {
        HotBlobCache::new(Arc::clone(store), budget, |k| k.contains("/variants/"))
    }

    #[tokio::test]
    async fn a_blob_read_twice_is_served_from_memory_with_ranges() {
        let store: Arc<dyn BlobStore> = Arc::new(ObjectStoreBlobs::in_memory());
        let cache = cache_over(&store, 1024 * 1024);
        let thumb = key("images/a/variants/thumb.jpeg");
        store
            .put(&thumb, Bytes::from_static(b"0123456789"))
            .await
            .unwrap();
        cache.get(&thumb, None).await.unwrap();
        cache.get(&thumb, None).await.unwrap();
        // Gone from the store behind the cache's back: only a held copy can still answer.
        store.delete(&thumb).await.unwrap();
        assert_eq!(&cache.get(&thumb, None).await.unwrap()[..], b"0123456789");
        assert_eq!(&cache.get(&thumb, Some(2..5)).await.unwrap()[..], b"234");
        assert_eq!(&cache.get(&thumb, Some(8..50)).await.unwrap()[..], b"89");
        assert_eq!(cache.get(&thumb, Some(4..4)).await.unwrap().len(), 0);
        assert!(matches!(
            cache.get(&thumb, Some(10..12)).await,
            Err(StorageError::InvalidRange { size: 10 })
        ));
        assert_eq!(cache.head(&thumb).await.unwrap().size, 10);
        // A delete through the wrapper drops the held copy.
        cache.delete(&thumb).await.unwrap();
        assert!(matches!(
            cache.get(&thumb, None).await,
            Err(StorageError::NotFound(_))
        ));
    }

    #[tokio::test]
    async fn one_read_and_keys_not_admitted_never_fill_the_cache() {
        let store: Arc<dyn BlobStore> = Arc::new(ObjectStoreBlobs::in_memory());
        let cache = cache_over(&store, 1024 * 1024);
        let once = key("images/a/variants/medium.jpeg");
        let mutable = key("images/a/draft");
        for k in [&once, &mutable] {
            store.put(k, Bytes::from_static(b"bytes")).await.unwrap();
        }
        cache.get(&once, None).await.unwrap();
        for _ in 0..3 {
            cache.get(&mutable, None).await.unwrap();
        }
        assert_eq!(cache.held_bytes().await, 0);
        store.delete(&once).await.unwrap();
        store.delete(&mutable).await.unwrap();
        assert!(cache.get(&once, None).await.is_err());
        assert!(cache.get(&mutable, None).await.is_err());
    }

    #[tokio::test]
    async fn a_scan_of_many_hot_variants_stays_within_the_budget() {
        let store: Arc<dyn BlobStore> = Arc::new(ObjectStoreBlobs::in_memory());
        let budget = 256 * 1024;
        let cache = cache_over(&store, budget);
        let blob = Bytes::from(vec![7u8; 10 * 1024]);
        // Two hundred distinct 10 KiB variants, each read twice so each is let in: 2 MB through a 256 KiB cache.
        for i in 0..200 {
            let k = key(&format!("images/{i}/variants/thumb.jpeg"));
            store.put(&k, blob.clone()).await.unwrap();
            for _ in 0..2 {
                assert_eq!(cache.get(&k, None).await.unwrap(), blob);
            }
        }
        let held = cache.held_bytes().await;
        assert!(held > 0, "hot variants were let in");
        assert!(
            held <= budget,
            "{held} bytes held over a {budget}-byte budget"
        );
        // A blob over an eighth of the budget streams through and is never held.
        let large = key("images/big/variants/large.jpeg");
        store
            .put(&large, Bytes::from(vec![1u8; 64 * 1024]))
            .await
            .unwrap();
        for _ in 0..3 {
            cache.get(&large, None).await.unwrap();
        }
        assert!(!cache.hot.contains_key(large.as_str()));
    }
}
