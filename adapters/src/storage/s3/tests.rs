//! What the S3 store promises beyond the port's contract, against the server in
//! `DARKROOM_TEST_AWS_ENDPOINT` (moto, MinIO); skipped with a line saying so when it is not set. The
//! contract itself is checked by `darkroom-tests`.

#![allow(clippy::unwrap_used)]

use bytes::Bytes;
use darkroom_core::ports::{BlobKey, BlobStore, StorageError};
use futures::StreamExt;
use uuid::Uuid;

use super::{bucket, url, ObjectStoreBlobs};

fn endpoint() -> Option<String> {
    let endpoint = std::env::var("DARKROOM_TEST_AWS_ENDPOINT")
        .ok()
        .filter(|e| !e.is_empty());
    if endpoint.is_none() {
        eprintln!(
            "DARKROOM_SUITE_SKIPPED: s3 adapter tests (set DARKROOM_TEST_AWS_ENDPOINT to run them)"
        );
    }
    endpoint
}

fn fresh_bucket() -> String {
    format!(
        "darkroom-adapter-{}",
        &Uuid::new_v4().simple().to_string()[..16]
    )
}

/// Deletes every object, every unfinished upload and the bucket itself.
async fn remove_bucket(s3_url: &str) {
    let parsed = url::parse(s3_url).unwrap();
    let client = bucket::client(&parsed).await;
    let objects = client
        .list_objects_v2()
        .bucket(&parsed.bucket)
        .send()
        .await
        .unwrap();
    for object in objects.contents() {
        let key = object.key().unwrap();
        client
            .delete_object()
            .bucket(&parsed.bucket)
            .key(key)
            .send()
            .await
            .unwrap();
    }
    for upload in incomplete_uploads(s3_url, "").await {
        client
            .abort_multipart_upload()
            .bucket(&parsed.bucket)
            .key(&upload.0)
            .upload_id(&upload.1)
            .send()
            .await
            .unwrap();
    }
    client
        .delete_bucket()
        .bucket(&parsed.bucket)
        .send()
        .await
        .unwrap();
}

