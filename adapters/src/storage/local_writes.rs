//! Streamed writes to the local store, done here rather than through `object_store`.
//!
//! `object_store`'s multipart writer gathers the stream into fresh 5 MiB part buffers and writes each with a
//! blocking call: on a 90 MB upload, `perf` showed a fifth of the receiving thread's time in the page faults
//! and zeroing of those buffers, and more in copying into them. Here the chunks as received (shared `Bytes`,
//! never copied) go through a short queue to one blocking writer; the file is flushed to disk, renamed into
//! place and its directory flushed before the write is reported done, since streamed writes are uploads
//! whose originals exist nowhere else once the client is told 202.
//!
//! The file is written beside its final name as `{name}#{random}`, the staging name `object_store` uses, so
//! listings skip it and a write cut short by a crash leaves only such a file for the janitor.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use darkroom_core::ports::{BlobKey, BlobMeta, ByteStream, StorageError};
use futures::StreamExt;
use tokio::sync::mpsc;

/// Chunks queued for the writer: enough to keep the disk busy while the network delivers, few enough that a
/// slow disk holds the client back (through the socket) instead of memory.
const QUEUED_CHUNKS: usize = 8;

/// Writes `data` to `path` (the file behind `key`): contract as `BlobStore::put_stream`.
pub(super) async fn put_stream(
    path: PathBuf,
    key: &BlobKey,
    mut data: ByteStream,
) -> Result<BlobMeta, StorageError> {
    let staging = staging_path(&path);
    let (chunks, mut queued) = mpsc::channel::<Bytes>(QUEUED_CHUNKS);
    let target = staging.clone();
    let writer = tokio::task::spawn_blocking(move || -> io::Result<File> {
        if let Some(dir) = target.parent() {
            fs::create_dir_all(dir)?;
        }
        let mut file = File::create(&target)?;
        while let Some(chunk) = queued.blocking_recv() {
            file.write_all(&chunk)?;
        }
        Ok(file)
    });
    let mut size = 0u64;
    let mut failure = None;
    while let Some(chunk) = data.next().await {
        match chunk {
            Ok(chunk) => {
                size += chunk.len() as u64;
                // A closed queue means the writer stopped on an error, which joining it reports.
                if chunks.send(chunk).await.is_err() {
                    break;
                }
            }
            Err(err) => {
                failure = Some(err);
                break;
            }
        }
    }
    drop(chunks);
    let written = writer
        .await
        .map_err(|e| StorageError::other_from(format!("writing {:?}", key.as_str()), e))
        .and_then(|result| result.map_err(|e| io_error(e, key)));
    let file = match (written, failure) {
        (Ok(file), None) => file,
        (Ok(_), Some(err)) | (Err(err), _) => {
            discard(staging).await;
            return Err(err);
        }
    };
    let finished = tokio::task::spawn_blocking(move || -> io::Result<()> {
        let finish = || -> io::Result<()> {
            file.sync_all()?;
            fs::rename(&staging, &path)?;
            match path.parent() {
                Some(dir) => File::open(dir)?.sync_all(),
                None => Ok(()),
            }
        };
        // Whichever step failed, no staging file stays behind (after a rename there is none to remove).
        finish().inspect_err(|_| {
            let _ = fs::remove_file(&staging);
        })
    })
    .await
    .map_err(|e| StorageError::other_from(format!("finishing {:?}", key.as_str()), e))?;
    finished.map_err(|e| io_error(e, key))?;
    Ok(BlobMeta {
        key: key.as_str().to_owned(),
        size,
    })
}

fn staging_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!("#{}", uuid::Uuid::new_v4().simple()));
    path.with_file_name(name)
}

async fn discard(staging: PathBuf) {
    if let Err(err) = tokio::fs::remove_file(&staging).await {
        if err.kind() != io::ErrorKind::NotFound {
            tracing::warn!(error = %err, "could not remove an abandoned write's staging file");
        }
    }
}

/// Messages name the key, never the absolute path under the root.
fn io_error(err: io::Error, key: &BlobKey) -> StorageError {
    StorageError::other_from(format!("writing {:?}", key.as_str()), err)
}

#[cfg(test)]
mod tests {
    use futures::stream;

    use super::*;

    fn names_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[tokio::test]
    async fn a_finished_write_leaves_only_its_file() {
        let root = tempfile::tempdir().unwrap();
        let key = BlobKey::parse("images/a/original").unwrap();
        let path = root.path().join(key.as_str());
        let chunks: Vec<Result<Bytes, StorageError>> = (0..100u8)
            .map(|i| Ok(Bytes::from(vec![i; 10_000])))
            .collect();
        let meta = put_stream(path.clone(), &key, stream::iter(chunks).boxed())
            .await
            .unwrap();
        assert_eq!(meta.size, 1_000_000);
        let written = fs::read(&path).unwrap();
        assert_eq!(written.len(), 1_000_000);
        assert_eq!(&written[990_000..], &[99u8; 10_000][..]);
        assert_eq!(names_in(path.parent().unwrap()), ["original"]);
    }

    #[tokio::test]
    async fn a_stream_that_fails_leaves_no_file_and_keeps_the_previous_one() {
        let root = tempfile::tempdir().unwrap();
        let key = BlobKey::parse("images/a/original").unwrap();
        let path = root.path().join(key.as_str());
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, b"before").unwrap();
        let chunks = vec![
            Ok(Bytes::from_static(b"half of it")),
            Err(StorageError::Aborted("the client went away".into())),
        ];
        let err = put_stream(path.clone(), &key, stream::iter(chunks).boxed())
            .await
            .unwrap_err();
        assert!(matches!(err, StorageError::Aborted(_)), "{err:?}");
        assert_eq!(fs::read(&path).unwrap(), b"before");
        assert_eq!(names_in(path.parent().unwrap()), ["original"]);
    }

    #[tokio::test]
    async fn a_write_that_cannot_be_put_in_place_leaves_no_staging_file() {
        let root = tempfile::tempdir().unwrap();
        let key = BlobKey::parse("images/a/original").unwrap();
        let path = root.path().join(key.as_str());
        // A directory, with something in it, where the file should go: the rename fails.
        fs::create_dir_all(path.join("occupied")).unwrap();
        let chunks = vec![Ok(Bytes::from_static(b"all of it"))];
        assert!(put_stream(path.clone(), &key, stream::iter(chunks).boxed())
            .await
            .is_err());
        assert_eq!(names_in(path.parent().unwrap()), ["original"]);
    }
}
