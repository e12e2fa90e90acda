//! Reads of the local store, done here rather than through `object_store`'s local backend.
//!
//! `object_store` streams a local file in 8 KiB chunks with one `spawn_blocking` each, so a 100 KB variant
//! costs a dozen thread-pool round trips. Here a blob (or range) up to `WHOLE_READ_MAX` is read with one
//! blocking call into one buffer, and anything longer streams in `CHUNK` pieces, one blocking call each.
//! Writes, lists and deletes still go through `object_store`, which lays the files out the same way: a
//! key is a relative path under the root.

use std::fs::File;
use std::io;
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use darkroom_core::ports::{BlobKey, BlobMeta, ByteStream, StorageError};
use futures::StreamExt;

/// The longest blob or range read in a single blocking call (variants and most photos fit).
const WHOLE_READ_MAX: u64 = 8 * 1024 * 1024;
/// One piece of a longer read.
const CHUNK: u64 = 1024 * 1024;

/// The file behind `key` under `root`, for keys whose characters `object_store` stores as they are
/// (it percent-encodes others). Any other key is left to `object_store`, which knows its own encoding.
pub(super) fn file_path(root: &Path, key: &BlobKey) -> Option<PathBuf> {
    let plain = key
        .as_str()
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'.' | b'-' | b'_'));
    plain.then(|| root.join(key.as_str()))
}

/// The blob at `path` (or `range` of it): contract as `BlobStore::get_stream`.
pub(super) async fn read(
    path: PathBuf,
    key: &BlobKey,
    range: Option<Range<u64>>,
) -> Result<(BlobMeta, ByteStream), StorageError> {
    let owned_key = key.as_str().to_owned();
    let (file, size, range, first) =
        blocking(&owned_key, move || open_and_read_first(&path, range))
            .await?
            .map_err(|e| e.into_storage(&owned_key))?;
    let meta = BlobMeta {
        key: owned_key.clone(),
        size,
    };
    let first_end = range.start + first.len() as u64;
    let head = futures::stream::iter((!first.is_empty()).then_some(Ok(first)));
    if first_end >= range.end {
        return Ok((meta, head.boxed()));
    }
    let rest = futures::stream::try_unfold(
        (Arc::new(file), first_end..range.end, owned_key),
        |(file, rest, key)| async move {
            if rest.is_empty() {
                return Ok(None);
            }
            let len = (rest.end - rest.start).min(CHUNK);
            let start = rest.start;
            let reader = Arc::clone(&file);
            let chunk = blocking(&key, move || read_at(&reader, start, len))
                .await?
                .map_err(|e| io_error(e, &key))?;
            let next = start + chunk.len() as u64..rest.end;
            Ok(Some((chunk, (file, next, key))))
        },
    );
    Ok((meta, head.chain(rest).boxed()))
}

/// Opens the file, clamps the range to its size and reads the first piece, all on one blocking thread.
fn open_and_read_first(
    path: &Path,
    range: Option<Range<u64>>,
) -> Result<(File, u64, Range<u64>, Bytes), ReadError> {
    let file = File::open(path).map_err(ReadError::Io)?;
    let metadata = file.metadata().map_err(ReadError::Io)?;
    if !metadata.is_file() {
        // A directory where a key's prefix ends is no blob (object_store says the same).
        return Err(ReadError::Io(io::ErrorKind::NotFound.into()));
    }
    let size = metadata.len();
    let range = match range {
        None => 0..size,
        Some(r) if r.start >= size => return Err(ReadError::InvalidRange { size }),
        Some(r) => r.start..r.end.min(size).max(r.start),
    };
    let len = range.end - range.start;
    let first_len = if len <= WHOLE_READ_MAX { len } else { CHUNK };
    let first = read_at(&file, range.start, first_len).map_err(ReadError::Io)?;
    Ok((file, size, range, first))
}

/// Up to `len` bytes at `offset`; fewer only when the file ends sooner (it was replaced, not appended to:
/// writes rename a finished file into place, so a reader keeps the bytes it opened).
fn read_at(file: &File, offset: u64, len: u64) -> io::Result<Bytes> {
    let len = usize::try_from(len).map_err(io::Error::other)?;
    let mut buf = BytesMut::zeroed(len);
    let mut filled = 0;
    while filled < len {
        match file.read_at(&mut buf[filled..], offset + filled as u64) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    buf.truncate(filled);
    Ok(buf.freeze())
}

enum ReadError {
    Io(io::Error),
    InvalidRange { size: u64 },
}

async fn blocking<T: Send + 'static>(
    key: &str,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, StorageError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| StorageError::unavailable_from(format!("storage task failed on {key:?}"), e))
}

impl ReadError {
    fn into_storage(self, key: &str) -> StorageError {
        match self {
            Self::Io(e) => io_error(e, key),
            Self::InvalidRange { size } => StorageError::InvalidRange { size },
        }
    }
}

/// Messages name the key, never the absolute path under the root.
fn io_error(err: io::Error, key: &str) -> StorageError {
    match err.kind() {
        io::ErrorKind::NotFound => StorageError::NotFound(key.to_owned()),
        io::ErrorKind::PermissionDenied => {
            StorageError::unavailable_from(format!("access to {key:?} refused"), err)
        }
        _ => StorageError::other_from(format!("{key:?}"), err),
    }
}
