//! Encryption at rest of the local store: `storage_encryption_key` (base64 of 32 bytes) or
//! `storage_encryption_key_file` (a file holding the same, or the 32 raw bytes) turns it on, and
//! `storage_encryption_plaintext` says what becomes of blobs written before it was (`read` or `refuse`).
//! S3 encrypts on the server instead (`sse=` on the storage URL).

use std::path::Path;

use anyhow::{bail, Context};
use base64::Engine;

use crate::config::Config;

use super::storage::Stores;

/// The 32 bytes of a key given as base64 (standard or URL-safe alphabet, padded or not).
fn decode_key(text: &str) -> anyhow::Result<[u8; 32]> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let text = text.trim();
    let bytes = [STANDARD, URL_SAFE, STANDARD_NO_PAD, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(text).ok())
        .context("not base64 (make one with `openssl rand -base64 32`)")?;
    let len = bytes.len();
    bytes
        .try_into()
        .map_err(|_| anyhow::anyhow!("{len} bytes, and an AES-256 key has 32"))
}

fn read_key_file(path: &Path) -> anyhow::Result<[u8; 32]> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    if let Ok(raw) = <[u8; 32]>::try_from(bytes.as_slice()) {
        return Ok(raw);
    }
    let text = std::str::from_utf8(&bytes).context("neither 32 raw bytes nor base64 text")?;
    decode_key(text)
}

/// The configured key, if encryption at rest is on.
pub fn configured_key(config: &Config) -> anyhow::Result<Option<[u8; 32]>> {
    match (
        config.storage_encryption_key.as_deref(),
        config.storage_encryption_key_file.as_deref(),
    ) {
        (None, None) => Ok(None),
        (Some(_), Some(_)) => {
            bail!("set storage_encryption_key or storage_encryption_key_file, not both")
        }
        (Some(text), None) => decode_key(text).context("storage_encryption_key").map(Some),
        (None, Some(path)) => read_key_file(path)
            .context("storage_encryption_key_file")
            .map(Some),
    }
}

/// Wraps the local store of `url` in encryption when a key is configured; other stores are refused with
/// a key (S3 has `sse=`), and returned as they are without one.
#[cfg(feature = "local-storage")]
pub fn wrap(config: &Config, url: &str, stores: Stores) -> anyhow::Result<Stores> {
    use std::sync::Arc;

    use darkroom_adapters::storage::{EncryptedBlobs, MasterKey, Plaintext};
    let Some(key) = configured_key(config)? else {
        return Ok(stores);
    };
    if !matches!(super::scheme(url), "file" | "memory") {
        bail!(
            "storage_encryption_key encrypts the local store (file://); for S3 use server-side \
             encryption on the storage URL (sse=AES256 or sse=aws:kms)"
        );
    }
    let plaintext = match config.storage_encryption_plaintext.as_str() {
        "read" => Plaintext::Read,
        "refuse" => Plaintext::Refuse,
        other => bail!("storage_encryption_plaintext must be read or refuse, not {other:?}"),
    };
    let encrypted = Arc::new(
        EncryptedBlobs::new(stores.blobs, MasterKey::new(key), plaintext).with_sweep(stores.sweep),
    );
    Ok(Stores {
        blobs: encrypted.clone(),
        multipart: encrypted.clone(),
        sweep: encrypted,
    })
}

#[cfg(not(feature = "local-storage"))]
pub fn wrap(config: &Config, _url: &str, stores: Stores) -> anyhow::Result<Stores> {
    match configured_key(config)? {
        None => Ok(stores),
        Some(_) => Err(super::not_built("storage encryption", "local-storage")),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn keys_are_32_bytes_of_base64_or_a_file_of_either() {
        let b64 = base64::engine::general_purpose::STANDARD.encode([5u8; 32]);
        assert_eq!(decode_key(&format!(" {b64}\n")).unwrap(), [5u8; 32]);
        let short = base64::engine::general_purpose::STANDARD.encode([5u8; 16]);
        assert!(decode_key(&short)
            .unwrap_err()
            .to_string()
            .contains("16 bytes"));
        assert!(decode_key("not base64!").is_err());

        let dir = tempfile::tempdir().unwrap();
        let (raw, text) = (dir.path().join("raw"), dir.path().join("text"));
        std::fs::write(&raw, [6u8; 32]).unwrap();
        std::fs::write(&text, format!("{b64}\n")).unwrap();
        assert_eq!(read_key_file(&raw).unwrap(), [6u8; 32]);
        assert_eq!(read_key_file(&text).unwrap(), [5u8; 32]);

        let config = Config {
            storage_encryption_key: Some(b64),
            storage_encryption_key_file: Some(raw),
            ..Config::default()
        };
        assert!(configured_key(&config).is_err(), "both at once");
        assert_eq!(configured_key(&Config::default()).unwrap(), None);
    }
}
