//! One line of a batch: what analysts get of a ready image. No GPS (Darkroom never keeps it), no names
//! (neither the owner's nor the file's), no alt text or owner tags: ids, sizes, formats, automatic tags,
//! the camera and times.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;

use crate::domain::{Image, ImageId, ImageReady, ImageStatus, UserId};

/// The schema of a line (documented in the README; add fields, never rename them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Record {
    pub image_id: ImageId,
    pub owner_id: UserId,
    /// The uploaded format (`jpeg`, `png`, `heic`, …).
    pub format: &'static str,
    /// The upload's size.
    pub bytes: u64,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub auto_tags: Vec<String>,
    pub camera_make: Option<String>,
    pub camera_model: Option<String>,
    /// The camera's local time, without a zone (as EXIF has it).
    pub taken_at: Option<NaiveDateTime>,
    /// For an edit: the image it was made from.
    pub source_image_id: Option<ImageId>,
    pub created_at: DateTime<Utc>,
    pub ready_at: DateTime<Utc>,
}

impl Record {
    /// The line for `image` as it is now; `None` when there is nothing to report: it was deleted, or is
    /// not ready (a fact that outran a change of the image).
    pub fn of(image: &Image, fact: &ImageReady) -> Option<Self> {
        if image.is_deleted() || image.status != ImageStatus::Ready {
            return None;
        }
        Some(Self {
            image_id: image.id,
            owner_id: image.owner_id,
            format: image.format.as_str(),
            bytes: image.bytes,
            width: image.width,
            height: image.height,
            auto_tags: image.auto_tags.clone(),
            camera_make: image.capture.camera_make.clone(),
            camera_model: image.capture.camera_model.clone(),
            taken_at: image.capture.taken_at,
            source_image_id: image.source_image_id,
            created_at: image.created_at,
            ready_at: fact.ready_at,
        })
    }
}
