//! `darkroom restore`: a backup back into an empty data dir, checked against its manifest first.

use std::path::{Component, Path};

use anyhow::{bail, Context};

use super::{files, BackedUpFile, Manifest, FORMAT, MANIFEST};

/// Restores the backup in `from` into the data dir `data_dir`, which must be new or empty: a restore never
/// merges into live data. Every file the manifest names must be there with its size before anything is
/// written. The restored dir has the embedded defaults' layout (darkroom.sqlite, queue.sqlite, blobs/ …),
/// so a server started with `--data-dir` on it and no database, storage or queue URL serves it.
pub fn restore(from: &Path, data_dir: &Path) -> anyhow::Result<Manifest> {
    let manifest_path = from.join(MANIFEST);
    let text = std::fs::read(&manifest_path).with_context(|| {
        format!(
            "{} has no {MANIFEST}: not a backup, or one that did not finish",
            from.display()
        )
    })?;
    let manifest = read_manifest(&text, &from.display().to_string())?;
    for file in &manifest.files {
        let bytes = std::fs::metadata(from.join(&file.path))
            .with_context(|| format!("the backup lacks {}", file.path))?
            .len();
        check_size(file, bytes)?;
    }

    files::create_empty_dir(data_dir)?;
    for file in &manifest.files {
        let dst = data_dir.join(&file.path);
        if let Some(parent) = dst.parent() {
            files::create_private_dirs(data_dir, parent)?;
        }
        files::copy_private(&from.join(&file.path), &dst)?;
    }
    Ok(manifest)
}

/// The manifest read from `text` (found in `location`), its format and every path it names checked: a path
/// leaving the backup (absolute, `..`) is refused before anything is read or written.
pub(super) fn read_manifest(text: &[u8], location: &str) -> anyhow::Result<Manifest> {
    let manifest: Manifest = serde_json::from_slice(text)
        .with_context(|| format!("{location}: {MANIFEST} is not a backup manifest"))?;
    if manifest.format != FORMAT {
        bail!(
            "backup format {} is not the one this darkroom reads ({FORMAT})",
            manifest.format
        );
    }
    for file in &manifest.files {
        let path = Path::new(&file.path);
        if !path.components().all(|c| matches!(c, Component::Normal(_))) {
            bail!("the manifest names {:?}, outside the backup", file.path);
        }
    }
    Ok(manifest)
}

/// A file of the backup must have the size its manifest says, or the backup is damaged.
pub(super) fn check_size(file: &BackedUpFile, bytes: u64) -> anyhow::Result<()> {
    if bytes != file.bytes {
        bail!(
            "{} has {bytes} bytes, the manifest says {}: the backup is damaged",
            file.path,
            file.bytes
        );
    }
    Ok(())
}
