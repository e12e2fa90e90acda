//! `MultipartStore` for `ObjectStoreBlobs`: on the local filesystem through `local_multipart`, in memory
//! through `memory_multipart`, on S3 through `object_store`'s own `MultipartStore`.
//!
//! `object_store` sends a part as one payload of known length (S3's UploadPart needs its Content-Length),
//! so on those stores a part is gathered (as the chunks that arrived, not copied) before it is sent: what a
//! part may weigh is bounded by the caller (`upload_part_max_bytes`). The local store streams to disk.

use std::sync::Arc;

use async_trait::async_trait;
use darkroom_core::ports::multipart::check_part_sequence;
use darkroom_core::ports::{
    BlobKey, BlobMeta, BlobStore, ByteStream, MultipartStore, PartReceipt, StorageError,
};
use futures::TryStreamExt;
use object_store::multipart::{MultipartStore as ObjectMultipart, PartId};
use object_store::path::Path;
use object_store::PutPayload;

use super::error::{invalid_key, map_error};
use super::{local_multipart, ObjectStoreBlobs};

/// The `object_store` multipart capability of a store, with the prefix its keys live under (a
/// `PrefixStore` does not pass multipart calls through, so the prefix is applied here).
#[derive(Clone)]
pub(super) struct NativeMultipart {
    pub store: Arc<dyn ObjectMultipart>,
    pub prefix: String,
}

impl NativeMultipart {
    fn path(&self, key: &BlobKey) -> Result<Path, StorageError> {
        let full = if self.prefix.is_empty() {
            key.as_str().to_owned()
        } else {
            format!("{}/{}", self.prefix.trim_end_matches('/'), key.as_str())
        };
        Path::parse(&full).map_err(|_| invalid_key(key.as_str()))
    }
}

/// An error about upload `id` (S3 answers an unknown one with NotFound: the upload is gone).
fn upload_error(err: object_store::Error, key: &BlobKey, id: &str) -> StorageError {
    match err {
        object_store::Error::NotFound { .. } => {
            StorageError::NotFound(format!("multipart upload {id} of {:?}", key.as_str()))
        }
        other => map_error(other, key.as_str()),
    }
}

/// Part numbers start at 1; `object_store` counts from 0.
fn index_of(number: u32) -> Result<usize, StorageError> {
    if number == 0 || number > darkroom_core::ports::multipart::MAX_PART_NUMBER {
        return Err(StorageError::other(format!(
            "part number {number} out of range"
        )));
    }
    Ok(number as usize - 1)
}

impl ObjectStoreBlobs {
    fn native(&self) -> Result<&NativeMultipart, StorageError> {
        self.multipart.as_ref().ok_or_else(|| {
            StorageError::other(format!(
                "the {} store has no multipart uploads",
                self.backend
            ))
        })
    }
}

#[async_trait]
impl MultipartStore for ObjectStoreBlobs {
    async fn create_multipart(&self, key: &BlobKey) -> Result<String, StorageError> {
        if let Some(root) = self.local_root.as_deref() {
            return local_multipart::create(root).await;
        }
        if let Some(memory) = &self.memory_parts {
            return memory.create(key.as_str());
        }
        let native = self.native()?;
        native
            .store
            .create_multipart(&native.path(key)?)
            .await
            .map_err(|e| map_error(e, key.as_str()))
    }

    async fn put_part(
        &self,
        key: &BlobKey,
        upload_id: &str,
        number: u32,
        data: ByteStream,
    ) -> Result<PartReceipt, StorageError> {
        let index = index_of(number)?;
        if let Some(root) = self.local_root.as_deref() {
            return local_multipart::put_part(root, upload_id, number, data).await;
        }
        if let Some(memory) = &self.memory_parts {
            return memory.put_part(upload_id, number, data).await;
        }
        let native = self.native()?;
        // Gathered whole before anything is sent: a stream that fails sends nothing, so the part stands.
        let chunks: Vec<bytes::Bytes> = data.try_collect().await?;
        let payload: PutPayload = chunks.into_iter().collect();
        let size = payload.content_length() as u64;
        let part = native
            .store
            .put_part(&native.path(key)?, &upload_id.to_owned(), index, payload)
            .await
            .map_err(|e| upload_error(e, key, upload_id))?;
        Ok(PartReceipt {
            number,
            size,
            tag: part.content_id,
        })
    }

    async fn complete_multipart(
        &self,
        key: &BlobKey,
        upload_id: &str,
        parts: &[PartReceipt],
    ) -> Result<BlobMeta, StorageError> {
        if let Some(root) = self.local_root.as_deref() {
            return local_multipart::complete(root, key, upload_id, parts).await;
        }
        if let Some(memory) = &self.memory_parts {
            let whole = memory.complete(upload_id, parts)?;
            return self.put(key, whole).await;
        }
        check_part_sequence(parts)?;
        let native = self.native()?;
        let ids = parts
            .iter()
            .map(|part| PartId {
                content_id: part.tag.clone(),
            })
            .collect();
        let completed = native
            .store
            .complete_multipart(&native.path(key)?, &upload_id.to_owned(), ids)
            .await
            .map_err(|e| upload_error(e, key, upload_id));
        if let Err(err) = completed {
            // An upload that is gone is NotFound, however the server words it (see `S3Uploads::is_gone`).
            #[cfg(feature = "s3")]
            if !matches!(err, StorageError::NotFound(_)) {
                if let Some(uploads) = &self.s3_uploads {
                    if uploads.is_gone(key.as_str(), upload_id).await {
                        return Err(StorageError::NotFound(format!(
                            "multipart upload {upload_id} of {:?}",
                            key.as_str()
                        )));
                    }
                }
            }
            return Err(err);
        }
        Ok(BlobMeta {
            key: key.as_str().to_owned(),
            size: parts.iter().map(|part| part.size).sum(),
        })
    }

    async fn abort_multipart(&self, key: &BlobKey, upload_id: &str) -> Result<(), StorageError> {
        if let Some(root) = self.local_root.as_deref() {
            return local_multipart::abort(root, upload_id).await;
        }
        if let Some(memory) = &self.memory_parts {
            return memory.abort(upload_id);
        }
        let native = self.native()?;
        match native
            .store
            .abort_multipart(&native.path(key)?, &upload_id.to_owned())
            .await
            .map_err(|e| upload_error(e, key, upload_id))
        {
            Ok(()) | Err(StorageError::NotFound(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }
}
