//! Storage call latency as a wrapper of the storage port: every call of the backend underneath is timed by
//! operation and outcome into `storage_operation_duration_seconds` (a histogram with the server's fixed
//! latency buckets). Operation and outcome come from fixed sets, so keys never become labels.

use std::fmt::Debug;
use std::ops::Range;
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use bytes::Bytes;
use darkroom_core::ports::storage::{BlobKey, BlobMeta, ByteStream, StorageError};
use darkroom_core::ports::BlobStore;

const METRIC: &str = "storage_operation_duration_seconds";

#[derive(Debug)]
pub struct MeteredBlobStore {
    inner: Arc<dyn BlobStore>,
}

impl MeteredBlobStore {
    pub fn new(inner: Arc<dyn BlobStore>) -> Self {
        Self { inner }
    }
}

fn outcome<T>(result: &Result<T, StorageError>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(StorageError::NotFound(_)) => "not_found",
        Err(_) => "error",
    }
}

fn record<T>(operation: &'static str, started: Instant, result: &Result<T, StorageError>) {
    metrics::histogram!(METRIC, "operation" => operation, "outcome" => outcome(result))
        .record(started.elapsed().as_secs_f64());
}

#[async_trait]
impl BlobStore for MeteredBlobStore {
    fn backend(&self) -> &'static str {
        self.inner.backend()
    }

    async fn put(&self, key: &BlobKey, data: Bytes) -> Result<BlobMeta, StorageError> {
        let started = Instant::now();
        let result = self.inner.put(key, data).await;
        record("put", started, &result);
        result
    }

    /// Includes the time the caller's stream takes to deliver: an upload's put lasts as long as its body.
    async fn put_stream(&self, key: &BlobKey, data: ByteStream) -> Result<BlobMeta, StorageError> {
        let started = Instant::now();
        let result = self.inner.put_stream(key, data).await;
        record("put_stream", started, &result);
        result
    }

    /// Until the backend answers with the stream, not until the caller has read it all (which is the
    /// client's pace, not the backend's).
    async fn get_stream(
        &self,
        key: &BlobKey,
        range: Option<Range<u64>>,
    ) -> Result<(BlobMeta, ByteStream), StorageError> {
        let started = Instant::now();
        let result = self.inner.get_stream(key, range).await;
        record("get", started, &result);
        result
    }

    async fn head(&self, key: &BlobKey) -> Result<BlobMeta, StorageError> {
        let started = Instant::now();
        let result = self.inner.head(key).await;
        record("head", started, &result);
        result
    }

    async fn delete(&self, key: &BlobKey) -> Result<(), StorageError> {
        let started = Instant::now();
        let result = self.inner.delete(key).await;
        record("delete", started, &result);
        result
    }

    async fn list(&self, prefix: &str) -> Result<Vec<BlobMeta>, StorageError> {
        let started = Instant::now();
        let result = self.inner.list(prefix).await;
        record("list", started, &result);
        result
    }

    async fn ping(&self) -> Result<(), StorageError> {
        let started = Instant::now();
        let result = self.inner.ping().await;
        record("ping", started, &result);
        result
    }
}
