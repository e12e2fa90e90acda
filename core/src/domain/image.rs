//! Images: what was uploaded, how far processing got, and the variants it produced.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Capture, Derivation, EditOperation, ImageId, UserId};

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "lowercase")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s { $($text => Ok($name::$variant),)+ other => Err(format!("unknown {}: {other}", stringify!($name))) }
            }
        }
    };
}

string_enum!(
    /// Who may see an image (and everything derived from it).
    Visibility { Public => "public", Followers => "followers", Private => "private" }
);

string_enum!(
    /// Where an image is in its life.
    ImageStatus { Processing => "processing", Ready => "ready", Failed => "failed" }
);

string_enum!(
    /// Formats recognised by their magic bytes. Which of them decode depends on the build (`ImagePipeline::decodable`).
    ImageFormat { Jpeg => "jpeg", Png => "png", Gif => "gif", Webp => "webp", Tiff => "tiff", Avif => "avif", Heic => "heic" }
);

string_enum!(
    /// Formats variants are encoded in.
    OutputFormat { Jpeg => "jpeg", Webp => "webp", Avif => "avif", Png => "png" }
);

string_enum!(
    /// The variants every upload gets.
    VariantName { Thumb => "thumb", Small => "small", Medium => "medium", Large => "large" }
);

impl ImageFormat {
    pub fn mime(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Gif => "image/gif",
            Self::Webp => "image/webp",
            Self::Tiff => "image/tiff",
            Self::Avif => "image/avif",
            Self::Heic => "image/heic",
        }
    }
}

impl OutputFormat {
    pub fn mime(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Webp => "image/webp",
            Self::Avif => "image/avif",
            Self::Png => "image/png",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            other => other.as_str(),
        }
    }
}

/// Why processing gave up, as the API shows it: a stable code and a sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    pub code: String,
    pub message: String,
}

/// One encoding of one variant, stored under `key`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VariantFile {
    pub format: OutputFormat,
    pub key: String,
    pub bytes: u64,
    /// Strong validator: the hex SHA-256 of the bytes.
    pub sha256: String,
}

/// A named variant and its encodings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Variant {
    pub name: VariantName,
    pub width: u32,
    pub height: u32,
    pub files: Vec<VariantFile>,
}

impl Variant {
    pub fn file(&self, format: OutputFormat) -> Option<&VariantFile> {
        self.files.iter().find(|f| f.format == format)
    }
}

/// An encoding made after the image was ready, for the variant `name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LateVariantFile {
    pub name: VariantName,
    pub file: VariantFile,
}

/// Adds each file to the variant of its name, unless that variant already has the file's format (so adding
/// twice is adding once); a file for a variant that is not there is dropped. Returns whether anything was
/// added. Every database adapter merges with this, so they all agree on what `add_variant_files` means.
pub fn merge_variant_files(variants: &mut [Variant], files: &[LateVariantFile]) -> bool {
    let mut added = false;
    for late in files {
        if let Some(variant) = variants.iter_mut().find(|v| v.name == late.name) {
            if variant.file(late.file.format).is_none() {
                variant.files.push(late.file.clone());
                added = true;
            }
        }
    }
    added
}

/// An image as stored. `width`/`height` are upright (after EXIF orientation) once processing is done.
/// Serialisable so the metadata cache can hold it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Image {
    pub id: ImageId,
    pub owner_id: UserId,
    pub owner_username: String,
    pub status: ImageStatus,
    pub failure: Option<Failure>,
    pub format: ImageFormat,
    pub bytes: u64,
    pub sha256: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub visibility: Visibility,
    pub alt_text: Option<String>,
    pub tags: Vec<String>,
    /// Tags processing derived (see `imaging::auto_tags`); empty until the image is ready. Absent in
    /// cache entries written before they existed, hence the default.
    #[serde(default)]
    pub auto_tags: Vec<String>,
    /// The camera and shooting time from the original's EXIF, kept though the served bytes lose them:
    /// the owner's alone to see.
    #[serde(default)]
    pub capture: Capture,
    pub blurhash: Option<String>,
    pub dominant_color: Option<String>,
    pub variants: Vec<Variant>,
    /// The key of the bytes as uploaded.
    pub original_key: String,
    /// The key of the original with its metadata (GPS above all) removed, once processing made it.
    pub public_original_key: Option<String>,
    /// The hex SHA-256 of that copy: what everyone but the owner is told (`sha256`, `ETag`), since the
    /// upload's own hash would let anyone confirm a guess of the unstripped original, GPS and all. Absent
    /// for images processed before it was kept (and in cache entries written before), hence the default.
    #[serde(default)]
    pub public_original_sha256: Option<String>,
    /// For an edit's result: the image it was made from (which may since have been deleted).
    #[serde(default)]
    pub source_image_id: Option<ImageId>,
    /// For an edit's result: the operations that made it, in order.
    #[serde(default)]
    pub operations: Option<Vec<EditOperation>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When its owner deleted it: it is hidden from everyone until it is restored or purged (see
    /// `services::retention`). Absent in cache entries written before retention existed, hence the default.
    #[serde(default)]
    pub deleted_at: Option<DateTime<Utc>>,
    /// When its original was last read, as noted at most once a day (see `services::archive`); `None`:
    /// not since its upload, whose time counts instead. Absent in older cache entries, hence the default.
    #[serde(default)]
    pub original_read_at: Option<DateTime<Utc>>,
    /// When its originals (the upload and the public original) moved to the archive tier; `None` while
    /// they are in the hot store. Absent in older cache entries, hence the default.
    #[serde(default)]
    pub original_archived_at: Option<DateTime<Utc>>,
}

