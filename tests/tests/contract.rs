//! The port contract suites against the embedded adapters: storage on the local filesystem (plain and
//! encrypted at rest) and in memory,
//! SQLite on a file and in memory, the embedded queue on a file and in memory, moka, and the SQLite search
//! index on a file and in memory. The shared backends (S3, Postgres, NATS, Redis, …) will add their
//! fixtures here and run the same suites.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::sync::Arc;

use darkroom_adapters::storage::{EncryptedBlobs, HotBlobCache, MasterKey, Plaintext};
use darkroom_adapters::{
    EmbeddedQueue, MokaCache, ObjectStoreBlobs, SqliteDatabase, SqliteUserSearch,
};
use darkroom_core::ports::{
    BlobStore, Cache, Queue, QueueSettings, RateLimiter, Repositories, UserSearch,
};
use darkroom_tests::contract::database::TestDatabase;
use darkroom_tests::contract::multipart::MultipartFixture;
use darkroom_tests::contract::queue_depth::DepthFixture;
use darkroom_tests::contract::sweep::SweepFixture;
use darkroom_tests::contract::{queue, Fixture};
use tempfile::TempDir;

async fn local_storage() -> Fixture<dyn BlobStore> {
    let dir = TempDir::new().unwrap();
    let store: Arc<dyn BlobStore> =
        Arc::new(ObjectStoreBlobs::local(&dir.path().join("blobs")).unwrap());
    Fixture::with_guard(store, dir)
}

/// The local store encrypted at rest (every blob AES-256-GCM in segments; see `storage::encrypted`),
/// refusing unencrypted blobs so that nothing the suite reads back can have skipped the encryption.
fn encrypted_local(dir: &TempDir) -> Arc<EncryptedBlobs> {
    let local: Arc<dyn BlobStore> =
        Arc::new(ObjectStoreBlobs::local(&dir.path().join("blobs")).unwrap());
    Arc::new(EncryptedBlobs::new(
        local,
        MasterKey::new([42; 32]),
        Plaintext::Refuse,
    ))
}

async fn encrypted_local_storage() -> Fixture<dyn BlobStore> {
    let dir = TempDir::new().unwrap();
    let store: Arc<dyn BlobStore> = encrypted_local(&dir);
    Fixture::with_guard(store, dir)
}

/// The encrypted local store's multipart uploads (parts encrypted apart, re-encrypted as one blob).
async fn encrypted_local_multipart() -> Fixture<MultipartFixture> {
    let dir = TempDir::new().unwrap();
    let store = encrypted_local(&dir);
    let port = MultipartFixture {
        blobs: store.clone(),
        multipart: store,
    };
    Fixture::with_guard(Arc::new(port), dir)
}

/// The hot-blob cache over the local store, holding every key (the server holds only immutable ones): a
/// blob read twice is then answered from memory, so the suite's reads after writes and deletes show the
/// wrapper drops what it must.
async fn hot_cached_local_storage() -> Fixture<dyn BlobStore> {
    let dir = TempDir::new().unwrap();
    let local: Arc<dyn BlobStore> =
        Arc::new(ObjectStoreBlobs::local(&dir.path().join("blobs")).unwrap());
    let store: Arc<dyn BlobStore> = Arc::new(HotBlobCache::new(local, 64 * 1024 * 1024, |_| true));
    Fixture::with_guard(store, dir)
}

/// The local store's multipart uploads (staged files renamed into place).
async fn local_multipart() -> Fixture<MultipartFixture> {
    let dir = TempDir::new().unwrap();
    let store = Arc::new(ObjectStoreBlobs::local(&dir.path().join("blobs")).unwrap());
    let port = MultipartFixture {
        blobs: store.clone(),
        multipart: store,
    };
    Fixture::with_guard(Arc::new(port), dir)
}

async fn memory_multipart() -> Fixture<MultipartFixture> {
    let store = Arc::new(ObjectStoreBlobs::in_memory());
    let port = MultipartFixture {
        blobs: store.clone(),
        multipart: store,
    };
    Fixture::new(Arc::new(port))
}

