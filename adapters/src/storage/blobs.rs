//! `BlobStore` over any `object_store::ObjectStore`: the local filesystem and memory today, S3 and the
//! S3-compatibles later through one more constructor and nothing else.

use std::fmt;
use std::ops::Range;
use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use darkroom_core::ports::{BlobKey, BlobMeta, BlobStore, ByteStream, StorageError};
use futures::{StreamExt, TryStreamExt};
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::{GetOptions, GetRange, ObjectStore, PutPayload, WriteMultipart};

use super::error::{invalid_key, map_error};
use super::local_multipart::STAGING;
use super::local_reads;
use super::local_writes;
use super::memory_multipart::MemoryParts;
use super::multipart::NativeMultipart;

/// Size of one multipart part. 5 MiB is the smallest part S3 accepts (except the last one).
const PART_SIZE: usize = 5 * 1024 * 1024;
/// Parts uploading at once. With the part being filled this bounds what `put_stream` holds in memory to
/// `(MAX_PARTS_IN_FLIGHT + 1) * PART_SIZE`, whatever the length of the stream.
const MAX_PARTS_IN_FLIGHT: usize = 2;

/// Blob storage on an `object_store` backend.
#[derive(Clone)]
pub struct ObjectStoreBlobs {
    store: Arc<dyn ObjectStore>,
    pub(super) backend: &'static str,
    /// The local store's root, whose files `get_stream` reads itself (see `local_reads`).
    pub(super) local_root: Option<Arc<PathBuf>>,
    /// Multipart uploads where `object_store` has them (S3, memory); the local store stages its own.
    pub(super) multipart: Option<NativeMultipart>,
    /// The in-memory store's multipart uploads (see `memory_multipart` for why not `object_store`'s).
    pub(super) memory_parts: Option<Arc<MemoryParts>>,
    /// S3's uploads in progress, for `StorageSweep::leftovers`.
    #[cfg(feature = "s3")]
    pub(super) s3_uploads: Option<super::s3::S3Uploads>,
}

impl fmt::Debug for ObjectStoreBlobs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ObjectStoreBlobs")
            .field("backend", &self.backend)
            .field("store", &self.store.to_string())
            .finish()
    }
}

/// Whether `key` (as a store lists it) is a write in progress rather than a blob: the local store's
/// multipart staging directory, or on the local store a streamed write's staging file `{name}#{hex}`.
/// `object_store` hides only the staging names it makes itself (`#` and digits), so ours (`#` and a uuid)
/// are hidden here. Other stores have no staging files, and a key of theirs may hold a `#`.
fn in_progress(key: &str, local: bool) -> bool {
    let multipart = key.starts_with(STAGING) && key[STAGING.len()..].starts_with('/');
    let name = key.rsplit('/').next().unwrap_or(key);
    multipart || (local && super::local_sweep::is_staging_name(name))
}

impl ObjectStoreBlobs {
    /// The file behind `key` on the local store, which reads and streamed writes handle themselves
    /// (`local_reads`, `local_writes`); `None` on other stores and for keys `object_store` encodes.
    fn local_file(&self, key: &BlobKey) -> Option<PathBuf> {
        self.local_root
            .as_deref()
            .and_then(|root| local_reads::file_path(root, key))
    }

    /// Wraps any store; `backend` is the short name `backend()` reports ("s3", …).
    pub fn new(store: Arc<dyn ObjectStore>, backend: &'static str) -> Self {
        Self {
            store,
            backend,
            local_root: None,
            multipart: None,
            memory_parts: None,
            #[cfg(feature = "s3")]
            s3_uploads: None,
        }
    }

