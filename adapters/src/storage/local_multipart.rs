//! Multipart uploads on the local filesystem, which `object_store`'s local backend does not offer.
//!
//! An upload is a staging directory, `<root>/.multipart/<upload id>/`, each part a file `<number>.<tag>`
//! written under a temporary name and renamed into place once its stream has ended well, so a broken stream
//! never replaces a good part. Completing concatenates the parts into one more staging file (the kernel
//! copies, nothing passes through memory) and renames it to the key's path: readers see the whole blob or
//! none. `BlobStore::list` leaves the staging directory out.

use std::io;
use std::path::{Path, PathBuf};

use darkroom_core::ports::multipart::check_part_sequence;
use darkroom_core::ports::{BlobKey, BlobMeta, ByteStream, PartReceipt, StorageError};
use futures::StreamExt;
use tokio::io::AsyncWriteExt;
use uuid::Uuid;

use super::local_reads;

/// Where uploads stage, relative to the root: a key prefix `list` hides.
pub(super) const STAGING: &str = ".multipart";

/// What a part's writes gather before they go to the file (and all they hold in memory).
const WRITE_CHUNK: usize = 1024 * 1024;

/// The directory of upload `id` under `root`; ids are 32 hex digits (ours), anything else is unknown.
fn upload_dir(root: &Path, id: &str) -> Result<PathBuf, StorageError> {
    if id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(root.join(STAGING).join(id))
    } else {
        Err(StorageError::NotFound(format!("multipart upload {id}")))
    }
}

fn io_error(err: io::Error, what: &str) -> StorageError {
    if err.kind() == io::ErrorKind::NotFound {
        StorageError::NotFound(what.to_owned())
    } else {
        StorageError::other_from(what.to_owned(), err)
    }
}

async fn existing_upload(root: &Path, id: &str) -> Result<PathBuf, StorageError> {
    let dir = upload_dir(root, id)?;
    match tokio::fs::metadata(&dir).await {
        Ok(meta) if meta.is_dir() => Ok(dir),
        _ => Err(StorageError::NotFound(format!("multipart upload {id}"))),
    }
}

pub(super) async fn create(root: &Path) -> Result<String, StorageError> {
    let id = Uuid::new_v4().simple().to_string();
    tokio::fs::create_dir_all(upload_dir(root, &id)?)
        .await
        .map_err(|e| io_error(e, "multipart staging directory"))?;
    Ok(id)
}

pub(super) async fn put_part(
    root: &Path,
    id: &str,
    number: u32,
    mut data: ByteStream,
) -> Result<PartReceipt, StorageError> {
    let dir = existing_upload(root, id).await?;
    let tag = Uuid::new_v4().simple().to_string();
    let temporary = dir.join(format!("{number}.{tag}.tmp"));
    let mut file = tokio::fs::File::create(&temporary)
        .await
        .map_err(|e| io_error(e, "multipart part"))?;
    let mut size = 0u64;
    let written: Result<(), StorageError> = async {
        // Request bodies arrive in chunks of a few KiB, and each write of a tokio file is a trip to the
        // blocking pool: gather them into writes of `WRITE_CHUNK`.
        let mut pending = Vec::with_capacity(WRITE_CHUNK);
        while let Some(chunk) = data.next().await {
            let chunk = chunk?;
            size += chunk.len() as u64;
            pending.extend_from_slice(&chunk);
            if pending.len() >= WRITE_CHUNK {
                file.write_all(&pending)
                    .await
                    .map_err(|e| io_error(e, "multipart part"))?;
                pending.clear();
            }
        }
        file.write_all(&pending)
            .await
            .map_err(|e| io_error(e, "multipart part"))?;
        file.flush()
            .await
            .map_err(|e| io_error(e, "multipart part"))?;
        file.sync_data()
            .await
            .map_err(|e| io_error(e, "multipart part"))
    }
    .await;
    drop(file);
    if let Err(err) = written {
        let _ = tokio::fs::remove_file(&temporary).await;
        return Err(err);
    }
    tokio::fs::rename(&temporary, dir.join(format!("{number}.{tag}")))
        .await
        .map_err(|e| io_error(e, "multipart part"))?;
    remove_older_versions(&dir, number, &tag).await;
    Ok(PartReceipt { number, size, tag })
}

/// Removes the earlier uploads of part `number` once `tag` has replaced them.
async fn remove_older_versions(dir: &Path, number: u32, tag: &str) {
    let Ok(mut entries) = tokio::fs::read_dir(dir).await else {
        return;
    };
    let prefix = format!("{number}.");
    while let Ok(Some(entry)) = entries.next_entry().await {
        let name = entry.file_name().to_string_lossy().into_owned();
        let stale = name
            .strip_prefix(&prefix)
            .is_some_and(|rest| rest != tag && !rest.ends_with(".tmp") && !rest.contains('.'));
        if stale {
            let _ = tokio::fs::remove_file(entry.path()).await;
        }
    }
}

pub(super) async fn complete(
    root: &Path,
    key: &BlobKey,
    id: &str,
    parts: &[PartReceipt],
) -> Result<BlobMeta, StorageError> {
    check_part_sequence(parts)?;
    let dir = existing_upload(root, id).await?;
    let target = local_reads::file_path(root, key)
        .ok_or_else(|| StorageError::other(format!("unsupported key {:?}", key.as_str())))?;
    let parts = parts.to_vec();
    let size = tokio::task::spawn_blocking(move || assemble(&dir, &parts, &target))
        .await
        .map_err(|e| StorageError::unavailable_from("multipart assembly task", e))??;
    Ok(BlobMeta {
        key: key.as_str().to_owned(),
        size,
    })
}

/// Concatenates the parts into a staging file, renames it to `target`, and removes the upload.
fn assemble(dir: &Path, parts: &[PartReceipt], target: &Path) -> Result<u64, StorageError> {
    let assembled = dir.join("assembled.tmp");
    let mut out = std::fs::File::create(&assembled).map_err(|e| io_error(e, "assembly"))?;
    let mut size = 0u64;
    for part in parts {
        let name = format!("part {} (tag {})", part.number, part.tag);
        let mut input = std::fs::File::open(dir.join(format!("{}.{}", part.number, part.tag)))
            .map_err(|e| match e.kind() {
                io::ErrorKind::NotFound => {
                    StorageError::other(format!("{name} is not in the upload (replaced since?)"))
                }
                _ => io_error(e, &name),
            })?;
        let copied = io::copy(&mut input, &mut out).map_err(|e| io_error(e, &name))?;
        if copied != part.size {
            return Err(StorageError::other(format!(
                "{name} holds {copied} bytes, not {}",
                part.size
            )));
        }
        size += copied;
    }
    out.sync_all().map_err(|e| io_error(e, "assembly"))?;
    drop(out);
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent).map_err(|e| io_error(e, "blob directory"))?;
    }
    std::fs::rename(&assembled, target).map_err(|e| io_error(e, "assembled blob"))?;
    if let Err(e) = std::fs::remove_dir_all(dir) {
        tracing::warn!(error = %e, "could not remove a completed upload's staging directory");
    }
    Ok(size)
}

pub(super) async fn abort(root: &Path, id: &str) -> Result<(), StorageError> {
    let Ok(dir) = upload_dir(root, id) else {
        return Ok(());
    };
    match tokio::fs::remove_dir_all(&dir).await {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_error(e, "multipart upload")),
    }
}
