//! S3 storage classes (`StorageClassStore`), with the AWS SDK, which `object_store` has no calls for: a
//! blob moves to another class by a copy onto itself with that class (same key, same bytes, same ETag for
//! a single-part copy), and a blob in GLACIER or DEEP_ARCHIVE is restored with RestoreObject before it can be
//! read or copied back.
//!
//! A copy of one request covers objects up to 5 GiB (S3's limit for CopyObject); larger originals stay in
//! their class and the call fails with a clear error. The copy asks for the URL's server-side encryption
//! (`sse=`), as every other write does: without it S3 would store the copy under the bucket's default, so
//! an original written with SSE-KMS would lose its key on its way to the archive class.

use async_trait::async_trait;
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::types::{
    GlacierJobParameters, RestoreRequest, ServerSideEncryption, StorageClass, Tier,
};
use darkroom_core::ports::storage_classes::{needs_restore, STANDARD};
use darkroom_core::ports::{BlobKey, Retrieval, StorageClassStore, StorageError};

use super::bucket::{client, storage_error};
use super::url::{self, S3Url, Sse};

/// The largest object one CopyObject copies.
const MAX_COPY_BYTES: i64 = 5 * 1024 * 1024 * 1024;
/// How long a restored copy stays readable, in days: long enough for the read path to copy it back into
/// the default class.
const RESTORED_DAYS: i32 = 2;

/// The storage classes of the objects of one bucket (under the URL's prefix).
#[derive(Clone)]
pub struct S3StorageClasses {
    client: aws_sdk_s3::Client,
    bucket: String,
    prefix: String,
    sse: Option<Sse>,
}

impl std::fmt::Debug for S3StorageClasses {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3StorageClasses")
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix)
            .field("sse", &self.sse)
            .finish()
    }
}

/// What a HEAD says of an object's class and restore.
struct Head {
    class: String,
    size: i64,
    /// `x-amz-restore`: absent when no restore was asked for.
    restore: Option<String>,
}

impl S3StorageClasses {
    /// The classes of the bucket of `url` (an `s3://` storage URL). Makes no call yet.
    pub async fn from_url(url: &str) -> Result<Self, StorageError> {
        let parsed: S3Url = url::parse(url)?;
        Ok(Self {
            client: client(&parsed).await,
            bucket: parsed.bucket,
            prefix: parsed.prefix,
            sse: parsed.sse,
        })
    }

    fn object_key(&self, key: &BlobKey) -> String {
        if self.prefix.is_empty() {
            key.as_str().to_owned()
        } else {
            format!("{}/{}", self.prefix.trim_end_matches('/'), key.as_str())
        }
    }

    async fn head(&self, key: &BlobKey) -> Result<Head, StorageError> {
        let object = self.object_key(key);
        match self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(&object)
            .send()
            .await
        {
            Ok(head) => Ok(Head {
                class: head
                    .storage_class()
                    .map_or_else(|| STANDARD.to_owned(), |c| c.as_str().to_owned()),
                size: head.content_length().unwrap_or_default(),
                restore: head.restore().map(str::to_owned),
            }),
            Err(e) if e.as_service_error().is_some_and(|e| e.is_not_found()) => {
                Err(StorageError::NotFound(key.as_str().to_owned()))
            }
            Err(e) => Err(storage_error(e, &format!("reading the class of {object}"))),
        }
    }
}

#[async_trait]
impl StorageClassStore for S3StorageClasses {
    async fn set_storage_class(&self, key: &BlobKey, class: &str) -> Result<(), StorageError> {
        let head = self.head(key).await?;
        // S3 refuses a copy onto itself that changes nothing.
        if head.class == class {
            return Ok(());
        }
        if head.size > MAX_COPY_BYTES {
            return Err(StorageError::other(format!(
                "{} is over 5 GiB: its storage class cannot be changed by one copy",
                key.as_str()
            )));
        }
        let object = self.object_key(key);
        let source = format!("{}/{}", self.bucket, urlencoding_path(&object));
        let mut copy = self
            .client
            .copy_object()
            .bucket(&self.bucket)
            .key(&object)
            .copy_source(source)
            .storage_class(StorageClass::from(class))
            .metadata_directive(aws_sdk_s3::types::MetadataDirective::Copy);
        if let Some(sse) = &self.sse {
            copy = copy
                .server_side_encryption(ServerSideEncryption::from(sse.algorithm.as_str()))
                .set_ssekms_key_id(sse.kms_key_id.clone())
                .set_bucket_key_enabled(sse.bucket_key_enabled);
        }
        copy.send()
            .await
            .map_err(|e| storage_error(e, &format!("moving {object} to class {class}")))?;
        Ok(())
    }

    async fn storage_class(&self, key: &BlobKey) -> Result<String, StorageError> {
        Ok(self.head(key).await?.class)
    }

    async fn prepare_read(&self, key: &BlobKey) -> Result<Retrieval, StorageError> {
        let head = self.head(key).await?;
        if !needs_restore(&head.class) {
            return Ok(Retrieval::Readable);
        }
        match head.restore.as_deref() {
            // `ongoing-request="false", expiry-date="…"`: a restored copy is there to read.
            Some(restore) if restore.contains("ongoing-request=\"false\"") => {
                return Ok(Retrieval::Readable)
            }
            Some(_) => return Ok(Retrieval::Restoring),
            None => {}
        }
        let object = self.object_key(key);
        let request = RestoreRequest::builder()
            .days(RESTORED_DAYS)
            .glacier_job_parameters(
                GlacierJobParameters::builder()
                    .tier(Tier::Standard)
                    .build()
                    .map_err(|e| StorageError::other_from("restore request", e))?,
            )
            .build();
        match self
            .client
            .restore_object()
            .bucket(&self.bucket)
            .key(&object)
            .restore_request(request)
            .send()
            .await
        {
            Ok(_) => {}
            // Another reader started it first.
            Err(e) if e.code() == Some("RestoreAlreadyInProgress") => {}
            Err(e) => return Err(storage_error(e, &format!("restoring {object}"))),
        }
        tracing::info!(key = %object, "started restoring an archived original");
        Ok(Retrieval::Restoring)
    }
}

/// `CopySource` is `bucket/key` with the key URL-encoded; keys here are ASCII words, slashes, dots and
/// dashes, so only the few characters outside those need escaping.
fn urlencoding_path(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for byte in key.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(byte as char)
            }
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_sources_escape_what_is_not_a_plain_key_character() {
        assert_eq!(
            urlencoding_path("p/images/a-b/original"),
            "p/images/a-b/original"
        );
        assert_eq!(urlencoding_path("a b+c"), "a%20b%2Bc");
    }
}
