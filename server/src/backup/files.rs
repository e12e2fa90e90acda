//! File handling for backup and restore: owner-only directories (0700) and files (0600) whatever the
//! caller's umask, since a backup holds the password hashes, the signing key and every original.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

/// Creates `dir` owner-only, or takes an existing empty one (made owner-only); refuses one with content.
pub fn create_empty_dir(dir: &Path) -> anyhow::Result<()> {
    if dir.exists() {
        let mut entries =
            fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?;
        if entries.next().is_some() {
            bail!(
                "{} is not empty: give a new or empty directory",
                dir.display()
            );
        }
    }
    create_private_dir(dir)
}

/// Creates `dir` and its missing parents below `root`, each owner-only.
pub fn create_private_dirs(root: &Path, dir: &Path) -> anyhow::Result<()> {
    if dir == root || dir.exists() {
        return Ok(());
    }
    if let Some(parent) = dir.parent() {
        create_private_dirs(root, parent)?;
    }
    create_private_dir(dir)
}

fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    set_mode(dir, 0o700)
}

fn set_mode(path: &Path, mode: u32) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(mode))
            .with_context(|| format!("cannot restrict {}", path.display()))?;
    }
    let _ = (path, mode);
    Ok(())
}

/// Copies one file to `dst` (a new file, 0600).
pub fn copy_private(src: &Path, dst: &Path) -> anyhow::Result<()> {
    let mut from = fs::File::open(src).with_context(|| format!("cannot read {}", src.display()))?;
    let mut to = new_private_file(dst)?;
    io::copy(&mut from, &mut to).with_context(|| format!("cannot write {}", dst.display()))?;
    to.sync_all()?;
    Ok(())
}

pub fn write_private(dst: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let mut to = new_private_file(dst)?;
    to.write_all(bytes)?;
    to.sync_all()?;
    Ok(())
}

pub fn new_private_file(dst: &Path) -> anyhow::Result<fs::File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(dst)
        .with_context(|| format!("cannot create {}", dst.display()))
}

/// Copies the tree under `src` into `dst_root/name`, returning the copied files' paths relative to
/// `dst_root` ('/'-separated). A file that vanishes during the walk (deleted, or a temporary file renamed
/// into place) is skipped: the server keeps writing while this runs.
pub fn copy_tree(src: &Path, dst_root: &Path, name: &str) -> anyhow::Result<Vec<String>> {
    let mut copied = Vec::new();
    create_private_dir(&dst_root.join(name))?;
    if src.exists() {
        visit(src, name, &mut |path, child, kind| {
            let dst = dst_root.join(child);
            match kind {
                Found::Dir => create_private_dir(&dst),
                Found::File => match copy_private(path, &dst) {
                    Ok(()) => {
                        copied.push(child.to_owned());
                        Ok(())
                    }
                    Err(err) if vanished(&err) => {
                        let _ = fs::remove_file(&dst);
                        Ok(())
                    }
                    Err(err) => Err(err),
                },
            }
        })?;
    }
    Ok(copied)
}

/// The files under `src`, each with its path under `name` ('/'-separated), for an upload: a file that
/// vanishes during the walk is left out, as `copy_tree` does.
pub fn list_tree(src: &Path, name: &str) -> anyhow::Result<Vec<(PathBuf, String)>> {
    let mut found = Vec::new();
    visit(src, name, &mut |path, child, kind| {
        if kind == Found::File {
            found.push((path.to_path_buf(), child.to_owned()));
        }
        Ok(())
    })?;
    Ok(found)
}

/// What `visit` found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Found {
    Dir,
    File,
}

/// Walks the tree under `dir`, telling `found` of every directory (before its contents) and every regular
/// file, with its path under `rel` ('/'-separated). Entries that vanish during the walk are skipped; a
/// name that is not UTF-8 is an error.
fn visit(
    dir: &Path,
    rel: &str,
    found: &mut dyn FnMut(&Path, &str, Found) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let entries = match fs::read_dir(dir) {
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(()),
        other => other.with_context(|| format!("cannot read {}", dir.display()))?,
    };
    for entry in entries {
        let entry = entry?;
        let Some(file_name) = entry.file_name().to_str().map(str::to_owned) else {
            bail!("{} has a name that is not UTF-8", entry.path().display());
        };
        let child = format!("{rel}/{file_name}");
        let kind = match entry.file_type() {
            Err(err) if err.kind() == io::ErrorKind::NotFound => continue,
            other => other?,
        };
        if kind.is_dir() {
            found(&entry.path(), &child, Found::Dir)?;
            visit(&entry.path(), &child, found)?;
        } else if kind.is_file() {
            found(&entry.path(), &child, Found::File)?;
        }
    }
    Ok(())
}

fn vanished(err: &anyhow::Error) -> bool {
    err.chain()
        .filter_map(|e| e.downcast_ref::<io::Error>())
        .any(|e| e.kind() == io::ErrorKind::NotFound)
}