/// The local store's dated listings, staging files and multipart staging directories.
async fn local_sweep() -> Fixture<SweepFixture> {
    let dir = TempDir::new().unwrap();
    let root = dir.path().join("blobs");
    let store = Arc::new(ObjectStoreBlobs::local(&root).unwrap());
    let port = SweepFixture {
        blobs: store.clone(),
        multipart: store.clone(),
        sweep: store,
        local_root: Some(root),
    };
    Fixture::with_guard(Arc::new(port), dir)
}

async fn memory_sweep() -> Fixture<SweepFixture> {
    let store = Arc::new(ObjectStoreBlobs::in_memory());
    let port = SweepFixture {
        blobs: store.clone(),
        multipart: store.clone(),
        sweep: store,
        local_root: None,
    };
    Fixture::new(Arc::new(port))
}

/// The encrypted local store: the local store's staging files beneath, and its own uploads (blobs under a
/// hidden prefix) as multipart leftovers.
async fn encrypted_local_sweep() -> Fixture<SweepFixture> {
    let dir = TempDir::new().unwrap();
    let root = dir.path().join("blobs");
    let local = Arc::new(ObjectStoreBlobs::local(&root).unwrap());
    let store = Arc::new(
        EncryptedBlobs::new(local.clone(), MasterKey::new([42; 32]), Plaintext::Refuse)
            .with_sweep(local),
    );
    let port = SweepFixture {
        blobs: store.clone(),
        multipart: store.clone(),
        sweep: store,
        local_root: Some(root),
    };
    Fixture::with_guard(Arc::new(port), dir)
}

async fn memory_storage() -> Fixture<dyn BlobStore> {
    let store: Arc<dyn BlobStore> = Arc::new(ObjectStoreBlobs::in_memory());
    Fixture::new(store)
}

async fn open_sqlite(path: PathBuf) -> Repositories {
    let db = SqliteDatabase::open(&path).await.unwrap();
    db.migrate().await.unwrap();
    Repositories::of(Arc::new(db))
}

async fn sqlite_file() -> Fixture<TestDatabase> {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("darkroom.db");
    let db = TestDatabase::new(open_sqlite(path.clone()).await, move || {
        open_sqlite(path.clone())
    });
    Fixture::with_guard(Arc::new(db), dir)
}

async fn sqlite_memory() -> Fixture<TestDatabase> {
    let db = Arc::new(SqliteDatabase::in_memory().await.unwrap());
    db.migrate().await.unwrap();
    // An in-memory database has no second handle: "reopening" migrates the same one again.
    let again = db.clone();
    let db = TestDatabase::new(Repositories::of(db), move || {
        let db = again.clone();
        async move {
            db.migrate().await.unwrap();
            Repositories::of(db)
        }
    });
    Fixture::new(Arc::new(db))
}

async fn embedded_queue_file(settings: QueueSettings) -> Fixture<dyn Queue> {
    let dir = TempDir::new().unwrap();
    let queue: Arc<dyn Queue> = Arc::new(
        EmbeddedQueue::open(&dir.path().join("queue.db"), settings)
            .await
            .unwrap(),
    );
    Fixture::with_guard(queue, dir)
}

async fn embedded_queue_memory(settings: QueueSettings) -> Fixture<dyn Queue> {
    let queue: Arc<dyn Queue> = Arc::new(EmbeddedQueue::in_memory(settings).await.unwrap());
    Fixture::new(queue)
}

async fn embedded_queue_depth(settings: QueueSettings) -> Fixture<DepthFixture> {
    let dir = TempDir::new().unwrap();
    let queue = EmbeddedQueue::open(&dir.path().join("queue.db"), settings)
        .await
        .unwrap();
    Fixture::with_guard(Arc::new(DepthFixture::of(Arc::new(queue))), dir)
}

