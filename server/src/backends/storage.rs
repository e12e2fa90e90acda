//! `DARKROOM_STORAGE_URL`: `file:///PATH`, `memory://`, `s3://BUCKET?region=…&endpoint=…&path_style=…&prefix=…`.

use std::sync::Arc;

use anyhow::bail;
use darkroom_core::ports::{BlobStore, MultipartStore};

#[allow(unused_imports)]
use super::not_built;

pub async fn connect(url: &str, migrate: bool) -> anyhow::Result<Arc<dyn BlobStore>> {
    Ok(connect_with_multipart(url, migrate).await?.0)
}

/// The store, and the same store's multipart uploads (one instance: a `memory://` store is only itself).
pub async fn connect_with_multipart(
    url: &str,
    migrate: bool,
) -> anyhow::Result<(Arc<dyn BlobStore>, Arc<dyn MultipartStore>)> {
    match super::scheme(url) {
        "file" | "memory" => local(url),
        "s3" => s3(url, migrate).await,
        other => bail!("unknown storage scheme `{other}` (expected file://, memory:// or s3://)"),
    }
}

type Both = (Arc<dyn BlobStore>, Arc<dyn MultipartStore>);

#[allow(dead_code)]
fn both<S: BlobStore + MultipartStore + 'static>(store: S) -> Both {
    let store = Arc::new(store);
    (store.clone(), store)
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
fn local(url: &str) -> anyhow::Result<Both> {
    use darkroom_adapters::storage::ObjectStoreBlobs;
    match url.strip_prefix("file://") {
        Some(path) => Ok(both(ObjectStoreBlobs::local(std::path::Path::new(path))?)),
        None => Ok(both(ObjectStoreBlobs::in_memory())),
    }
}

#[cfg(not(feature = "local-storage"))]
fn local(_url: &str) -> anyhow::Result<Both> {
    Err(not_built("local storage", "local-storage"))
}

#[cfg(feature = "s3")]
async fn s3(url: &str, migrate: bool) -> anyhow::Result<Both> {
    use darkroom_adapters::storage::ObjectStoreBlobs;
    if migrate {
        ObjectStoreBlobs::ensure_s3_bucket(url).await?;
    }
    Ok(both(ObjectStoreBlobs::s3_from_url(url).await?))
}

#[cfg(not(feature = "s3"))]
async fn s3(_url: &str, _migrate: bool) -> anyhow::Result<Both> {
    Err(not_built("s3 storage", "s3"))
}
