//! Builds one adapter per port from the configured URLs. A scheme this build cannot serve, or a backend
//! that cannot be reached, fails start-up with one line naming it.

use std::sync::Arc;
use std::time::Duration;

pub mod archive;
pub mod cache;
pub mod data_dir;
pub mod database;
pub mod metered_cache;
pub mod metered_database;
pub mod metered_pipeline;
pub mod metered_queue;
pub mod metered_storage;
pub mod queue;
pub mod storage;
pub mod storage_encryption;

use anyhow::{bail, Context};
use darkroom_core::ports::source::chain;
use darkroom_core::ports::{
    BlobStore, Cache, MultipartStore, Queue, QueueDepth, QueueSettings, RateLimiter, Repositories,
    StorageSweep, UserSearch,
};

use darkroom_core::services::archive::ArchiveTier;

use crate::config::Config;

/// The four ports, ready for the services.
#[derive(Debug, Clone)]
pub struct Backends {
    /// The database's repositories, all served by one adapter.
    pub db: Repositories,
    /// The user search index, kept by the database's backend (see `database`).
    pub search: Arc<dyn UserSearch>,
    pub storage: Arc<dyn BlobStore>,
    /// The same store's multipart uploads (resumable uploads), not behind the hot-blob cache: parts are
    /// never read back.
    pub multipart: Arc<dyn MultipartStore>,
    /// The same store's dated listings and leftovers, for the janitor (not behind the hot-blob cache
    /// either: it reads no blob).
    pub sweep: Arc<dyn StorageSweep>,
    pub queue: Arc<dyn Queue>,
    /// How much waits in the queue, for the gauges (`queue_gauges`): the same adapter as `queue`.
    pub queue_depth: Arc<dyn QueueDepth>,
    pub cache: Arc<dyn Cache>,
    /// Request counts for rate limits: in Redis when the cache is (shared by replicas), else in-process.
    pub rate_limiter: Arc<dyn RateLimiter>,
    pub queue_settings: QueueSettings,
    /// Where originals nobody reads move (`archive_after_days`): none when the tier is off.
    pub archive: Option<ArchiveTier>,
}

/// One line of `/readyz`.
#[derive(Debug, Clone)]
pub struct Readiness {
    pub port: &'static str,
    pub backend: &'static str,
    pub error: Option<String>,
}

impl Backends {
    /// Connects every backend and, unless `auto_migrate` is off, creates what each needs (idempotent).
    pub async fn connect(config: &Config) -> anyhow::Result<Self> {
        data_dir::prepare(&config.data_dir)?;
        let queue_settings = QueueSettings {
            visibility_timeout: Duration::from_secs(config.queue_visibility_timeout_secs),
            max_attempts: config.queue_max_attempts,
        };
        let migrate = config.auto_migrate;
        let db_url = config.database_url();
        let database::Database {
            repositories: db,
            search,
        } = database::connect(&db_url, migrate)
            .await
            .with_context(|| format!("database {}", redact(&db_url)))?;
        let db = metered_database::metered(db);
        let storage_url = config.storage_url();
        let stores = storage::connect_stores(&storage_url, migrate)
            .await
            .with_context(|| format!("storage {}", redact(&storage_url)))?;
        let storage::Stores {
            blobs: storage,
            multipart,
            sweep,
        } = storage_encryption::wrap(config, &storage_url, stores).context("storage encryption")?;
        // Metered beneath the hot cache: the histogram times the backend's calls, not the cache's hits.
        let storage: Arc<dyn darkroom_core::ports::BlobStore> =
            Arc::new(metered_storage::MeteredBlobStore::new(storage));
        let storage = storage::with_hot_cache(storage, config.serving_cache_bytes);
        let archive = archive::connect(config, migrate).await?;
        let queue::QueuePorts {
            queue,
            depth: queue_depth,
        } = queue::connect_with_depth(config, queue_settings, migrate)
            .await
            .with_context(|| format!("queue {}", redact(&config.queue_url)))?;
        let queue: Arc<dyn Queue> = Arc::new(metered_queue::MeteredQueue::new(queue));
        let (cache, rate_limiter) = cache::connect(config)
            .await
            .with_context(|| format!("cache {}", redact(&config.cache_url)))?;
        let cache: Arc<dyn Cache> = Arc::new(metered_cache::MeteredCache::new(cache));
        let backends = Self {
            db,
            search,
            storage,
            multipart,
            sweep,
            queue,
            queue_depth,
            cache,
            rate_limiter,
            queue_settings,
            archive,
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
            self.db.health.ping(),
            self.storage.ping(),
            self.queue.ping(),
            self.cache.ping()
        );
        vec![
            Readiness {
                port: "database",
                backend: self.db.health.backend(),
                error: db.err().map(|e| chain(&e)),
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

/// The scheme of a backend URL (`postgres` of `postgres://…`, `embedded` of `embedded`).
fn scheme(url: &str) -> &str {
    url.split_once(':').map_or(url, |(scheme, _)| scheme)
}

/// Why a URL names a backend this build does not have.
// Used only by builds made without one of the backend features.
#[allow(dead_code)]
fn not_built(what: &str, feature: &str) -> anyhow::Error {
    anyhow::anyhow!("{what} needs the `{feature}` feature, and this build was made without it")
}

/// A URL fit for a log line or an error: any password is replaced by `***`.
pub(crate) fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(start), Some(at)) if at > start => {
            let credentials = &url[start + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..start + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_the_log() {
        assert_eq!(
            redact("amqp://guest:secret@127.0.0.1:5672/%2f"),
            "amqp://guest:***@127.0.0.1:5672/%2f"
        );
        assert_eq!(
            redact("postgres://postgres@127.0.0.1/db"),
            "postgres://postgres@127.0.0.1/db"
        );
        assert_eq!(redact("embedded"), "embedded");
    }
}
