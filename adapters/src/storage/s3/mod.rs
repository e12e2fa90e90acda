//! Storage on S3 and the S3-compatibles (MinIO, R2, Ceph, moto):
//! `s3://BUCKET?region=REGION&endpoint=URL&path_style=true&prefix=PATH&sse=aws:kms&sse_kms_key_id=KEY`
//! (see `url`).
//!
//! `object_store`'s `AmazonS3` moves the bytes, wrapped in a `PrefixStore` when the URL has a prefix, and the
//! generic `ObjectStoreBlobs` does the rest, exactly as for the local store: `put_stream` is an S3
//! multipart upload in 5 MiB parts, aborted when the stream fails. Credentials come from the environment
//! as `object_store` reads it (`AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, web identity, ECS/EKS
//! container credentials, instance metadata).

mod bucket;
mod classes;
pub mod iam;
#[cfg(test)]
mod tests;
mod uploads;
mod url;

use std::sync::Arc;
use std::time::Duration;

use darkroom_core::ports::StorageError;
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::prefix::PrefixStore;
use object_store::{ClientOptions, ObjectStore, RetryConfig};

pub use self::classes::S3StorageClasses;
pub(crate) use self::uploads::S3Uploads;
use self::url::S3Url;
use super::ObjectStoreBlobs;

/// Retries of one request (connection errors, 5xx, throttling), and the most time they may take, so an
/// unreachable endpoint fails in seconds rather than after `object_store`'s default three minutes.
const MAX_RETRIES: usize = 3;
const RETRY_TIMEOUT: Duration = Duration::from_secs(30);

impl ObjectStoreBlobs {
    /// Blobs in the S3 bucket of `url`, under its prefix. Makes no call yet; see `ensure_s3_bucket`.
    pub async fn s3_from_url(url: &str) -> Result<Self, StorageError> {
        let parsed = url::parse(url)?;
        let s3 = s3_builder(&parsed)?
            .build()
            .map_err(|e| StorageError::other_from("s3 configuration", e))?;
        let s3 = Arc::new(s3);
        let store: Arc<dyn ObjectStore> = if parsed.prefix.is_empty() {
            s3.clone()
        } else {
            let inner: Arc<dyn ObjectStore> = s3.clone();
            Arc::new(PrefixStore::new(inner, parsed.prefix.as_str()))
        };
        let uploads = S3Uploads::new(&parsed).await;
        let mut blobs = Self::new(store, "s3").with_multipart(s3, &parsed.prefix);
        blobs.s3_uploads = Some(uploads);
        Ok(blobs)
    }

    /// Creates the bucket of `url` when it does not exist, and adds a lifecycle rule aborting multipart
    /// uploads under its prefix that were abandoned for a day (where the server supports lifecycle rules).
    /// Idempotent. Credentials that may not create buckets get a clear error naming the bucket.
    pub async fn ensure_s3_bucket(url: &str) -> Result<(), StorageError> {
        bucket::ensure(&url::parse(url)?).await
    }
}

fn s3_builder(url: &S3Url) -> Result<AmazonS3Builder, StorageError> {
    let options = ClientOptions::new().with_connect_timeout(crate::aws::CONNECT_TIMEOUT);
    let retry = RetryConfig {
        max_retries: MAX_RETRIES,
        retry_timeout: RETRY_TIMEOUT,
        ..RetryConfig::default()
    };
    // The environment first (credentials, region), then what the URL says.
    let mut builder = AmazonS3Builder::from_env()
        .with_bucket_name(&url.bucket)
        .with_client_options(options)
        .with_retry(retry)
        .with_virtual_hosted_style_request(!url.path_style);
    if let Some(region) = &url.region {
        builder = builder.with_region(region);
    }
    if let Some(sse) = &url.sse {
        // object_store sends these headers with every PutObject and CreateMultipartUpload.
        let mut settings = vec![("aws_server_side_encryption", sse.algorithm.clone())];
        if let Some(id) = &sse.kms_key_id {
            settings.push(("aws_sse_kms_key_id", id.clone()));
        }
        if let Some(enabled) = sse.bucket_key_enabled {
            settings.push(("aws_sse_bucket_key_enabled", enabled.to_string()));
        }
        for (name, value) in settings {
            let key: AmazonS3ConfigKey = name
                .parse()
                .map_err(|e| StorageError::other_from(format!("s3 setting {name}"), e))?;
            builder = builder.with_config(key, value);
        }
    }
    if let Some(endpoint) = &url.endpoint {
        builder = builder
            .with_endpoint(bucket_endpoint(endpoint, &url.bucket, url.path_style))
            .with_allow_http(endpoint.starts_with("http://"));
    }
    Ok(builder)
}

/// `object_store` takes a virtual-hosted endpoint with the bucket already in the host name.
fn bucket_endpoint(endpoint: &str, bucket: &str, path_style: bool) -> String {
    match endpoint.split_once("://") {
        Some((scheme, host)) if !path_style => format!("{scheme}://{bucket}.{host}"),
        _ => endpoint.to_owned(),
    }
}

#[cfg(test)]
mod unit_tests {
    use super::*;

    #[test]
    fn virtual_hosted_endpoints_carry_the_bucket() {
        assert_eq!(
            bucket_endpoint("https://s3.example.com", "media", false),
            "https://media.s3.example.com"
        );
        assert_eq!(
            bucket_endpoint("http://127.0.0.1:9000", "media", true),
            "http://127.0.0.1:9000"
        );
    }
}
