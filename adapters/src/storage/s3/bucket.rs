//! Bucket management, the one thing `object_store` does not do: create the bucket when it is absent, and
//! have the server abort multipart uploads abandoned for a day (a crashed writer's parts cost money and are
//! invisible to `list`). Uses the AWS SDK with the same endpoint, region and addressing as the store.

use std::time::Duration;

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, BucketLocationConstraint,
    CreateBucketConfiguration, ExpirationStatus, LifecycleRule, LifecycleRuleFilter,
};
use darkroom_core::ports::source::chain;
use darkroom_core::ports::StorageError;

use super::url::S3Url;
use crate::aws::AwsLocation;

const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(20);
/// The name of our lifecycle rule (one per key prefix, so installations sharing a bucket each get theirs).
const RULE_ID: &str = "darkroom-abort-incomplete-multipart-uploads";
const ABORT_AFTER_DAYS: i32 = 1;

/// An S3 SDK client for the bucket of `url`.
pub(super) async fn client(url: &S3Url) -> aws_sdk_s3::Client {
    let location = AwsLocation {
        region: url.region.clone(),
        endpoint: url.endpoint.clone(),
    };
    let shared = location.sdk_config(ATTEMPT_TIMEOUT).await;
    let config = aws_sdk_s3::config::Builder::from(&shared)
        .force_path_style(url.path_style)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// Creates the bucket unless it exists, then makes sure our lifecycle rule is there (idempotent).
pub(super) async fn ensure(url: &S3Url) -> Result<(), StorageError> {
    let client = client(url).await;
    let bucket = url.bucket.as_str();
    match client.head_bucket().bucket(bucket).send().await {
        Ok(_) => {}
        Err(e) if e.as_service_error().is_some_and(|e| e.is_not_found()) => {
            create(&client, url).await?;
        }
        Err(e) => return Err(storage_error(e, &format!("checking bucket {bucket}"))),
    }
    add_lifecycle_rule(&client, url).await
}

async fn create(client: &aws_sdk_s3::Client, url: &S3Url) -> Result<(), StorageError> {
    let bucket = url.bucket.as_str();
    let mut request = client.create_bucket().bucket(bucket);
    // us-east-1 is the one region S3 refuses to be told explicitly.
    if let Some(region) = url
        .region
        .as_deref()
        .filter(|region| *region != "us-east-1")
    {
        request = request.create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(region))
                .build(),
        );
    }
    match request.send().await {
        Ok(_) => {
            tracing::info!(bucket, "created s3 bucket");
            Ok(())
        }
        // Another replica created it meanwhile.
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_bucket_already_owned_by_you()) =>
        {
            Ok(())
        }
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_bucket_already_exists()) =>
        {
            Err(StorageError::other(format!(
                "bucket {bucket} belongs to another account: choose another name"
            )))
        }
        Err(e) if is_access_denied(&e) => Err(StorageError::unavailable(format!(
            "not permitted to create bucket {bucket}: it must exist already, or the credentials \
             need s3:CreateBucket"
        ))),
        Err(e) => Err(storage_error(e, &format!("creating bucket {bucket}"))),
    }
}

/// Adds the rule aborting multipart uploads under our prefix after a day, keeping every other rule of the
/// bucket (a put replaces the whole configuration). Servers that have no lifecycle support, or credentials
/// that may not change it, only get a log line: the rule saves money, nothing depends on it.
async fn add_lifecycle_rule(client: &aws_sdk_s3::Client, url: &S3Url) -> Result<(), StorageError> {
    let bucket = url.bucket.as_str();
    let rule_id = rule_id(&url.prefix);
    let mut rules = match client
        .get_bucket_lifecycle_configuration()
        .bucket(bucket)
        .send()
        .await
    {
        Ok(found) => found.rules().to_vec(),
        Err(e) if e.code() == Some("NoSuchLifecycleConfiguration") => Vec::new(),
        Err(e) => return skip_lifecycle(e, bucket),
    };
    if rules.iter().any(|rule| rule.id() == Some(rule_id.as_str())) {
        return Ok(());
    }
    let key_prefix = if url.prefix.is_empty() {
        String::new()
    } else {
        format!("{}/", url.prefix)
    };
    let rule = LifecycleRule::builder()
        .id(&rule_id)
        .status(ExpirationStatus::Enabled)
        .filter(LifecycleRuleFilter::builder().prefix(key_prefix).build())
        .abort_incomplete_multipart_upload(
            AbortIncompleteMultipartUpload::builder()
                .days_after_initiation(ABORT_AFTER_DAYS)
                .build(),
        )
        .build()
        .map_err(|e| StorageError::other_from("lifecycle rule", e))?;
    rules.push(rule);
    let configuration = BucketLifecycleConfiguration::builder()
        .set_rules(Some(rules))
        .build()
        .map_err(|e| StorageError::other_from("lifecycle configuration", e))?;
    match client
        .put_bucket_lifecycle_configuration()
        .bucket(bucket)
        .lifecycle_configuration(configuration)
        .send()
        .await
    {
        Ok(_) => {
            tracing::info!(
                bucket,
                rule = rule_id,
                "added lifecycle rule aborting abandoned uploads"
            );
            Ok(())
        }
        Err(e) => skip_lifecycle(e, bucket),
    }
}

fn rule_id(prefix: &str) -> String {
    if prefix.is_empty() {
        RULE_ID.to_owned()
    } else {
        format!("{RULE_ID}:{prefix}")
    }
}

/// Logs a lifecycle call the server does not implement or does not allow; anything else is an error.
fn skip_lifecycle<E>(err: SdkError<E, HttpResponse>, bucket: &str) -> Result<(), StorageError>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let status = err.raw_response().map(|raw| raw.status().as_u16());
    if err.code() == Some("NotImplemented") || status == Some(501) || is_access_denied(&err) {
        tracing::warn!(
            bucket,
            error = %chain(&err),
            "cannot set a lifecycle rule: abandoned multipart uploads will not be aborted by the server"
        );
        return Ok(());
    }
    Err(storage_error(
        err,
        &format!("setting the lifecycle of bucket {bucket}"),
    ))
}

fn is_access_denied<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> bool {
    err.code() == Some("AccessDenied")
        || err
            .raw_response()
            .is_some_and(|raw| raw.status().as_u16() == 403)
}

/// Connection trouble, timeouts, throttling and server errors are `Unavailable`; the rest is `Other`.
pub(super) fn storage_error<E>(err: SdkError<E, HttpResponse>, doing: &str) -> StorageError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let status = err.raw_response().map(|raw| raw.status().as_u16());
    let transient = match &err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            true
        }
        SdkError::ServiceError(_) => {
            status.is_some_and(|s| s >= 500 || s == 429 || s == 403)
                || matches!(
                    err.code(),
                    Some("SlowDown" | "AccessDenied" | "InvalidAccessKeyId")
                )
        }
        _ => false,
    };
    let message = format!("s3: {doing}");
    if transient {
        StorageError::unavailable_from(message, err)
    } else {
        StorageError::other_from(message, err)
    }
}