/// The search index in its own file, as the embedded default keeps it.
async fn search_sqlite_file() -> Fixture<dyn UserSearch> {
    let dir = TempDir::new().unwrap();
    let search = SqliteUserSearch::open(&dir.path().join(SqliteUserSearch::FILE_NAME))
        .await
        .unwrap();
    search.migrate().await.unwrap();
    let search: Arc<dyn UserSearch> = Arc::new(search);
    Fixture::with_guard(search, dir)
}

async fn search_sqlite_memory() -> Fixture<dyn UserSearch> {
    let search = SqliteUserSearch::in_memory().await.unwrap();
    search.migrate().await.unwrap();
    let search: Arc<dyn UserSearch> = Arc::new(search);
    Fixture::new(search)
}

async fn moka() -> Fixture<dyn Cache> {
    let cache: Arc<dyn Cache> = Arc::new(MokaCache::new(64 * 1024 * 1024));
    Fixture::new(cache)
}

async fn memory_rate_limiter() -> Fixture<dyn RateLimiter> {
    let limiter: Arc<dyn RateLimiter> =
        Arc::new(darkroom_adapters::rate_limit::MemoryRateLimiter::new());
    Fixture::new(limiter)
}

mod storage_local {
    darkroom_tests::storage_contract_suite!(super::local_storage);
}

mod storage_hot_cached_local {
    darkroom_tests::storage_contract_suite!(super::hot_cached_local_storage);
}

mod storage_encrypted_local {
    darkroom_tests::storage_contract_suite!(super::encrypted_local_storage);
}

mod multipart_encrypted_local {
    darkroom_tests::multipart_contract_suite!(super::encrypted_local_multipart);
}

mod multipart_local {
    darkroom_tests::multipart_contract_suite!(super::local_multipart);
}

mod multipart_memory {
    darkroom_tests::multipart_contract_suite!(super::memory_multipart);
}

mod sweep_local {
    darkroom_tests::sweep_contract_suite!(super::local_sweep);
}

mod sweep_memory {
    darkroom_tests::sweep_contract_suite!(super::memory_sweep);
}

mod sweep_encrypted_local {
    darkroom_tests::sweep_contract_suite!(super::encrypted_local_sweep);
}

mod storage_memory {
    darkroom_tests::storage_contract_suite!(super::memory_storage);
}

mod database_sqlite_file {
    darkroom_tests::database_contract_suite!(super::sqlite_file);
}

mod database_sqlite_memory {
    darkroom_tests::database_contract_suite!(super::sqlite_memory);
}

mod queue_embedded_file {
    darkroom_tests::queue_contract_suite!(super::embedded_queue_file);

    /// The embedded queue keeps its jobs across a restart of the process: reopen the same file.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn published_messages_survive_reopening() {
        let dir = tempfile::TempDir::new().unwrap();
        let path: super::PathBuf = dir.path().join("queue.db");
        super::queue::published_messages_survive_reopening(|| {
            let path = path.clone();
            async move {
                let queue = super::EmbeddedQueue::open(&path, super::queue::SETTINGS)
                    .await
                    .unwrap();
                let queue: super::Arc<dyn super::Queue> = super::Arc::new(queue);
                queue
            }
        })
        .await;
    }
}

mod queue_embedded_memory {
    darkroom_tests::queue_contract_suite!(super::embedded_queue_memory);
}

mod queue_depth_embedded {
    darkroom_tests::queue_depth_contract_suite!(super::embedded_queue_depth);
}

mod search_sqlite_file {
    darkroom_tests::user_search_contract_suite!(super::search_sqlite_file);
}

mod search_sqlite_memory {
    darkroom_tests::user_search_contract_suite!(super::search_sqlite_memory);
}

mod cache_moka {
    darkroom_tests::cache_contract_suite!(super::moka);
}

mod rate_limit_memory {
    darkroom_tests::rate_limit_contract_suite!(super::memory_rate_limiter);
}