    /// Blobs as files under `root`, which is created when missing. Writes go to a staging file beside the
    /// target and are renamed into place, so readers never see a partial blob.
    pub fn local(root: &FsPath) -> Result<Self, StorageError> {
        std::fs::create_dir_all(root).map_err(|e| {
            StorageError::unavailable_from(
                format!("cannot create storage root {}", root.display()),
                e,
            )
        })?;
        let fs = LocalFileSystem::new_with_prefix(root)
            .map_err(|e| {
                StorageError::unavailable_from(
                    format!("cannot open storage root {}", root.display()),
                    e,
                )
            })?
            // Deleting the last blob of a directory removes the directory, so purged images leave no husks.
            .with_automatic_cleanup(true);
        Ok(Self {
            local_root: Some(Arc::new(root.to_path_buf())),
            ..Self::new(Arc::new(fs), "local")
        })
    }

    /// Blobs in process memory: for tests and throwaway instances.
    pub fn in_memory() -> Self {
        Self {
            memory_parts: Some(Arc::default()),
            ..Self::new(Arc::new(InMemory::new()), "memory")
        }
    }

    /// Adds the store's multipart capability, under `prefix` when its keys live under one.
    #[cfg_attr(not(feature = "s3"), allow(dead_code))]
    pub(super) fn with_multipart(
        mut self,
        store: Arc<dyn object_store::multipart::MultipartStore>,
        prefix: &str,
    ) -> Self {
        self.multipart = Some(NativeMultipart {
            store,
            prefix: prefix.to_owned(),
        });
        self
    }

    fn path(key: &BlobKey) -> Result<Path, StorageError> {
        Path::parse(key.as_str()).map_err(|_| invalid_key(key.as_str()))
    }

    fn stream_of(result: object_store::GetResult, key: &BlobKey) -> (BlobMeta, ByteStream) {
        let meta = BlobMeta {
            key: key.as_str().to_owned(),
            size: result.meta.size,
        };
        let owned_key = key.as_str().to_owned();
        let stream = result
            .into_stream()
            .map_err(move |e| map_error(e, &owned_key))
            .boxed();
        (meta, stream)
    }

    /// What `list` answers, with `object_store`'s metadata (`StorageSweep::list_dated` wants the times).
    pub(super) async fn listed(
        &self,
        prefix: &str,
    ) -> Result<Vec<object_store::ObjectMeta>, StorageError> {
        // object_store lists whole path segments ("a/b" does not match "a/bc"), while the port promises a
        // plain string prefix: list the prefix's directory and filter.
        let dir = match prefix.rsplit_once('/') {
            Some((dir, _)) if !dir.is_empty() => match Path::parse(dir) {
                Ok(dir) => Some(dir),
                // No key has empty, `.` or `..` segments, so such a prefix matches nothing.
                Err(_) => return Ok(Vec::new()),
            },
            _ => None,
        };
        let local = self.local_root.is_some();
        self.store
            .list(dir.as_ref())
            .map_err(|e| map_error(e, prefix))
            .try_filter(|meta| {
                let key = meta.location.as_ref();
                let shown = key.starts_with(prefix) && !in_progress(key, local);
                futures::future::ready(shown)
            })
            .try_collect()
            .await
    }

    /// Answers a range request that failed or that `object_store` refuses to send (empty ranges): backends
    /// word an unsatisfiable range each their own way (a generic error locally, HTTP 416 on S3), so the
    /// blob's size decides.
    async fn check_range(
        &self,
        key: &BlobKey,
        range: &Range<u64>,
    ) -> Result<BlobMeta, StorageError> {
        let meta = self.head(key).await?;
        if range.start >= meta.size {
            return Err(StorageError::InvalidRange { size: meta.size });
        }
        Ok(meta)
    }

    /// Abandons a multipart upload, logging (not returning) a failure to clean up: the caller's error is
    /// the one worth reporting.
    async fn abort(writer: WriteMultipart, key: &BlobKey) {
        if let Err(e) = writer.abort().await {
            tracing::warn!(key = key.as_str(), error = %e, "could not abort multipart upload");
        }
    }
}

