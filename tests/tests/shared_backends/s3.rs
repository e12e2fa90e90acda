//! The storage contract suite against S3 (`DARKROOM_TEST_AWS_ENDPOINT`, e.g. moto or MinIO; credentials
//! and region from the usual `AWS_*` variables), and what the S3 store promises beyond it. The cases share
//! one bucket, each under a prefix of its own that is emptied when it ends.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use darkroom_adapters::ObjectStoreBlobs;
use darkroom_core::ports::{BlobKey, BlobStore, BlobStoreExt, StorageError};
use darkroom_tests::contract::multipart::MultipartFixture;
use darkroom_tests::contract::sweep::SweepFixture;
use darkroom_tests::contract::Fixture;
use darkroom_tests::services::{require, unique_name, AWS_ENDPOINT};
use tokio::sync::OnceCell;

const BUCKET: &str = "darkroom-tests";

/// The bucket is made ready once per run (its lifecycle configuration is one document, so cases adding
/// rules at once would race).
static BUCKET_READY: OnceCell<()> = OnceCell::const_new();

fn bucket_url(endpoint: &str) -> String {
    format!("s3://{BUCKET}?endpoint={endpoint}")
}

/// Empties the case's prefix when the fixture goes.
struct DeletePrefix(ObjectStoreBlobs);

impl Drop for DeletePrefix {
    fn drop(&mut self) {
        let store = self.0.clone();
        let cleanup = async move {
            if let Err(e) = store.delete_prefix("").await {
                eprintln!("could not empty the test's s3 prefix: {e}");
            }
        };
        // The suites run on a multi-threaded runtime: block this worker while another drives the calls.
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            tokio::task::block_in_place(|| handle.block_on(cleanup));
        }
    }
}

async fn s3_store() -> Option<Fixture<dyn BlobStore>> {
    let endpoint = require(AWS_ENDPOINT, "s3")?;
    BUCKET_READY
        .get_or_init(|| async {
            ObjectStoreBlobs::ensure_s3_bucket(&bucket_url(&endpoint))
                .await
                .unwrap()
        })
        .await;
    let url = format!("{}&prefix={}", bucket_url(&endpoint), unique_name("case"));
    let store = ObjectStoreBlobs::s3_from_url(&url).await.unwrap();
    let port: Arc<dyn BlobStore> = Arc::new(store.clone());
    Some(Fixture::with_guard(port, DeletePrefix(store)))
}

mod contract {
    darkroom_tests::storage_contract_suite!(super::s3_store);
}

/// S3's multipart uploads through the same store (its prefix applied by the adapter itself).
async fn s3_multipart() -> Option<Fixture<MultipartFixture>> {
    let fixture = s3_store().await?;
    let endpoint = require(AWS_ENDPOINT, "s3")?;
    let url = format!("{}&prefix={}", bucket_url(&endpoint), unique_name("mp"));
    let store = ObjectStoreBlobs::s3_from_url(&url).await.unwrap();
    drop(fixture);
    let port = MultipartFixture {
        blobs: Arc::new(store.clone()),
        multipart: Arc::new(store.clone()),
    };
    Some(Fixture::with_guard(Arc::new(port), DeletePrefix(store)))
}

mod multipart {
    darkroom_tests::multipart_contract_suite!(super::s3_multipart);
}

/// S3's dated listings and its multipart uploads in progress (ListMultipartUploads under the prefix).
async fn s3_sweep() -> Option<Fixture<SweepFixture>> {
    let fixture = s3_store().await?;
    let endpoint = require(AWS_ENDPOINT, "s3")?;
    let url = format!("{}&prefix={}", bucket_url(&endpoint), unique_name("sweep"));
    let store = ObjectStoreBlobs::s3_from_url(&url).await.unwrap();
    drop(fixture);
    let port = SweepFixture {
        blobs: Arc::new(store.clone()),
        multipart: Arc::new(store.clone()),
        sweep: Arc::new(store.clone()),
        local_root: None,
    };
    Some(Fixture::with_guard(Arc::new(port), DeletePrefix(store)))
}

mod sweep {
    darkroom_tests::sweep_contract_suite!(super::s3_sweep);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ensuring_the_bucket_twice_is_fine() {
    let Some(endpoint) = require(AWS_ENDPOINT, "s3") else {
        return;
    };
    ObjectStoreBlobs::ensure_s3_bucket(&bucket_url(&endpoint))
        .await
        .unwrap();
    ObjectStoreBlobs::ensure_s3_bucket(&bucket_url(&endpoint))
        .await
        .unwrap();
    let store = ObjectStoreBlobs::s3_from_url(&bucket_url(&endpoint))
        .await
        .unwrap();
    assert_eq!(store.backend(), "s3");
    store.ping().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_endpoint_fails_fast_and_says_unavailable() {
    let started = Instant::now();
    // Port 1 on loopback: nothing listens, so connections are refused at once.
    let url = "s3://darkroom-nowhere?endpoint=http://127.0.0.1:1&region=us-east-1";
    let err = ObjectStoreBlobs::ensure_s3_bucket(url).await.unwrap_err();
    assert!(matches!(err, StorageError::Unavailable { .. }), "{err:?}");
    let store = ObjectStoreBlobs::s3_from_url(url).await.unwrap();
    let err = store.ping().await.unwrap_err();
    assert!(matches!(err, StorageError::Unavailable { .. }), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prefixes_keep_stores_sharing_a_bucket_apart() {
    let (Some(a), Some(b)) = (s3_store().await, s3_store().await) else {
        return;
    };
    let key = BlobKey::parse("images/same/original").unwrap();
    a.port
        .put(&key, Bytes::from_static(b"from a"))
        .await
        .unwrap();
    assert!(matches!(
        b.port.head(&key).await,
        Err(StorageError::NotFound(_))
    ));
    assert!(b.port.list("").await.unwrap().is_empty());
    b.port
        .put(&key, Bytes::from_static(b"from b"))
        .await
        .unwrap();
    assert_eq!(
        a.port.get(&key, None).await.unwrap(),
        Bytes::from_static(b"from a")
    );
    assert_eq!(a.port.list("images/").await.unwrap().len(), 1);
}

#[tokio::test]
async fn urls_it_cannot_serve_are_refused() {
    for bad in [
        "s3://Bad_Bucket",
        "s3://media?colour=blue",
        "s3://media?path_style=maybe",
    ] {
        let err = ObjectStoreBlobs::s3_from_url(bad).await.unwrap_err();
        assert!(matches!(err, StorageError::Other { .. }), "{bad}: {err:?}");
    }
}
