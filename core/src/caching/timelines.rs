//! `CachedTimelineRepository`: the head of each stored home timeline through the cache.
//!
//! Nearly every timeline read is of the first page, and a user refreshes it far more often than anyone posts
//! to it. The wrapper keeps the newest `HEAD` entries of a timeline (ids and times only: the posts themselves
//! come through `CachedPostRepository`, so likes, comments and deletions show at once) and cuts first pages of
//! any size from them. Every write through it drops the heads it touches, whether the write succeeded or not
//! (one that timed out may still have committed), so both the API role and the worker must write through it.
//!
//! A post's deletion (`remove_post`) does not say whose timelines held it, so it drops no head: the deleted
//! post is left out of the page when its posts are read, exactly as a post deleted between reading the page and
//! reading its posts always was.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::{Buf, BufMut, Bytes, BytesMut};
use chrono::DateTime;
use futures::stream::{self, StreamExt};

use super::SourceRead;
use crate::domain::{Cursor, Page, PageRequest, PostId, TimelineEntry, UserId};
use crate::ports::{Cache, DbError, StoredTimelinePage, TimelineRepository};

/// Entries kept per cached head: the largest page a client may ask for, so every first page is cut from it.
const HEAD: u32 = PageRequest::MAX_LIMIT;
/// Heads dropped at once after a fan-out batch; each drop is a round trip to a shared cache.
const DROPS_IN_FLIGHT: usize = 64;

/// A `TimelineRepository` whose first pages are answered from a `Cache` for `ttl`.
#[derive(Clone)]
pub struct CachedTimelineRepository {
    inner: Arc<dyn TimelineRepository>,
    cache: Arc<dyn Cache>,
    ttl: Duration,
}

impl std::fmt::Debug for CachedTimelineRepository {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedTimelineRepository")
            .field("cache", &self.cache.backend())
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl CachedTimelineRepository {
    pub fn new(inner: Arc<dyn TimelineRepository>, cache: Arc<dyn Cache>, ttl: Duration) -> Self {
        Self { inner, cache, ttl }
    }

    async fn cached_head(&self, owner: UserId) -> Option<Head> {
        match self.cache.get(&cache_key(owner)).await {
            Ok(Some(bytes)) => Head::decode(bytes),
            Ok(None) => None,
            Err(err) => {
                tracing::debug!(user = %owner, error = %err, "timeline cache read failed; reading the database");
                None
            }
        }
    }

    async fn forget(&self, owner: UserId) {
        if let Err(err) = self.cache.delete(&cache_key(owner)).await {
            tracing::warn!(user = %owner, error = %err, "could not drop a cached timeline");
        }
    }

    async fn forget_all(&self, owners: &[UserId]) {
        stream::iter(owners)
            .for_each_concurrent(DROPS_IN_FLIGHT, |owner| self.forget(*owner))
            .await;
    }
}

fn cache_key(owner: UserId) -> String {
    format!("timeline:head:{owner}")
}

#[async_trait]
impl TimelineRepository for CachedTimelineRepository {
    async fn add_to_timelines(
        &self,
        owners: &[UserId],
        entry: &TimelineEntry,
    ) -> Result<u64, DbError> {
        let written = self.inner.add_to_timelines(owners, entry).await;
        self.forget_all(owners).await;
        written
    }

    async fn add_entries(&self, owner: UserId, entries: &[TimelineEntry]) -> Result<u64, DbError> {
        let written = self.inner.add_entries(owner, entries).await;
        self.forget(owner).await;
        written
    }

    async fn remove_post(&self, post: PostId) -> Result<u64, DbError> {
        self.inner.remove_post(post).await
    }

    async fn remove_author(&self, owner: UserId, author: UserId) -> Result<u64, DbError> {
        let removed = self.inner.remove_author(owner, author).await;
        self.forget(owner).await;
        removed
    }

