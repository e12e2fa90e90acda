//! The archive tier of originals (`archive_after_days`, `archive_storage_url`, `archive_storage_class`):
//! a second store, or on S3 storage the objects' own storage class.

use anyhow::{bail, Context};
use darkroom_core::services::archive::ArchiveTier;

use crate::config::Config;

/// The S3 classes an original may be archived in (STANDARD is where it comes from).
pub const ARCHIVE_CLASSES: [&str; 6] = [
    "STANDARD_IA",
    "ONEZONE_IA",
    "INTELLIGENT_TIERING",
    "GLACIER_IR",
    "GLACIER",
    "DEEP_ARCHIVE",
];

/// The tier the config asks for, connected; `None` when the tier is off, or when the storage is not S3 and
/// no second store is configured (there is nothing cheaper to move to).
pub async fn connect(config: &Config, migrate: bool) -> anyhow::Result<Option<ArchiveTier>> {
    if config.archive_after().is_none() {
        return Ok(None);
    }
    let storage_url = config.storage_url();
    if let Some(url) = &config.archive_storage_url {
        if same_store(url, &storage_url) {
            bail!("archive_storage_url must name another store than storage_url: archiving deletes the hot copy");
        }
        let store = super::storage::connect(url, migrate)
            .await
            .with_context(|| format!("archive storage {}", super::redact(url)))?;
        return Ok(Some(ArchiveTier::Store(store)));
    }
    let class = config.archive_storage_class.trim().to_ascii_uppercase();
    if !ARCHIVE_CLASSES.contains(&class.as_str()) {
        bail!(
            "archive_storage_class: {:?} is not one of {}",
            config.archive_storage_class,
            ARCHIVE_CLASSES.join(", ")
        );
    }
    if super::scheme(&storage_url) != "s3" {
        tracing::info!("archive tier off: storage is not S3 and archive_storage_url is not set");
        return Ok(None);
    }
    classes(&storage_url, class).await.map(Some)
}

#[cfg(feature = "s3")]
async fn classes(storage_url: &str, class: String) -> anyhow::Result<ArchiveTier> {
    let store = darkroom_adapters::storage::S3StorageClasses::from_url(storage_url).await?;
    Ok(ArchiveTier::Class {
        store: std::sync::Arc::new(store),
        class,
    })
}

#[cfg(not(feature = "s3"))]
async fn classes(_storage_url: &str, _class: String) -> anyhow::Result<ArchiveTier> {
    Err(super::not_built("s3 storage classes", "s3"))
}

/// Whether two storage URLs name the same place (ignoring a trailing slash).
fn same_store(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[tokio::test]
    async fn the_hot_store_is_refused_as_its_own_archive() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config {
            data_dir: dir.path().to_path_buf(),
            ..Config::default()
        };
        let same = Config {
            archive_storage_url: Some(format!("{}/", config.storage_url())),
            ..config.clone()
        };
        assert!(connect(&same, false).await.is_err());
        // No second store and no S3: no tier, and no error.
        assert!(connect(&config, false).await.unwrap().is_none());
        let bad_class = Config {
            archive_storage_class: "STANDARD".into(),
            ..config
        };
        assert!(connect(&bad_class, false).await.is_err());
    }
}
