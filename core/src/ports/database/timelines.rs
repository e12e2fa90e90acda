//! Precomputed home timelines (fan-out on write).

use std::fmt::Debug;

use async_trait::async_trait;

use super::DbError;
use crate::domain::{Page, PageRequest, PostId, TimelineEntry, UserId};

/// One page of a stored timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredTimelinePage {
    /// Newest first by (created_at, post_id); the page's cursor is (created_at, post_id).
    pub page: Page<TimelineEntry>,
    /// False when older entries were trimmed away (or never stored): past the last entry, the timeline
    /// must be read from the follow graph instead.
    pub complete: bool,
}

/// Each user's precomputed home timeline: entries pointing at posts, newest first.
///
/// # Contract
/// - A timeline exists once `build_timeline` made it, until `drop_timeline`. Writes to one that does not
///   exist are ignored, so the fan-out does no work for readers who never come.
/// - Every write is idempotent: an entry is in a timeline at most once, whatever is redelivered.
/// - `add_to_timelines` adds `entry` to the existing timelines among `owners` and answers how many rows
///   it wrote; `add_entries` adds entries to one existing timeline (a follow's back-fill).
/// - `remove_post` removes a post from every timeline; `remove_author` removes an author's posts from one.
/// - `timeline` answers `None` when the timeline does not exist, else the page after the cursor.
/// - `build_timeline` replaces the timeline with `entries` (creating it); `complete` says the entries are
///   everything the owner's timeline holds, not only its newest part.
/// - `trim_timeline` keeps the newest `cap` entries; when it removed any, the timeline is no longer
///   complete.
#[async_trait]
pub trait TimelineRepository: Send + Sync + Debug {
    async fn add_to_timelines(
        &self,
        owners: &[UserId],
        entry: &TimelineEntry,
    ) -> Result<u64, DbError>;
    async fn add_entries(&self, owner: UserId, entries: &[TimelineEntry]) -> Result<u64, DbError>;
    async fn remove_post(&self, post: PostId) -> Result<u64, DbError>;
    async fn remove_author(&self, owner: UserId, author: UserId) -> Result<u64, DbError>;
    async fn timeline(
        &self,
        owner: UserId,
        page: PageRequest,
    ) -> Result<Option<StoredTimelinePage>, DbError>;
    async fn build_timeline(
        &self,
        owner: UserId,
        entries: &[TimelineEntry],
        complete: bool,
    ) -> Result<(), DbError>;
    async fn trim_timeline(&self, owner: UserId, cap: u32) -> Result<u64, DbError>;
    async fn drop_timeline(&self, owner: UserId) -> Result<(), DbError>;
}
