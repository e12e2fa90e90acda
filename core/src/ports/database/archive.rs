//! Where an image's originals live: the hot store, or the archive tier (`services::archive`), and when they
//! were last read. A repository of its own beside `ImageRepository`, since only the archive pass and the
//! read path of originals use it.

use std::fmt::Debug;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::DbError;
use crate::domain::ImageId;

/// The tier of images' originals, and their last reads.
///
/// An image's originals were last read at `original_read_at`, or, never read since the upload, at its
/// `created_at`: that is its "last read" below.
///
/// # Contract
/// - `note_original_read(id, at)` sets the image's `original_read_at` to `at` when its last read is before
///   `at` (it never moves back); true when it changed something. No image: false.
/// - `originals_to_archive(read_before, limit)` lists up to `limit` images whose originals may move to the
///   archive tier: not `processing`, not deleted, not archived, last read before `read_before`; longest
///   unread first. It may answer fewer than `limit` while more are due (an adapter that filters as it
///   reads may stop early); an empty answer means none are due.
/// - `mark_original_archived(id, read_before, at)` sets `original_archived_at` to `at` when the image still
///   qualifies as `originals_to_archive` would list it for `read_before` (so a read noted since it was
///   listed keeps it hot); true when it did. Anything else: false, nothing changed.
/// - `mark_original_hot(id, at)` clears `original_archived_at` of an archived image and sets its
///   `original_read_at` to `at` (bringing it back is a read); true when it did. A hot image, or none:
///   false, nothing changed. Deleted images are marked like live ones (a restore finds them as left).
/// - Neither mark changes anything an API client sees of the image (`updated_at` included).
#[async_trait]
pub trait OriginalTierRepository: Send + Sync + Debug {
    async fn note_original_read(&self, id: ImageId, at: DateTime<Utc>) -> Result<bool, DbError>;

    async fn originals_to_archive(
        &self,
        read_before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<ImageId>, DbError>;

    async fn mark_original_archived(
        &self,
        id: ImageId,
        read_before: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<bool, DbError>;

    async fn mark_original_hot(&self, id: ImageId, at: DateTime<Utc>) -> Result<bool, DbError>;
}
