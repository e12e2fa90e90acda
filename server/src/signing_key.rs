//! The key access tokens are signed with: `jwt_secret` when set, or one generated on first start and kept
//! owner-only in the data dir, so that restarts keep sessions valid.

use std::path::Path;

use anyhow::Context;
use rand::RngCore;

use crate::config::Config;

/// The access-token key: from config, or generated once and kept in the data dir so that restarts keep
/// sessions valid.
pub(crate) fn signing_key(config: &Config) -> anyhow::Result<Vec<u8>> {
    if let Some(secret) = &config.jwt_secret {
        anyhow::ensure!(
            secret.len() >= 32,
            "jwt_secret must be at least 32 bytes long"
        );
        return Ok(secret.as_bytes().to_vec());
    }
    let path = config.data_dir.join("jwt.secret");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let key = hex_decode(existing.trim())
            .with_context(|| format!("{} is not a key this server wrote", path.display()))?;
        return Ok(key);
    }
    let mut key = vec![0u8; 64];
    rand::thread_rng().fill_bytes(&mut key);
    write_private(&path, &hex::encode(&key))
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(key)
}

fn hex_decode(text: &str) -> anyhow::Result<Vec<u8>> {
    let key = hex::decode(text)?;
    anyhow::ensure!(key.len() >= 32, "key too short");
    Ok(key)
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(contents.as_bytes())
}