#[async_trait]
impl BlobStore for ObjectStoreBlobs {
    fn backend(&self) -> &'static str {
        self.backend
    }

    async fn put(&self, key: &BlobKey, data: Bytes) -> Result<BlobMeta, StorageError> {
        let size = data.len() as u64;
        self.store
            .put(&Self::path(key)?, PutPayload::from(data))
            .await
            .map_err(|e| map_error(e, key.as_str()))?;
        Ok(BlobMeta {
            key: key.as_str().to_owned(),
            size,
        })
    }

    async fn put_stream(
        &self,
        key: &BlobKey,
        mut data: ByteStream,
    ) -> Result<BlobMeta, StorageError> {
        if let Some(file) = self.local_file(key) {
            return local_writes::put_stream(file, key, data).await;
        }
        let upload = self
            .store
            .put_multipart(&Self::path(key)?)
            .await
            .map_err(|e| map_error(e, key.as_str()))?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_SIZE);
        let mut size = 0u64;
        while let Some(chunk) = data.next().await {
            let chunk = match chunk {
                Ok(chunk) => chunk,
                Err(e) => {
                    Self::abort(writer, key).await;
                    return Err(e);
                }
            };
            // Back-pressure: wait for a part to finish before buffering more than the bound allows.
            if let Err(e) = writer.wait_for_capacity(MAX_PARTS_IN_FLIGHT).await {
                Self::abort(writer, key).await;
                return Err(map_error(e, key.as_str()));
            }
            size += chunk.len() as u64;
            writer.put(chunk);
        }
        // `finish` consumes the writer and does not abort when a part failed, so settle the parts first.
        if let Err(e) = writer.wait_for_capacity(0).await {
            Self::abort(writer, key).await;
            return Err(map_error(e, key.as_str()));
        }
        writer
            .finish()
            .await
            .map_err(|e| map_error(e, key.as_str()))?;
        Ok(BlobMeta {
            key: key.as_str().to_owned(),
            size,
        })
    }

    async fn get_stream(
        &self,
        key: &BlobKey,
        range: Option<Range<u64>>,
    ) -> Result<(BlobMeta, ByteStream), StorageError> {
        let path = Self::path(key)?;
        if let Some(file) = self.local_file(key) {
            return local_reads::read(file, key, range).await;
        }
        let Some(range) = range else {
            let result = self
                .store
                .get(&path)
                .await
                .map_err(|e| map_error(e, key.as_str()))?;
            return Ok(Self::stream_of(result, key));
        };
        if range.start >= range.end {
            // object_store refuses empty ranges outright; one inside the blob is simply zero bytes.
            let meta = self.check_range(key, &range).await?;
            return Ok((meta, futures::stream::empty().boxed()));
        }
        let options = GetOptions {
            range: Some(GetRange::Bounded(range.clone())),
            ..GetOptions::default()
        };
        match self.store.get_opts(&path, options).await {
            Ok(result) => Ok(Self::stream_of(result, key)),
            Err(e @ object_store::Error::NotFound { .. }) => Err(map_error(e, key.as_str())),
            Err(e) => {
                self.check_range(key, &range).await?;
                Err(map_error(e, key.as_str()))
            }
        }
    }

    async fn head(&self, key: &BlobKey) -> Result<BlobMeta, StorageError> {
        let meta = self
            .store
            .head(&Self::path(key)?)
            .await
            .map_err(|e| map_error(e, key.as_str()))?;
        Ok(BlobMeta {
            key: key.as_str().to_owned(),
            size: meta.size,
        })
    }

    async fn delete(&self, key: &BlobKey) -> Result<(), StorageError> {
        match self.store.delete(&Self::path(key)?).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(map_error(e, key.as_str())),
        }
    }

    async fn list(&self, prefix: &str) -> Result<Vec<BlobMeta>, StorageError> {
        Ok(self
            .listed(prefix)
            .await?
            .into_iter()
            .map(|meta| BlobMeta {
                key: meta.location.as_ref().to_owned(),
                size: meta.size,
            })
            .collect())
    }

    async fn ping(&self) -> Result<(), StorageError> {
        // Listing the root proves the store is reachable and the credentials can read it.
        self.store
            .list_with_delimiter(None)
            .await
            .map(|_| ())
            .map_err(|e| StorageError::unavailable_from(format!("{} store", self.backend), e))
    }
}
