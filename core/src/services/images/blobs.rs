//! Where an image's bytes live, and which of them a viewer may be served.

use std::ops::Range;

use super::ImageService;
use crate::domain::{Image, ImageFormat, ImageId, ImageStatus, OutputFormat, UserId, VariantName};
use crate::ports::{BlobKey, BlobMeta, ByteStream, StorageError};
use crate::services::ServiceError;

/// The storage layout. Every key of an image starts with `prefix(id)`, so a purge is one prefix delete.
pub mod keys {
    use crate::domain::{ImageFormat, ImageId, OutputFormat, VariantName};

    pub fn prefix(id: ImageId) -> String {
        format!("images/{id}/")
    }

    pub fn original(id: ImageId) -> String {
        format!("images/{id}/original")
    }

    /// Named after the format the public original is stored in, which is the upload's own except
    /// for HEIC and AVIF (rebuilt as JPEG: see `imaging::public_original_format`).
    pub fn public_original(id: ImageId, format: ImageFormat) -> String {
        let stored = crate::imaging::public_original_format(format);
        format!("images/{id}/public-original.{stored}")
    }

    pub fn variant(id: ImageId, name: VariantName, format: OutputFormat) -> String {
        format!("images/{id}/variants/{name}.{}", format.extension())
    }

    /// An on-the-fly transformation, named by a hash of its normalised options and format.
    pub fn transform(id: ImageId, name: &str, format: OutputFormat) -> String {
        format!("images/{id}/transforms/{name}.{}", format.extension())
    }

    /// Whether the bytes under `key` never change once written, so a cache may hold them for good: an
    /// image's original, public original and variants are each written once (a redelivered job writes the
    /// same bytes again), and their keys go when the image does. Anything that would rewrite one of them
    /// with other bytes must give it a new key instead.
    pub fn immutable(key: &str) -> bool {
        let Some((_id, name)) = key
            .strip_prefix("images/")
            .and_then(|rest| rest.split_once('/'))
        else {
            return false;
        };
        name == "original"
            || name.starts_with("public-original.")
            || name.starts_with("variants/")
            || name.starts_with("transforms/")
    }
}

/// A blob chosen for a response, with what the HTTP layer needs to describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServedBlob {
    pub key: String,
    pub mime: &'static str,
    /// A strong validator for `ETag` (unquoted).
    pub etag: String,
    /// Whether shared caches may keep it (the image is public).
    pub public: bool,
    /// The image whose original (or public original) this is: such a blob may be in the archive tier.
    pub original_of: Option<ImageId>,
}

impl ImageService {
    /// The variant `name` in the first of `preferred` formats that exists, for `viewer` or for the holder of
    /// a temporary URL's `grant`.
    pub async fn variant(
        &self,
        viewer: Option<UserId>,
        id: ImageId,
        name: VariantName,
        preferred: &[OutputFormat],
        grant: Option<&super::Grant>,
    ) -> Result<ServedBlob, ServiceError> {
        let (image, access) = self.get_with_grant(viewer, id, grant).await?;
        if image.status != ImageStatus::Ready {
            return Err(ServiceError::NotReady);
        }
        let variant = image
            .variants
            .iter()
            .find(|v| v.name == name)
            .ok_or(ServiceError::NotFound)?;
        let file = preferred
            .iter()
            .find_map(|f| variant.file(*f))
            .ok_or(ServiceError::NotFound)?;
        Ok(ServedBlob {
            key: file.key.clone(),
            mime: file.format.mime(),
            etag: file.sha256.clone(),
            public: access.public,
            original_of: None,
        })
    }

    /// The original: as uploaded for its owner; for anyone else only when public (and allowed by config),
    /// and then the copy with metadata (GPS above all) removed.
    pub async fn original(
        &self,
        viewer: Option<UserId>,
        id: ImageId,
    ) -> Result<ServedBlob, ServiceError> {
        let (image, access) = self.get_with_access(viewer, id).await?;
        let public = access.public;
        if viewer == Some(image.owner_id) {
            self.prepare_original(&image).await?;
            return Ok(ServedBlob {
                key: image.original_key,
                mime: image.format.mime(),
                etag: image.sha256,
                public: false,
                original_of: Some(image.id),
            });
        }
        // Only the owner gets the original of anything not open to everyone.
        if !self.settings.public_originals || !public {
            return Err(ServiceError::NotFound);
        }
        if image.public_original_key.is_none() {
            return Err(ServiceError::NotReady);
        }
        self.prepare_original(&image).await?;
        let key = image.public_original_key.ok_or(ServiceError::NotReady)?;
        // The stripped copy's own hash: the upload's would let anyone confirm a guess of the unstripped
        // original. A copy made before its hash was kept is written once under its key, so the image's id,
        // marked, is a strong validator for it too.
        let etag = image
            .public_original_sha256
            .unwrap_or_else(|| format!("{}-public", image.id));
        Ok(ServedBlob {
            key,
            mime: public_original_mime(image.format),
            etag,
            public,
            original_of: Some(image.id),
        })
    }