    async fn timeline(
        &self,
        owner: UserId,
        page: PageRequest,
    ) -> Result<Option<StoredTimelinePage>, DbError> {
        if page.after.is_some() || page.limit > HEAD {
            return self.inner.timeline(owner, page).await;
        }
        if let Some(head) = self.cached_head(owner).await {
            return Ok(Some(head.first_page(page.limit)));
        }
        let read = SourceRead::start();
        let Some(stored) = self
            .inner
            .timeline(
                owner,
                PageRequest {
                    limit: HEAD,
                    after: None,
                },
            )
            .await?
        else {
            return Ok(None);
        };
        let head = Head::from(stored);
        read.fill(&*self.cache, &cache_key(owner), head.encode(), self.ttl)
            .await;
        Ok(Some(head.first_page(page.limit)))
    }

    async fn build_timeline(
        &self,
        owner: UserId,
        entries: &[TimelineEntry],
        complete: bool,
    ) -> Result<(), DbError> {
        let built = self.inner.build_timeline(owner, entries, complete).await;
        self.forget(owner).await;
        built
    }

    async fn trim_timeline(&self, owner: UserId, cap: u32) -> Result<u64, DbError> {
        let trimmed = self.inner.trim_timeline(owner, cap).await;
        if !matches!(trimmed, Ok(0)) {
            self.forget(owner).await;
        }
        trimmed
    }

    async fn drop_timeline(&self, owner: UserId) -> Result<(), DbError> {
        let dropped = self.inner.drop_timeline(owner).await;
        self.forget(owner).await;
        dropped
    }
}

/// The newest entries of one timeline, as the first page of `HEAD` entries answered them.
#[derive(Debug, Clone, PartialEq)]
struct Head {
    entries: Vec<TimelineEntry>,
    /// Entries older than these exist in the store.
    more: bool,
    complete: bool,
}

/// Bytes per entry in the cache: post id, author id, seconds and nanoseconds of its time.
const ENTRY_BYTES: usize = 16 + 16 + 8 + 4;

impl From<StoredTimelinePage> for Head {
    fn from(stored: StoredTimelinePage) -> Self {
        Self {
            more: stored.page.next.is_some(),
            entries: stored.page.items,
            complete: stored.complete,
        }
    }
}

impl Head {
    /// The first `limit` entries, with the cursor the store would have given them.
    fn first_page(&self, limit: u32) -> StoredTimelinePage {
        let limit = limit as usize;
        let items: Vec<TimelineEntry> = self.entries.iter().take(limit).copied().collect();
        let next = if self.entries.len() > limit || self.more {
            items.last().map(|entry| Cursor {
                created_at: entry.created_at,
                id: entry.post_id.0,
            })
        } else {
            None
        };
        StoredTimelinePage {
            page: Page { items, next },
            complete: self.complete,
        }
    }

    /// A compact binary form: a head is read on every refresh, so it is not worth a JSON parse.
    fn encode(&self) -> Bytes {
        let mut out = BytesMut::with_capacity(2 + self.entries.len() * ENTRY_BYTES);
        out.put_u8(u8::from(self.more));
        out.put_u8(u8::from(self.complete));
        for entry in &self.entries {
            out.put_slice(entry.post_id.0.as_bytes());
            out.put_slice(entry.author_id.0.as_bytes());
            out.put_i64(entry.created_at.timestamp());
            out.put_u32(entry.created_at.timestamp_subsec_nanos());
        }
        out.freeze()
    }

    /// `None` for anything that is not a head's encoding (a miss, then).
    fn decode(mut bytes: Bytes) -> Option<Self> {
        if bytes.len() < 2 || (bytes.len() - 2) % ENTRY_BYTES != 0 {
            return None;
        }
        let more = bytes.get_u8() == 1;
        let complete = bytes.get_u8() == 1;
        let mut entries = Vec::with_capacity(bytes.len() / ENTRY_BYTES);
        while bytes.has_remaining() {
            let post_id = uuid::Uuid::from_slice(&bytes.split_to(16)).ok()?;
            let author_id = uuid::Uuid::from_slice(&bytes.split_to(16)).ok()?;
            let created_at = DateTime::from_timestamp(bytes.get_i64(), bytes.get_u32())?;
            entries.push(TimelineEntry {
                post_id: PostId(post_id),
                author_id: UserId(author_id),
                created_at,
            });
        }
        Some(Self {
            entries,
            more,
            complete,
        })
    }
}

#[cfg(test)]
#[path = "timelines_tests.rs"]
mod tests;
