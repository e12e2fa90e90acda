//! `darkroom backup` and `darkroom restore`: a consistent online snapshot of the embedded defaults (the
//! SQLite database and its search index, the queue's SQLite file, the signing key, the blobs) into a
//! directory or an S3 prefix (`s3`), and back into an empty data dir. The shared backends have their own
//! tools: docs/backup.md.

mod files;
mod location;
mod restore;
mod s3;

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use darkroom_adapters::sqlite_snapshot::{vacuum_into, WriteFreeze};
use serde::{Deserialize, Serialize};

use crate::config::Config;

pub use location::Location;
pub use restore::restore;

/// The file that describes a backup; restore refuses a directory without it.
pub const MANIFEST: &str = "manifest.json";
const FORMAT: u32 = 1;
const DATABASE: &str = "darkroom.sqlite";
const QUEUE: &str = "queue.sqlite";
const SIGNING_KEY: &str = "jwt.secret";
const BLOBS: &str = "blobs";

/// What a backup holds: each file by its path in the backup (and in a restored data dir), with its size.
#[derive(Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub darkroom_version: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub files: Vec<BackedUpFile>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct BackedUpFile {
    pub path: String,
    pub bytes: u64,
}

impl Manifest {
    fn new(files: Vec<BackedUpFile>) -> Self {
        Self {
            format: FORMAT,
            darkroom_version: env!("CARGO_PKG_VERSION").to_owned(),
            created_at: chrono::Utc::now(),
            files,
        }
    }
}

/// Where the running configuration keeps what a backup takes.
struct Sources {
    database: PathBuf,
    search: PathBuf,
    queue: PathBuf,
    signing_key: PathBuf,
    blobs: PathBuf,
}

fn sources(config: &Config) -> anyhow::Result<Sources> {
    let unsupported =
        "darkroom backup takes the embedded defaults (sqlite://, file://, the embedded queue); \
                       back up shared backends with their own tools (docs/backup.md)";
    let database_url = config.database_url();
    let Some(database) = database_url.strip_prefix("sqlite://") else {
        bail!("{unsupported}: the database is {}", scheme(&database_url));
    };
    let storage_url = config.storage_url();
    let Some(blobs) = storage_url.strip_prefix("file://") else {
        bail!("{unsupported}: the storage is {}", scheme(&storage_url));
    };
    if config.queue_url != "embedded" {
        bail!("{unsupported}: the queue is {}", scheme(&config.queue_url));
    }
    let database = PathBuf::from(database);
    let queue = config.data_dir.join(QUEUE);
    if !database.exists() || !queue.exists() {
        bail!(
            "no data to back up in {}: start the server there first",
            config.data_dir.display()
        );
    }
    Ok(Sources {
        search: database.with_file_name(darkroom_adapters::SqliteUserSearch::FILE_NAME),
        database,
        queue,
        signing_key: config.data_dir.join(SIGNING_KEY),
        blobs: PathBuf::from(blobs),
    })
}

fn scheme(url: &str) -> &str {
    url.split("://").next().unwrap_or(url)
}

/// Backs up the embedded data of `config` to `to`, a directory (`backup`) or an S3 prefix (`s3::backup`).
pub async fn backup_to(config: &Config, to: &Location) -> anyhow::Result<Manifest> {
    match to {
        Location::Dir(dir) => backup(config, dir).await,
        Location::S3(url) => s3::backup(config, url).await,
    }
}

/// Restores the backup at `from` into the new or empty data dir `data_dir`.
pub async fn restore_from(from: &Location, data_dir: &Path) -> anyhow::Result<Manifest> {
    match from {
        Location::Dir(dir) => {
            let (dir, data_dir) = (dir.clone(), data_dir.to_path_buf());
            tokio::task::spawn_blocking(move || restore(&dir, &data_dir)).await?
        }
        Location::S3(url) => s3::restore(url, data_dir).await,
    }
}

/// Backs up the embedded data of `config` into `to` (created owner-only; refused when it holds anything)
/// while a server may be running on it, and returns the manifest it wrote last.
///
/// Order is what makes it consistent (an S3 backup keeps the same order). The queue's write lock is held
/// while both SQLite files are copied,
/// so no job is published or acknowledged in between: a message relayed from the database's outbox is in
/// the queue's copy (the relay publishes before it marks the row relayed), and an image the database's
/// copy still shows as processing still has its job in the queue's copy (a worker writes the result before
/// it acknowledges). Jobs of writes that land after the queue's copy are redone after a restore, which every
/// handler tolerates. The blobs are copied after the database: every blob a row of the copy refers to was
/// stored before that row was committed, so it is on disk when the walk reaches it; blobs stored after the
/// snapshot come along harmlessly (no row names them). Only a blob deleted between the two copies is
/// missing, and its image was being deleted when the backup ran.
pub async fn backup(config: &Config, to: &Path) -> anyhow::Result<Manifest> {
    let sources = sources(config)?;
    files::create_empty_dir(to)?;
    let mut copied = snapshot(&sources, to).await?;

    let (signing_key, blobs, to_owned) = (sources.signing_key, sources.blobs, to.to_path_buf());
    let copied = tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<String>> {
        if signing_key.exists() {
            files::copy_private(&signing_key, &to_owned.join(SIGNING_KEY))?;
            copied.push(SIGNING_KEY.to_owned());
        }
        copied.extend(files::copy_tree(&blobs, &to_owned, BLOBS)?);
        Ok(copied)
    })
    .await??;

    let manifest = Manifest::new(
        copied
            .into_iter()
            .map(|path| {
                let bytes = std::fs::metadata(to.join(&path))?.len();
                Ok(BackedUpFile { path, bytes })
            })
            .collect::<std::io::Result<_>>()?,
    );
    // Written last: a backup that stopped half-way has no manifest, and restore refuses it.
    files::write_private(&to.join(MANIFEST), &serde_json::to_vec_pretty(&manifest)?)?;
    Ok(manifest)
}

/// Snapshots the SQLite files into the directory `into` under the queue's write freeze (see `backup`), and
/// returns their names there.
async fn snapshot(sources: &Sources, into: &Path) -> anyhow::Result<Vec<String>> {
    let mut copied = Vec::new();
    let freeze = WriteFreeze::take(&sources.queue)
        .await
        .context("cannot lock the queue for the snapshot")?;
    let snapshots = async {
        let mut files = vec![(&sources.database, DATABASE), (&sources.queue, QUEUE)];
        let search_name = darkroom_adapters::SqliteUserSearch::FILE_NAME;
        if sources.search.exists() {
            files.insert(1, (&sources.search, search_name));
        }
        for (src, name) in files {
            vacuum_into(src, &into.join(name))
                .await
                .with_context(|| format!("cannot snapshot {}", src.display()))?;
            copied.push(name.to_owned());
        }
        anyhow::Ok(())
    }
    .await;
    freeze.release().await.context("cannot unlock the queue")?;
    snapshots?;
    Ok(copied)
}