    /// Makes an image's originals readable from the hot store before they are read (downloaded,
    /// transformed, edited): brought back from the archive tier when they are there, the read noted
    /// otherwise (see `services::archive`). `OriginalRestoring` while a slow tier restores them.
    pub async fn prepare_original(&self, image: &Image) -> Result<(), ServiceError> {
        match &self.archive {
            Some(archive) => archive.before_read(image).await,
            None => Ok(()),
        }
    }

    /// Runs `read` on `blob`, and once more after bringing an original back from the archive tier when
    /// the hot store lacks it (the image looked hot to this reader: a cached row older than the pass's
    /// mark).
    async fn reading<T, F, Fut>(&self, blob: &ServedBlob, read: F) -> Result<T, ServiceError>
    where
        F: Fn(BlobKey) -> Fut,
        Fut: std::future::Future<Output = Result<T, StorageError>>,
    {
        let key = BlobKey::parse(&blob.key)?;
        match read(key.clone()).await {
            Err(StorageError::NotFound(_)) => {}
            other => return Ok(other?),
        }
        if let (Some(archive), Some(id)) = (&self.archive, blob.original_of) {
            if archive.recover(id).await? {
                return Ok(read(key).await?);
            }
        }
        Err(ServiceError::NotFound)
    }

    /// Opens a blob chosen by `variant` or `original` for reading.
    pub async fn open(
        &self,
        blob: &ServedBlob,
        range: Option<Range<u64>>,
    ) -> Result<(BlobMeta, ByteStream), ServiceError> {
        self.reading(blob, |key| {
            let range = range.clone();
            async move { self.storage.get_stream(&key, range).await }
        })
        .await
    }

    /// Size of a blob, for `Content-Range` and `416` answers.
    pub async fn size(&self, blob: &ServedBlob) -> Result<u64, ServiceError> {
        let meta = self
            .reading(blob, |key| async move { self.storage.head(&key).await })
            .await?;
        Ok(meta.size)
    }
}

/// Stripping keeps the container format, so the mime type is the upload's, except where the public
/// original is rebuilt in another format (HEIC and AVIF as JPEG); the key says the same.
fn public_original_mime(format: ImageFormat) -> &'static str {
    crate::imaging::public_original_format(format).mime()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_written_once_keys_are_immutable() {
        let id = ImageId::new();
        assert!(keys::immutable(&keys::original(id)));
        assert!(keys::immutable(&keys::public_original(
            id,
            ImageFormat::Png
        )));
        assert!(keys::immutable(&keys::variant(
            id,
            VariantName::Thumb,
            OutputFormat::Webp
        )));
        assert!(keys::immutable(&keys::transform(
            id,
            "0123abcd",
            OutputFormat::Avif
        )));
        assert!(!keys::immutable(&keys::prefix(id)));
        assert!(!keys::immutable("images/original"));
        assert!(!keys::immutable(&format!("uploads/{id}/original")));
        assert!(!keys::immutable(&format!("images/{id}/originals-draft")));
    }

    #[test]
    fn the_public_original_key_and_mime_agree_on_its_format() {
        let id = ImageId::new();
        for format in ImageFormat::ALL.iter().copied() {
            let key = keys::public_original(id, format);
            let stored = crate::imaging::public_original_format(format);
            assert!(key.ends_with(&format!(".{stored}")), "{key}");
            assert_eq!(public_original_mime(format), stored.mime(), "{format}");
        }
        assert!(keys::public_original(id, ImageFormat::Heic).ends_with(".jpeg"));
        assert_eq!(public_original_mime(ImageFormat::Avif), "image/jpeg");
        assert_eq!(public_original_mime(ImageFormat::Png), "image/png");
    }
}
