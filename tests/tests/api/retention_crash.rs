//! The purge pass cut short: blobs go before the row, so a pass that fails (or dies) halfway through an
//! image's blobs leaves the row, still deleted and never restorable, and the next pass finishes the job.
//! Driven on the server's own database and storage (the stack's), with the server's own pass kept idle.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use darkroom_core::domain::ImageId;
use darkroom_core::ports::{BlobKey, BlobMeta, BlobStore, ByteStream, StorageError};
use darkroom_core::services::retention::Purge;
use darkroom_tests::app::{assert_problem, spawn_app_with};

/// A store whose deletes fail after the first `allowed`: a purge that dies partway.
#[derive(Debug)]
struct DyingDeletes {
    inner: Arc<dyn BlobStore>,
    allowed: AtomicUsize,
}

#[async_trait]
impl BlobStore for DyingDeletes {
    fn backend(&self) -> &'static str {
        "dying"
    }

    async fn put(&self, key: &BlobKey, data: Bytes) -> Result<BlobMeta, StorageError> {
        self.inner.put(key, data).await
    }

    async fn put_stream(&self, key: &BlobKey, data: ByteStream) -> Result<BlobMeta, StorageError> {
        self.inner.put_stream(key, data).await
    }

    async fn get_stream(
        &self,
        key: &BlobKey,
        range: Option<std::ops::Range<u64>>,
    ) -> Result<(BlobMeta, ByteStream), StorageError> {
        self.inner.get_stream(key, range).await
    }

    async fn head(&self, key: &BlobKey) -> Result<BlobMeta, StorageError> {
        self.inner.head(key).await
    }

    async fn delete(&self, key: &BlobKey) -> Result<(), StorageError> {
        let left = self.allowed.load(Ordering::SeqCst);
        if left == 0 {
            return Err(StorageError::Unavailable {
                message: "the process died here".into(),
                source: None,
            });
        }
        self.allowed.store(left - 1, Ordering::SeqCst);
        self.inner.delete(key).await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<BlobMeta>, StorageError> {
        self.inner.list(prefix).await
    }

    async fn ping(&self) -> Result<(), StorageError> {
        self.inner.ping().await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_purge_cut_short_leaves_the_row_and_the_next_pass_finishes() {
    // The server's own pass would run only after an hour: this test runs the passes itself.
    let app = spawn_app_with(|c| c.retention_pass_secs = 3600).await;
    let owner = app.register("halfway").await;
    let id = app.ready_image(&owner, "private").await;
    app.wait_variant_format(&owner, &id, "avif").await;
    let blobs = app.blobs_of(&id).await.len();
    assert!(blobs > 3, "an original and its variants");
    let deleted = app
        .client
        .delete(app.url(&format!("/v1/images/{id}")))
        .bearer_auth(&owner.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);

    let database = darkroom::backends::database::connect(&app.config.database_url(), false)
        .await
        .unwrap();
    let images = database.repositories.images.clone();
    let image_id = ImageId(id.parse().unwrap());
    let retention = app.config.retention();
    app.clock.advance(retention + Duration::from_secs(86_400));

    // Two blobs go, then the process "dies": the pass fails, the row stays.
    let dying = Arc::new(DyingDeletes {
        inner: app.storage.clone(),
        allowed: AtomicUsize::new(2),
    });
    let cut_short = Purge::new(images.clone(), dying, app.clock.clone(), retention);
    assert!(cut_short.purge().await.is_err());
    assert_eq!(app.blobs_of(&id).await.len(), blobs - 2);
    let row = images.image(image_id).await.unwrap();
    assert!(
        row.is_some_and(|image| image.is_deleted()),
        "the row outlives its blobs"
    );
    assert_problem(app.get_image(Some(&owner), &id).await, 404, "not_found").await;
    let restore = app
        .client
        .post(app.url(&format!("/v1/images/{id}/restore")))
        .bearer_auth(&owner.access_token)
        .send()
        .await
        .unwrap();
    assert_problem(restore, 404, "not_found").await;

    // The next pass finishes: nothing of it is left.
    let next = Purge::new(
        images.clone(),
        app.storage.clone(),
        app.clock.clone(),
        retention,
    );
    assert!(next.purge().await.unwrap() >= 1);
    assert!(app.blobs_of(&id).await.is_empty());
    assert_eq!(images.image(image_id).await.unwrap(), None);
    assert_eq!(
        next.purge().await.unwrap(),
        0,
        "a pass with nothing due does nothing"
    );
}