impl Image {
    /// Whether its owner deleted it (and it waits, hidden, for a restore or the purge).
    pub fn is_deleted(&self) -> bool {
        self.deleted_at.is_some()
    }

    /// When its original was last read, or uploaded if it never was since: what the archive tier's
    /// window counts from.
    pub fn original_last_read(&self) -> DateTime<Utc> {
        self.original_read_at.unwrap_or(self.created_at)
    }

    /// Whether its originals are in the archive tier.
    pub fn original_archived(&self) -> bool {
        self.original_archived_at.is_some()
    }
}

/// What `uploadImage` stores before processing starts.
#[derive(Debug, Clone)]
pub struct NewImage {
    pub id: ImageId,
    pub owner_id: UserId,
    pub format: ImageFormat,
    pub bytes: u64,
    pub sha256: String,
    pub visibility: Visibility,
    pub original_key: String,
    pub idempotency_key: Option<String>,
    /// Set for an edit's result: what it is made from. Its original is rendered by the edit job.
    pub derivation: Option<Derivation>,
    pub created_at: DateTime<Utc>,
}

/// What processing found and made; `complete_processing` stores it and marks the image `ready`.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessedImage {
    pub width: u32,
    pub height: u32,
    pub blurhash: String,
    pub dominant_color: String,
    pub variants: Vec<Variant>,
    pub public_original_key: String,
    /// See `Image::public_original_sha256`.
    pub public_original_sha256: String,
    /// See `Image::auto_tags`.
    pub auto_tags: Vec<String>,
    /// See `Image::capture`.
    pub capture: Capture,
}

/// The owner's changes to an image; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImagePatch {
    pub visibility: Option<Visibility>,
    /// `Some(None)` clears the alt text.
    pub alt_text: Option<Option<String>>,
    pub tags: Option<Vec<String>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_round_trip_through_text() {
        for v in Visibility::ALL {
            assert_eq!(v.as_str().parse::<Visibility>().unwrap(), *v);
        }
        for f in OutputFormat::ALL {
            assert_eq!(f.as_str().parse::<OutputFormat>().unwrap(), *f);
        }
        assert!("secret".parse::<Visibility>().is_err());
        assert_eq!(OutputFormat::Jpeg.extension(), "jpg");
    }

    #[test]
    fn merging_late_files_adds_each_format_once_and_only_to_existing_variants() {
        let file = |format: OutputFormat, bytes| VariantFile {
            format,
            key: format!("thumb.{}", format.extension()),
            bytes,
            sha256: "00".repeat(32),
        };
        let mut variants = vec![Variant {
            name: VariantName::Thumb,
            width: 10,
            height: 10,
            files: vec![file(OutputFormat::Jpeg, 1)],
        }];
        let late = |name, format, bytes| LateVariantFile {
            name,
            file: file(format, bytes),
        };
        let files = [
            late(VariantName::Thumb, OutputFormat::Avif, 2),
            late(VariantName::Large, OutputFormat::Avif, 3),
            late(VariantName::Thumb, OutputFormat::Jpeg, 4),
        ];
        assert!(merge_variant_files(&mut variants, &files));
        assert_eq!(
            variants[0].files,
            [file(OutputFormat::Jpeg, 1), file(OutputFormat::Avif, 2)]
        );
        assert_eq!(variants.len(), 1, "no variant is made up");
        assert!(!merge_variant_files(&mut variants, &files), "idempotent");
        assert_eq!(variants[0].files.len(), 2);
    }
}
