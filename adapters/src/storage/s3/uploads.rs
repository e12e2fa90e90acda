//! The multipart uploads in progress under the store's prefix (ListMultipartUploads, which `object_store`
//! has no call for): what `StorageSweep::leftovers` answers on S3. Aborting one goes through the store's
//! own `MultipartStore::abort_multipart`.
//!
//! `started` is S3's `Initiated`: the time the upload was created, which a write still sending parts
//! keeps (hence the janitor's grace of at least an hour). moto answers one fixed date for every upload.

use aws_sdk_s3::error::ProvideErrorMetadata;
use chrono::{DateTime, Utc};
use darkroom_core::ports::{Leftover, LeftoverKind, StorageError};

use super::bucket::{client, storage_error};
use super::url::S3Url;

/// The multipart uploads of one bucket under one prefix.
#[derive(Clone)]
pub(crate) struct S3Uploads {
    client: aws_sdk_s3::Client,
    bucket: String,
    /// What the URL's prefix puts before every key: `PREFIX/`, or nothing.
    key_prefix: String,
}

impl std::fmt::Debug for S3Uploads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Uploads")
            .field("bucket", &self.bucket)
            .field("key_prefix", &self.key_prefix)
            .finish()
    }
}

impl S3Uploads {
    pub(super) async fn new(url: &S3Url) -> Self {
        Self {
            client: client(url).await,
            bucket: url.bucket.clone(),
            key_prefix: match url.prefix.trim_end_matches('/') {
                "" => String::new(),
                prefix => format!("{prefix}/"),
            },
        }
    }

    /// Whether upload `id` of `key` is known to be gone (aborted or completed): ListParts answers
    /// NoSuchUpload. Asked after a completion failed, since moto answers a completion of an unknown upload
    /// with a 500 rather than S3's 404; any other answer (an error included) is not proof.
    pub(crate) async fn is_gone(&self, key: &str, id: &str) -> bool {
        match self
            .client
            .list_parts()
            .bucket(&self.bucket)
            .key(format!("{}{key}", self.key_prefix))
            .upload_id(id)
            .max_parts(1)
            .send()
            .await
        {
            Ok(_) => false,
            Err(err) => {
                let status = err.raw_response().map(|raw| raw.status().as_u16());
                err.code() == Some("NoSuchUpload") || status == Some(404)
            }
        }
    }

    /// Every upload in progress under the prefix, its key relative to the prefix.
    pub(crate) async fn list(&self) -> Result<Vec<Leftover>, StorageError> {
        let mut found = Vec::new();
        let mut markers: Option<(String, String)> = None;
        loop {
            let mut request = self
                .client
                .list_multipart_uploads()
                .bucket(&self.bucket)
                .prefix(&self.key_prefix);
            if let Some((key, id)) = &markers {
                request = request.key_marker(key).upload_id_marker(id);
            }
            let page = request
                .send()
                .await
                .map_err(|e| storage_error(e, "listing multipart uploads"))?;
            for upload in page.uploads() {
                let (Some(key), Some(id)) = (upload.key(), upload.upload_id()) else {
                    continue;
                };
                let Some(key) = key.strip_prefix(&self.key_prefix) else {
                    continue;
                };
                let started = upload
                    .initiated()
                    .and_then(|at| DateTime::<Utc>::from_timestamp(at.secs(), at.subsec_nanos()))
                    // No date: count it as old rather than keep it for ever.
                    .unwrap_or_default();
                found.push(Leftover {
                    kind: LeftoverKind::Multipart,
                    key: key.to_owned(),
                    upload_id: Some(id.to_owned()),
                    started,
                });
            }
            let next = (
                page.next_key_marker().map(str::to_owned),
                page.next_upload_id_marker().map(str::to_owned),
            );
            match (page.is_truncated(), next) {
                (Some(true), (Some(key), Some(id)))
                    if markers.as_ref() != Some(&(key.clone(), id.clone())) =>
                {
                    markers = Some((key, id));
                }
                _ => return Ok(found),
            }
        }
    }
}