/// (key, upload id) of every multipart upload started and neither completed nor aborted under `prefix`.
async fn incomplete_uploads(s3_url: &str, prefix: &str) -> Vec<(String, String)> {
    let parsed = url::parse(s3_url).unwrap();
    let client = bucket::client(&parsed).await;
    let listed = client
        .list_multipart_uploads()
        .bucket(&parsed.bucket)
        .prefix(prefix)
        .send()
        .await
        .unwrap();
    listed
        .uploads()
        .iter()
        .map(|u| {
            (
                u.key().unwrap_or_default().to_owned(),
                u.upload_id().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn ensuring_a_bucket_twice_creates_it_once_with_one_lifecycle_rule() {
    let Some(endpoint) = endpoint() else { return };
    let s3_url = format!("s3://{}?endpoint={endpoint}&prefix=tenant", fresh_bucket());
    ObjectStoreBlobs::ensure_s3_bucket(&s3_url).await.unwrap();
    ObjectStoreBlobs::ensure_s3_bucket(&s3_url).await.unwrap();

    let parsed = url::parse(&s3_url).unwrap();
    let client = bucket::client(&parsed).await;
    client
        .head_bucket()
        .bucket(&parsed.bucket)
        .send()
        .await
        .unwrap();
    if let Ok(lifecycle) = client
        .get_bucket_lifecycle_configuration()
        .bucket(&parsed.bucket)
        .send()
        .await
    {
        let ours: Vec<_> = lifecycle
            .rules()
            .iter()
            .filter(|rule| rule.id().is_some_and(|id| id.starts_with("darkroom-")))
            .collect();
        assert_eq!(ours.len(), 1, "{ours:?}");
        let abort = ours[0].abort_incomplete_multipart_upload().unwrap();
        assert_eq!(abort.days_after_initiation(), Some(1));
    }

    let store = ObjectStoreBlobs::s3_from_url(&s3_url).await.unwrap();
    let key = BlobKey::parse("a/b").unwrap();
    store.put(&key, Bytes::from_static(b"x")).await.unwrap();
    // The prefix is applied to every key, and invisible through the port.
    assert_eq!(store.list("a/").await.unwrap()[0].key, "a/b");
    let raw = client
        .list_objects_v2()
        .bucket(&parsed.bucket)
        .send()
        .await
        .unwrap();
    assert_eq!(raw.contents()[0].key(), Some("tenant/a/b"));
    remove_bucket(&s3_url).await;
}

#[tokio::test]
async fn a_failed_stream_leaves_no_incomplete_multipart_upload() {
    let Some(endpoint) = endpoint() else { return };
    let s3_url = format!("s3://{}?endpoint={endpoint}&prefix=uploads", fresh_bucket());
    ObjectStoreBlobs::ensure_s3_bucket(&s3_url).await.unwrap();
    let store = ObjectStoreBlobs::s3_from_url(&s3_url).await.unwrap();

    // Two whole 5 MiB parts are uploaded before the stream fails.
    let chunks = (0..11)
        .map(|_| Ok(Bytes::from(vec![7u8; 1024 * 1024])))
        .chain(std::iter::once(Err(StorageError::Aborted(
            "client went away".into(),
        ))));
    let key = BlobKey::parse("images/x/original").unwrap();
    let err = store
        .put_stream(&key, futures::stream::iter(chunks).boxed())
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::Aborted(_)), "{err:?}");
    assert_eq!(incomplete_uploads(&s3_url, "uploads/").await, Vec::new());

    // A successful one completes its upload, leaving none behind either.
    let chunks = (0..11).map(|_| Ok(Bytes::from(vec![1u8; 1024 * 1024])));
    let meta = store
        .put_stream(&key, futures::stream::iter(chunks).boxed())
        .await
        .unwrap();
    assert_eq!(meta.size, 11 * 1024 * 1024);
    assert_eq!(incomplete_uploads(&s3_url, "uploads/").await, Vec::new());
    remove_bucket(&s3_url).await;
}

#[tokio::test]
async fn an_unreachable_endpoint_fails_fast_and_says_unavailable() {
    // Port 1 on loopback: nothing listens, so connections are refused at once.
    let s3_url = "s3://darkroom-nowhere?endpoint=http://127.0.0.1:1";
    let started = std::time::Instant::now();
    let err = ObjectStoreBlobs::ensure_s3_bucket(s3_url)
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::Unavailable { .. }), "{err:?}");
    let store = ObjectStoreBlobs::s3_from_url(s3_url).await.unwrap();
    let err = store.ping().await.unwrap_err();
    assert!(matches!(err, StorageError::Unavailable { .. }), "{err:?}");
    let key = BlobKey::parse("a/b").unwrap();
    let err = store.put(&key, Bytes::from_static(b"x")).await.unwrap_err();
    assert!(matches!(err, StorageError::Unavailable { .. }), "{err:?}");
    let err = store.head(&key).await.unwrap_err();
    assert!(matches!(err, StorageError::Unavailable { .. }), "{err:?}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}

/// What S3 says of the object `key` of the store's prefix: its encryption and KMS key.
async fn encryption_of(s3_url: &str, key: &str) -> (Option<String>, Option<String>) {
    let parsed = url::parse(s3_url).unwrap();
    let head = bucket::client(&parsed)
        .await
        .head_object()
        .bucket(&parsed.bucket)
        .key(format!("{}/{key}", parsed.prefix))
        .send()
        .await
        .unwrap();
    (
        head.server_side_encryption().map(|e| e.as_str().to_owned()),
        head.ssekms_key_id().map(str::to_owned),
    )
}

#[tokio::test]
async fn server_side_encryption_applies_to_every_write_multipart_included() {
    use darkroom_core::ports::{BlobStoreExt, MultipartStore};
    let Some(endpoint) = endpoint() else { return };
    let kms_key = "arn:aws:kms:us-east-1:123456789012:key/0b1e2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
    for (query, algorithm, key_id) in [
        ("sse=AES256", "AES256", None),
        (
            &*format!("server_side_encryption=aws:kms&sse_kms_key_id={kms_key}"),
            "aws:kms",
            Some(kms_key),
        ),
    ] {
        let s3_url = format!(
            "s3://{}?endpoint={endpoint}&prefix=enc&{query}",
            fresh_bucket()
        );
        ObjectStoreBlobs::ensure_s3_bucket(&s3_url).await.unwrap();
        let store = ObjectStoreBlobs::s3_from_url(&s3_url).await.unwrap();
        // One PutObject, one streamed multipart upload, one resumable upload's parts.
        let small = BlobKey::parse("a/small").unwrap();
        store.put(&small, Bytes::from_static(b"x")).await.unwrap();
        let streamed = BlobKey::parse("a/streamed").unwrap();
        let chunks = (0..11).map(|_| Ok(Bytes::from(vec![3u8; 1024 * 1024])));
        store
            .put_stream(&streamed, futures::stream::iter(chunks).boxed())
            .await
            .unwrap();
        let parts = BlobKey::parse("a/parts").unwrap();
        let id = store.create_multipart(&parts).await.unwrap();
        let part = futures::stream::iter([Ok(Bytes::from_static(b"part"))]).boxed();
        let receipt = store.put_part(&parts, &id, 1, part).await.unwrap();
        store
            .complete_multipart(&parts, &id, &[receipt])
            .await
            .unwrap();
        for key in ["a/small", "a/streamed", "a/parts"] {
            let (found, found_key) = encryption_of(&s3_url, key).await;
            assert_eq!(found.as_deref(), Some(algorithm), "{query}: {key}");
            if let Some(key_id) = key_id {
                assert_eq!(found_key.as_deref(), Some(key_id), "{query}: {key}");
            }
        }
        // Still read back as written: the encryption is S3's business.
        assert_eq!(
            store.get(&parts, None).await.unwrap(),
            Bytes::from_static(b"part")
        );
        remove_bucket(&s3_url).await;
    }
    // The control: without `sse` the store asks for nothing (the server may still apply its default
    // SSE-S3, as AWS does since 2023, but never KMS).
    let s3_url = format!("s3://{}?endpoint={endpoint}&prefix=enc", fresh_bucket());
    ObjectStoreBlobs::ensure_s3_bucket(&s3_url).await.unwrap();
    let store = ObjectStoreBlobs::s3_from_url(&s3_url).await.unwrap();
    let plain = BlobKey::parse("a/plain").unwrap();
    store.put(&plain, Bytes::from_static(b"x")).await.unwrap();
    let (found, found_key) = encryption_of(&s3_url, "a/plain").await;
    eprintln!("without sse the server reports {found:?}");
    assert_ne!(found.as_deref(), Some("aws:kms"));
    assert_eq!(found_key, None);
    remove_bucket(&s3_url).await;
}
