//! The worker role's scheduled passes, each run by one replica at a time (a lease in the database): the
//! expiry of abandoned resumable uploads, the retention purge of deleted images, the archive pass of
//! originals nobody read, and the janitor of interrupted writes.

use std::sync::Arc;
use std::time::Duration;

use darkroom_core::caching::CachedImageRepository;
use darkroom_core::clock::Clock;
use darkroom_core::services::archive::OriginalArchive;
use darkroom_core::services::janitor::Janitor;
use darkroom_core::services::retention::Purge;
use darkroom_core::services::uploads::UploadService;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::backends::Backends;
use crate::config::Config;

/// Starts every pass; each stops when `stop` turns true.
pub fn spawn(
    config: &Config,
    backends: &Backends,
    uploads: &UploadService,
    archive: Option<OriginalArchive>,
    clock: &Clock,
    stop: &watch::Receiver<bool>,
) -> Vec<JoinHandle<()>> {
    let expiry = uploads.clone().run_expiry(
        backends.db.leases.clone(),
        Duration::from_secs(config.upload_expiry_pass_secs.max(1)),
        stop.clone(),
    );
    // Blobs of images deleted before the retention window, then their rows. Its writes drop the API's
    // cached entries, as the worker's other writes do.
    let purge = Purge::new(
        Arc::new(CachedImageRepository::invalidating_only(
            backends.db.images.clone(),
            backends.cache.clone(),
        )),
        backends.storage.clone(),
        clock.clone(),
        config.retention(),
    )
    .with_archive(archive.as_ref().and_then(OriginalArchive::store))
    .run(
        backends.db.leases.clone(),
        Duration::from_secs(config.retention_pass_secs.max(1)),
        stop.clone(),
    );
    // Orphan blobs are deleted through the storage as the API sees it, so its hot cache drops them too.
    let janitor = Janitor::new(
        backends.sweep.clone(),
        backends.storage.clone(),
        backends.db.images.clone(),
        backends.db.uploads.clone(),
        clock.clone(),
        // Checked at start (`Application::build`); the floor keeps a config that skipped it safe.
        Duration::from_secs(config.janitor_grace_secs)
            .max(darkroom_core::services::janitor::MIN_GRACE),
        Duration::from_secs(config.upload_expiry_secs),
    )
    .run(
        backends.db.leases.clone(),
        Duration::from_secs(config.janitor_pass_secs.max(1)),
        stop.clone(),
    );
    let mut passes = vec![
        tokio::spawn(expiry),
        tokio::spawn(purge),
        tokio::spawn(janitor),
    ];
    if let Some(archive) = archive {
        passes.push(tokio::spawn(archive.run(
            backends.db.leases.clone(),
            Duration::from_secs(config.archive_pass_secs.max(1)),
            stop.clone(),
        )));
    }
    passes
}
