//! Resumable uploads: an upload in progress, put into storage part by part, then completed into an image.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};

use super::{ImageId, UploadId, UserId, Visibility};

/// Where a resumable upload is in its life. Aborted and expired uploads are removed, not marked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UploadStatus {
    /// Taking parts.
    Open,
    /// `completeUpload` is assembling and checking it: no more parts.
    Completing,
    /// It became the image `Upload::image_id`.
    Completed,
}

impl UploadStatus {
    pub const ALL: &'static [UploadStatus] = &[Self::Open, Self::Completing, Self::Completed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Completing => "completing",
            Self::Completed => "completed",
        }
    }
}

impl fmt::Display for UploadStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for UploadStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .iter()
            .copied()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| format!("unknown upload status: {s}"))
    }
}

/// A resumable upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub id: UploadId,
    pub owner_id: UserId,
    /// The image it becomes; fixed at creation so that the parts go straight to the image's original key.
    pub image_id: ImageId,
    /// The storage's id of the multipart upload.
    pub storage_upload_id: String,
    /// Where the blob appears on completion.
    pub key: String,
    /// The total the client declared, when it did.
    pub size: Option<u64>,
    pub content_type: Option<String>,
    pub visibility: Visibility,
    pub status: UploadStatus,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

/// A part received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadPart {
    pub number: u32,
    pub size: u64,
    /// The hex MD5 of the part's bytes, as S3 names a part (what a client compares with its own).
    pub etag: String,
    /// The hex SHA-256 the client sent and the bytes matched, when it sent one.
    pub checksum: Option<String>,
    /// The storage's receipt for the part (`PartReceipt::tag`), needed to complete.
    pub storage_tag: String,
}
