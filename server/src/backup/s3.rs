//! Backups in S3 or an S3-compatible store (MinIO, moto): the storage adapter moves the bytes, so the URL
//! takes the storage URL's parameters (`region`, `endpoint`, `path_style`, `sse`…) and the credentials come
//! from the environment as for the storage (see `darkroom_adapters::storage`).
//!
//! Backup: the SQLite snapshots are made into a staging directory inside the data dir (the same copies as a
//! directory backup, under the same write freeze), then uploaded, then the signing key and every blob
//! straight from the data dir, and `manifest.json` last: a backup that stopped half-way has no manifest and
//! restore refuses it. The prefix must hold nothing yet, as a directory must be empty.
//!
//! Restore: the manifest first (refused without one), every file it names checked there with its size
//! before anything is written, then each downloaded into the new data dir, owner-only.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use darkroom_core::ports::{BlobKey, BlobStore, BlobStoreExt, ByteStream, StorageError};
use futures::TryStreamExt;
use tokio::io::AsyncWriteExt;

use super::restore as checks;
use super::{files, snapshot, sources, BackedUpFile, Manifest, BLOBS, MANIFEST, SIGNING_KEY};
use crate::config::Config;

async fn open(url: &str) -> anyhow::Result<std::sync::Arc<dyn BlobStore>> {
    crate::backends::storage::connect(url, false)
        .await
        .with_context(|| format!("backup location {url}"))
}

/// Backs `config`'s embedded data up under the prefix of the storage URL `url`; returns the manifest.
pub async fn backup(config: &Config, url: &str) -> anyhow::Result<Manifest> {
    let sources = sources(config)?;
    let store = open(url).await?;
    if !store
        .list("")
        .await
        .context("cannot list the backup location")?
        .is_empty()
    {
        bail!("{url} is not empty: give a new prefix (a backup never mixes with another)");
    }
    let staging = Staging::new(&config.data_dir)?;
    let mut uploads: Vec<(PathBuf, String)> = snapshot(&sources, staging.path())
        .await?
        .into_iter()
        .map(|name| (staging.path().join(&name), name))
        .collect();
    if sources.signing_key.exists() {
        uploads.push((sources.signing_key.clone(), SIGNING_KEY.to_owned()));
    }
    let blobs = sources.blobs.clone();
    uploads.extend(tokio::task::spawn_blocking(move || files::list_tree(&blobs, BLOBS)).await??);

    let mut backed_up = Vec::with_capacity(uploads.len());
    for (src, path) in uploads {
        if let Some(bytes) = upload(store.as_ref(), &src, &path).await? {
            backed_up.push(BackedUpFile { path, bytes });
        }
    }
    drop(staging);
    let manifest = Manifest::new(backed_up);
    // Written last: a backup that stopped half-way has no manifest, and restore refuses it.
    store
        .put(
            &BlobKey::parse(MANIFEST)?,
            serde_json::to_vec_pretty(&manifest)?.into(),
        )
        .await
        .context("cannot write the backup's manifest")?;
    Ok(manifest)
}

/// Uploads the file `src` as `path`; `None` when it vanished first (a blob deleted while the walk ran).
async fn upload(store: &dyn BlobStore, src: &Path, path: &str) -> anyhow::Result<Option<u64>> {
    let file = match tokio::fs::File::open(src).await {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        other => other.with_context(|| format!("cannot read {}", src.display()))?,
    };
    let body: ByteStream = Box::pin(
        tokio_util::io::ReaderStream::new(file)
            .map_err(|e| StorageError::other_from("reading the file to back up", e)),
    );
    let stored = store
        .put_stream(&BlobKey::parse(path)?, body)
        .await
        .with_context(|| format!("cannot upload {path}"))?;
    Ok(Some(stored.size))
}

/// Restores the backup under the prefix of the storage URL `url` into the new or empty `data_dir`.
pub async fn restore(url: &str, data_dir: &Path) -> anyhow::Result<Manifest> {
    let store = open(url).await?;
    let text = match store.get(&BlobKey::parse(MANIFEST)?, None).await {
        Err(StorageError::NotFound(_)) => {
            bail!("{url} has no {MANIFEST}: not a backup, or one that did not finish")
        }
        other => other.with_context(|| format!("cannot read {MANIFEST} in {url}"))?,
    };
    let manifest = checks::read_manifest(&text, url)?;
    for file in &manifest.files {
        let stored = match store.head(&BlobKey::parse(&file.path)?).await {
            Err(StorageError::NotFound(_)) => bail!("the backup lacks {}", file.path),
            other => other.with_context(|| format!("cannot check {}", file.path))?,
        };
        checks::check_size(file, stored.size)?;
    }

    files::create_empty_dir(data_dir)?;
    for file in &manifest.files {
        let dst = data_dir.join(&file.path);
        if let Some(parent) = dst.parent() {
            files::create_private_dirs(data_dir, parent)?;
        }
        let (_, mut body) = store
            .get_stream(&BlobKey::parse(&file.path)?, None)
            .await
            .with_context(|| format!("cannot download {}", file.path))?;
        let mut out = tokio::fs::File::from_std(files::new_private_file(&dst)?);
        let mut written = 0u64;
        while let Some(chunk) = body
            .try_next()
            .await
            .with_context(|| format!("cannot download {}", file.path))?
        {
            out.write_all(&chunk).await?;
            written += chunk.len() as u64;
        }
        out.sync_all().await?;
        checks::check_size(file, written)?;
    }
    Ok(manifest)
}

/// A directory of its own in the data dir for the SQLite snapshots on their way up (the data dir has room
/// for copies of its own files, which the system's temporary directory may not); removed when dropped.
struct Staging(PathBuf);

impl Staging {
    fn new(data_dir: &Path) -> anyhow::Result<Self> {
        let dir = data_dir.join(format!(".backup-{}", uuid::Uuid::new_v4().simple()));
        files::create_empty_dir(&dir)?;
        Ok(Self(dir))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
