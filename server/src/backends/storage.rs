//! `DARKROOM_STORAGE_URL`: `file:///PATH`, `memory://`, `s3://BUCKET?region=…&endpoint=…&path_style=…&prefix=…`.

use std::sync::Arc;

use anyhow::bail;
use darkroom_core::ports::BlobStore;

#[allow(unused_imports)]
use super::not_built;

pub async fn connect(url: &str, migrate: bool) -> anyhow::Result<Arc<dyn BlobStore>> {
    match super::scheme(url) {
        "file" | "memory" => local(url),
        "s3" => s3(url, migrate).await,
        other => bail!("unknown storage scheme `{other}` (expected file://, memory:// or s3://)"),
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
fn local(url: &str) -> anyhow::Result<Arc<dyn BlobStore>> {
    use darkroom_adapters::storage::ObjectStoreBlobs;
    match url.strip_prefix("file://") {
        Some(path) => Ok(Arc::new(ObjectStoreBlobs::local(std::path::Path::new(
            path,
        ))?)),
        None => Ok(Arc::new(ObjectStoreBlobs::in_memory())),
    }
}

#[cfg(not(feature = "local-storage"))]
fn local(_url: &str) -> anyhow::Result<Arc<dyn BlobStore>> {
    Err(not_built("local storage", "local-storage"))
}

#[cfg(feature = "s3")]
async fn s3(url: &str, migrate: bool) -> anyhow::Result<Arc<dyn BlobStore>> {
    use darkroom_adapters::storage::ObjectStoreBlobs;
    if migrate {
        ObjectStoreBlobs::ensure_s3_bucket(url).await?;
    }
    Ok(Arc::new(ObjectStoreBlobs::s3_from_url(url).await?))
}

#[cfg(not(feature = "s3"))]
async fn s3(_url: &str, _migrate: bool) -> anyhow::Result<Arc<dyn BlobStore>> {
    Err(not_built("s3 storage", "s3"))
}
