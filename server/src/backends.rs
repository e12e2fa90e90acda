//! Builds one adapter per port from the configured URLs. A scheme this build cannot serve, or a backend
//! that cannot be reached, fails start-up with one line naming it.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use darkroom_core::ports::{BlobStore, Cache, Database, Queue, QueueSettings};

use crate::config::Config;

/// The four ports, ready for the services.
#[derive(Debug, Clone)]
pub struct Backends {
    pub db: Arc<dyn Database>,
    pub storage: Arc<dyn BlobStore>,
    pub queue: Arc<dyn Queue>,
    pub cache: Arc<dyn Cache>,
    pub queue_settings: QueueSettings,
}

/// One line of `/readyz`.
#[derive(Debug, Clone)]
pub struct Readiness {
    pub port: &'static str,
    pub backend: &'static str,
    pub error: Option<String>,
}

impl Backends {
    /// Connects every backend and runs each one's migrations (idempotent).
    pub async fn connect(config: &Config) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&config.data_dir)
            .with_context(|| format!("cannot create the data dir {}", config.data_dir.display()))?;
        let queue_settings = QueueSettings {
            visibility_timeout: Duration::from_secs(config.queue_visibility_timeout_secs),
            max_attempts: config.queue_max_attempts,
        };
        let db_url = config.database_url();
        let db = database(&db_url)
            .await
            .with_context(|| format!("database {db_url}"))?;
        let storage_url = config.storage_url();
        let storage = storage(&storage_url).with_context(|| format!("storage {storage_url}"))?;
        let queue = queue(config, queue_settings)
            .await
            .with_context(|| format!("queue {}", config.queue_url))?;
        let cache = cache(config).with_context(|| format!("cache {}", config.cache_url))?;
        let backends = Self {
            db,
            storage,
            queue,
            cache,
            queue_settings,
        };
        for check in backends.readiness().await {
            if let Some(error) = check.error {
                bail!(
                    "{} backend {} is not reachable: {error}",
                    check.port,
                    check.backend
                );
            }
        }
        Ok(backends)
    }

    pub async fn readiness(&self) -> Vec<Readiness> {
        let (db, storage, queue, cache) = tokio::join!(
            self.db.ping(),
            self.storage.ping(),
            self.queue.ping(),
            self.cache.ping()
        );
        vec![
            Readiness {
                port: "database",
                backend: self.db.backend(),
                error: db.err().map(|e| e.to_string()),
            },
            Readiness {
                port: "storage",
                backend: self.storage.backend(),
                error: storage.err().map(|e| e.to_string()),
            },
            Readiness {
                port: "queue",
                backend: self.queue.backend(),
                error: queue.err().map(|e| e.to_string()),
            },
            Readiness {
                port: "cache",
                backend: self.cache.backend(),
                error: cache.err().map(|e| e.to_string()),
            },
        ]
    }
}

fn scheme(url: &str) -> &str {
    url.split_once(':').map_or(url, |(scheme, _)| scheme)
}

// Used only by builds made without one of the backend features.
#[allow(dead_code)]
fn not_built(what: &str, feature: &str) -> anyhow::Error {
    anyhow::anyhow!("{what} needs the `{feature}` feature, and this build was made without it")
}

async fn database(url: &str) -> anyhow::Result<Arc<dyn Database>> {
    match scheme(url) {
        "sqlite" => sqlite(url).await,
        other => bail!("unknown database scheme `{other}` (expected sqlite://PATH)"),
    }
}

#[cfg(feature = "sqlite")]
async fn sqlite(url: &str) -> anyhow::Result<Arc<dyn Database>> {
    use darkroom_adapters::database::sqlite::SqliteDatabase;
    let db = match url.strip_prefix("sqlite://") {
        Some(path) => SqliteDatabase::open(std::path::Path::new(path)).await?,
        None if url == "sqlite::memory:" => SqliteDatabase::in_memory().await?,
        None => bail!("expected sqlite://PATH or sqlite::memory:"),
    };
    db.migrate().await?;
    Ok(Arc::new(db))
}

#[cfg(not(feature = "sqlite"))]
async fn sqlite(_url: &str) -> anyhow::Result<Arc<dyn Database>> {
    Err(not_built("a sqlite database", "sqlite"))
}

fn storage(url: &str) -> anyhow::Result<Arc<dyn BlobStore>> {
    match scheme(url) {
        "file" | "memory" => local_storage(url),
        other => bail!("unknown storage scheme `{other}` (expected file:///PATH or memory://)"),
    }
}

#[cfg(feature = "local-storage")]
fn local_storage(url: &str) -> anyhow::Result<Arc<dyn BlobStore>> {
    use darkroom_adapters::storage::ObjectStoreBlobs;
    match url.strip_prefix("file://") {
        Some(path) => Ok(Arc::new(ObjectStoreBlobs::local(std::path::Path::new(
            path,
        ))?)),
        None => Ok(Arc::new(ObjectStoreBlobs::in_memory())),
    }
}

#[cfg(not(feature = "local-storage"))]
fn local_storage(_url: &str) -> anyhow::Result<Arc<dyn BlobStore>> {
    Err(not_built("local storage", "local-storage"))
}

async fn queue(config: &Config, settings: QueueSettings) -> anyhow::Result<Arc<dyn Queue>> {
    match scheme(&config.queue_url) {
        "embedded" => embedded_queue(config, settings).await,
        other => bail!("unknown queue scheme `{other}` (expected embedded)"),
    }
}

#[cfg(feature = "embedded-queue")]
async fn embedded_queue(
    config: &Config,
    settings: QueueSettings,
) -> anyhow::Result<Arc<dyn Queue>> {
    use darkroom_adapters::queue::embedded::EmbeddedQueue;
    Ok(Arc::new(
        EmbeddedQueue::open(&config.data_dir.join("queue.sqlite"), settings).await?,
    ))
}

#[cfg(not(feature = "embedded-queue"))]
async fn embedded_queue(
    _config: &Config,
    _settings: QueueSettings,
) -> anyhow::Result<Arc<dyn Queue>> {
    Err(not_built("the embedded queue", "embedded-queue"))
}

fn cache(config: &Config) -> anyhow::Result<Arc<dyn Cache>> {
    match scheme(&config.cache_url) {
        "memory" => memory_cache(config),
        other => bail!("unknown cache scheme `{other}` (expected memory)"),
    }
}

#[cfg(feature = "memory-cache")]
fn memory_cache(config: &Config) -> anyhow::Result<Arc<dyn Cache>> {
    Ok(Arc::new(darkroom_adapters::cache::MokaCache::new(
        config.cache_max_bytes,
    )))
}

#[cfg(not(feature = "memory-cache"))]
fn memory_cache(_config: &Config) -> anyhow::Result<Arc<dyn Cache>> {
    Err(not_built("the memory cache", "memory-cache"))
}
