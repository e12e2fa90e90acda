//! `DARKROOM_STORAGE_URL`: `file:///PATH`, `memory://`, `s3://BUCKET?region=…&endpoint=…&path_style=…&prefix=…`.

use std::sync::Arc;

use anyhow::bail;
use darkroom_core::ports::{BlobStore, MultipartStore, StorageSweep};

#[allow(unused_imports)]
use super::not_built;

pub async fn connect(url: &str, migrate: bool) -> anyhow::Result<Arc<dyn BlobStore>> {
    Ok(connect_stores(url, migrate).await?.blobs)
}

/// One store seen through each of its capabilities (one instance: a `memory://` store is only itself).
#[derive(Debug, Clone)]
pub struct Stores {
    pub blobs: Arc<dyn BlobStore>,
    pub multipart: Arc<dyn MultipartStore>,
    /// Dated listings and the leftovers of interrupted writes, for the janitor.
    pub sweep: Arc<dyn StorageSweep>,
}

/// The store of `url` with its capabilities.
pub async fn connect_stores(url: &str, migrate: bool) -> anyhow::Result<Stores> {
    match super::scheme(url) {
        "file" | "memory" => local(url),
        "s3" => s3(url, migrate).await,
        other => bail!("unknown storage scheme `{other}` (expected file://, memory:// or s3://)"),
    }
}

#[allow(dead_code)]
fn stores<S: BlobStore + MultipartStore + StorageSweep + 'static>(store: S) -> Stores {
    let store = Arc::new(store);
    Stores {
        blobs: store.clone(),
        multipart: store.clone(),
        sweep: store,
    }
}

/// Puts the in-memory cache of hot variants and originals in front of `storage`; a budget of 0 turns it off.
#[cfg(feature = "memory-cache")]
pub fn with_hot_cache(storage: Arc<dyn BlobStore>, budget_bytes: u64) -> Arc<dyn BlobStore> {
    use darkroom_adapters::storage::HotBlobCache;
    use darkroom_core::services::images::keys;
    if budget_bytes == 0 {
        return storage;
    }
    Arc::new(HotBlobCache::new(storage, budget_bytes, keys::immutable))
}

#[cfg(not(feature = "memory-cache"))]
pub fn with_hot_cache(storage: Arc<dyn BlobStore>, _budget_bytes: u64) -> Arc<dyn BlobStore> {
    storage
}

#[cfg(feature = "local-storage")]
fn local(url: &str) -> anyhow::Result<Stores> {
    use darkroom_adapters::storage::ObjectStoreBlobs;
    match url.strip_prefix("file://") {
        Some(path) => Ok(stores(ObjectStoreBlobs::local(std::path::Path::new(path))?)),
        None => Ok(stores(ObjectStoreBlobs::in_memory())),
    }
}

#[cfg(not(feature = "local-storage"))]
fn local(_url: &str) -> anyhow::Result<Stores> {
    Err(not_built("local storage", "local-storage"))
}

#[cfg(feature = "s3")]
async fn s3(url: &str, migrate: bool) -> anyhow::Result<Stores> {
    use darkroom_adapters::storage::ObjectStoreBlobs;
    if migrate {
        ObjectStoreBlobs::ensure_s3_bucket(url).await?;
    }
    Ok(stores(ObjectStoreBlobs::s3_from_url(url).await?))
}

#[cfg(not(feature = "s3"))]
async fn s3(_url: &str, _migrate: bool) -> anyhow::Result<Stores> {
    Err(not_built("s3 storage", "s3"))
}
