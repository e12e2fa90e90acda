//! The local store's leftovers, found by walking its root: staging files of streamed writes (`{name}#{hex}`:
//! ours, `local_writes`, and `object_store`'s own `{name}#{digits}`), dated by their modification time, and
//! multipart staging directories (`.multipart/{id}`, `local_multipart`), dated by the directory's time,
//! which moves each time a part lands: an upload still receiving parts never looks old.

use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use chrono::{DateTime, Utc};
use darkroom_core::ports::{BlobKey, Leftover, LeftoverKind, StorageError};

use super::local_multipart::{self, STAGING};

/// Whether a file name is a staging name: something, `#`, then hex digits.
pub(super) fn is_staging_name(name: &str) -> bool {
    match name.rsplit_once('#') {
        Some((base, suffix)) => {
            !base.is_empty() && !suffix.is_empty() && suffix.bytes().all(|b| b.is_ascii_hexdigit())
        }
        None => false,
    }
}

fn time_of(modified: io::Result<SystemTime>) -> DateTime<Utc> {
    // A filesystem without modification times: the epoch, so the leftover counts as old (the walk found
    // it, so it exists; a write in progress on such a filesystem cannot be told apart anyway).
    modified.map(DateTime::<Utc>::from).unwrap_or_default()
}

/// Every leftover under `root`.
pub(super) async fn leftovers(root: &Path) -> Result<Vec<Leftover>, StorageError> {
    let root = root.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let mut found = Vec::new();
        walk(&root, &root, &mut found).map(|()| found)
    })
    .await
    .map_err(|e| StorageError::unavailable_from("walking the storage root", e))?
    .map_err(|e| StorageError::other_from("walking the storage root", e))
}

/// Entries that vanish while the walk runs (a write finishing, a delete) are skipped, not errors.
fn walk(root: &Path, dir: &Path, found: &mut Vec<Leftover>) -> io::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let Ok(entry) = entry else { continue };
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        if dir == root && name == STAGING && kind.is_dir() {
            uploads(&path, found)?;
        } else if kind.is_dir() {
            walk(root, &path, found)?;
        } else if kind.is_file() && is_staging_name(&name) {
            let Ok(relative) = path.strip_prefix(root) else {
                continue;
            };
            let key = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            found.push(Leftover {
                kind: LeftoverKind::StagingFile,
                key,
                upload_id: None,
                started: time_of(entry.metadata().and_then(|m| m.modified())),
            });
        }
    }
    Ok(())
}

fn uploads(staging: &Path, found: &mut Vec<Leftover>) -> io::Result<()> {
    for entry in std::fs::read_dir(staging)?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        found.push(Leftover {
            kind: LeftoverKind::Multipart,
            key: format!("{STAGING}/{name}"),
            upload_id: Some(name),
            started: time_of(entry.metadata().and_then(|m| m.modified())),
        });
    }
    Ok(())
}

/// Removes a leftover `leftovers` listed; one already gone is fine.
pub(super) async fn remove(root: &Path, leftover: &Leftover) -> Result<(), StorageError> {
    match leftover.kind {
        LeftoverKind::Multipart => match &leftover.upload_id {
            Some(id) => local_multipart::abort(root, id).await,
            None => Err(StorageError::other("a multipart leftover without its id")),
        },
        LeftoverKind::StagingFile => {
            let file = staging_file(root, &leftover.key)?;
            let root = root.to_path_buf();
            tokio::task::spawn_blocking(move || remove_file_and_empty_dirs(&root, &file))
                .await
                .map_err(|e| StorageError::unavailable_from("removing a staging file", e))?
        }
    }
}

/// The path of a staging file's key, refusing anything that is not one under the root: a staging name
/// beside a valid blob key (`BlobKey::parse` refuses traversal and empty segments).
fn staging_file(root: &Path, key: &str) -> Result<PathBuf, StorageError> {
    let name = key.rsplit('/').next().unwrap_or(key);
    let blob = key.rsplit_once('#').map(|(blob, _)| blob);
    if is_staging_name(name) && blob.is_some_and(|blob| BlobKey::parse(blob).is_ok()) {
        Ok(root.join(key))
    } else {
        Err(StorageError::other(format!(
            "{key:?} is not a staging file"
        )))
    }
}

/// Removes the file, then its directories up to the root while they are empty (as deleting a blob does).
fn remove_file_and_empty_dirs(root: &Path, file: &Path) -> Result<(), StorageError> {
    match std::fs::remove_file(file) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(StorageError::other_from("removing a staging file", e)),
    }
    let mut dir = file.parent();
    while let Some(current) = dir {
        if current == root || !current.starts_with(root) || std::fs::remove_dir(current).is_err() {
            break;
        }
        dir = current.parent();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn staging_names_end_in_a_hash_and_hex() {
        assert!(is_staging_name("original#1"));
        assert!(is_staging_name("original#0f3a9c2b4d5e6f708192a3b4c5d6e7f8"));
        assert!(!is_staging_name("original"));
        assert!(!is_staging_name("original#"));
        assert!(!is_staging_name("#1"));
        assert!(!is_staging_name("original#tmp"));
    }

    #[test]
    fn only_staging_keys_under_the_root_are_removed() {
        let root = Path::new("/srv/blobs");
        assert_eq!(
            staging_file(root, "images/x/original#ab12").unwrap(),
            root.join("images/x/original#ab12")
        );
        assert!(staging_file(root, "images/x/original").is_err());
        assert!(staging_file(root, "../x/original#1").is_err());
        assert!(staging_file(root, "/etc/passwd#1").is_err());
    }
}
