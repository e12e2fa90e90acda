//! The S3 calls of this store, as IAM actions (`object_store` makes them; see `ObjectStoreBlobs`), and the
//! KMS calls S3 makes on the caller's behalf under SSE-KMS.
//!
//! Every role reads, writes, lists and deletes blobs (the API: uploads, resumable parts, transformation
//! results, tus staging cleanup; the worker: originals in, variants out, purges, expired uploads; the
//! transform role: originals in, results out, a result deleted when its image went meanwhile), and
//! abort multipart uploads (a failed stream, an expired upload). Multipart's create, part and complete
//! calls are `s3:PutObject`; HEAD is `s3:GetObject`; listing (and `ping`) is `s3:ListBucket`.

use crate::iam::{actions, PolicyTarget, Statement};

use super::url;

const OBJECTS: &[&str] = &[
    "s3:GetObject",
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:AbortMultipartUpload",
];
/// `ensure_s3_bucket`: HeadBucket is `s3:ListBucket`.
const MIGRATE_BUCKET: &[&str] = &[
    "s3:CreateBucket",
    "s3:GetLifecycleConfiguration",
    "s3:PutLifecycleConfiguration",
];
/// Writing under SSE-KMS (multipart completion included) asks KMS for a data key; reading decrypts it.
const KMS: &[&str] = &["kms:GenerateDataKey", "kms:Decrypt"];

/// The statements the store of `s3_url` needs.
pub fn iam_statements(s3_url: &str, target: &PolicyTarget) -> Result<Vec<Statement>, String> {
    let url = url::parse(s3_url).map_err(|e| e.to_string())?;
    let bucket = format!("arn:aws:s3:::{}", url.bucket);
    let objects = if url.prefix.is_empty() {
        format!("{bucket}/*")
    } else {
        format!("{bucket}/{}/*", url.prefix)
    };
    let runs = target.uses_data();
    let mut statements = Vec::new();
    statements.extend(Statement::allow(
        "DarkroomBlobs",
        actions(&[(runs, OBJECTS)]),
        vec![objects],
    ));
    if let Some(mut list) = Statement::allow(
        "DarkroomListBlobs",
        actions(&[(runs || target.migrate, &["s3:ListBucket"])]),
        vec![bucket.clone()],
    ) {
        if !url.prefix.is_empty() && !target.migrate {
            // Only our prefix may be listed (HeadBucket, for migrations, names no prefix).
            list.condition = Some(serde_json::json!({
                "StringLike": { "s3:prefix": [format!("{}/*", url.prefix)] }
            }));
        }
        statements.push(list);
    }
    statements.extend(Statement::allow(
        "DarkroomBucketSetUp",
        actions(&[(target.migrate, MIGRATE_BUCKET)]),
        vec![bucket],
    ));
    let kms_key = url
        .sse
        .as_ref()
        .filter(|sse| sse.algorithm.starts_with("aws:kms"))
        .and_then(|sse| sse.kms_key_id.as_deref());
    if let Some(key) = kms_key.filter(|_| runs) {
        statements.extend(Statement::allow(
            "DarkroomBlobKey",
            actions(&[(true, KMS)]),
            vec![kms_key_arn(key, &url.region, target)?],
        ));
    }
    Ok(statements)
}

/// The ARN of a KMS key named by ARN or id (an alias names no key a policy can grant).
fn kms_key_arn(
    key: &str,
    region: &Option<String>,
    target: &PolicyTarget,
) -> Result<String, String> {
    if key.starts_with("arn:") {
        return Ok(key.to_owned());
    }
    if key.starts_with("alias/") {
        return Err(format!(
            "sse_kms_key_id {key:?} is an alias: name the key by its id or ARN for the policy"
        ));
    }
    let region = target.region(region.as_deref(), "s3")?;
    Ok(format!(
        "arn:aws:kms:{region}:{}:key/{key}",
        target.account("KMS key")?
    ))
}
