//! The data dir holds the SQLite database (password and refresh-token hashes), the queue, the signing key and
//! every original with its GPS: only the server's own user may enter it.

use std::path::Path;

use anyhow::Context;

/// Creates the data dir owner-only (0700), and closes one that an earlier version or an operator left open
/// to others, saying so: a world-readable data dir hands every local user the password hashes.
pub fn prepare(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the data dir {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir)
            .with_context(|| format!("cannot read the data dir {}", dir.display()))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                .with_context(|| format!("cannot make the data dir {} private", dir.display()))?;
            tracing::info!(dir = %dir.display(), was = format!("{:o}", mode & 0o777), "data dir made owner-only (0700)");
        }
    }
    Ok(())
}

/// Files the process creates from here on are owner-only (0600, directories 0700), whichever code creates
/// them: SQLite and its journal, the embedded queue, staged and stored blobs. Called once at start by the
/// binary, before any thread exists (the mask is per process).
#[allow(unsafe_code)]
pub fn restrict_new_files() {
    #[cfg(unix)]
    // SAFETY: umask only swaps the process's file-creation mask; it cannot fail.
    unsafe {
        libc::umask(0o077);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn an_open_data_dir_is_closed_and_a_new_one_is_born_closed() {
        use std::os::unix::fs::PermissionsExt;
        let root = std::env::temp_dir().join(format!("darkroom-data-dir-{}", std::process::id()));
        let fresh = root.join("fresh/data");
        prepare(&fresh).unwrap();
        assert_eq!(
            std::fs::metadata(&fresh).unwrap().permissions().mode() & 0o777,
            0o700
        );

        let open = root.join("open");
        std::fs::create_dir(&open).unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o755)).unwrap();
        prepare(&open).unwrap();
        assert_eq!(
            std::fs::metadata(&open).unwrap().permissions().mode() & 0o777,
            0o700
        );
        std::fs::remove_dir_all(&root).unwrap();
    }
}
