//! The home timeline: the posts of the people a user follows, newest first.
//!
//! Hybrid fan-out. A post by an author at or below the celebrity threshold is written into each follower's
//! stored timeline by the `post.created` handler (`fan_out`), in batches; a celebrity's post is not
//! (`Post::fanned_out` is false) and is merged in when a follower reads (`read`). Every post is in exactly
//! one of the two paths, decided when it is created, so the merge never shows one twice and an author
//! crossing the threshold leaves no gap.
//!
//! A stored timeline exists only for users who read theirs (built on first read from the follow graph),
//! keeps its newest `timeline_cap` entries, and past them, or when it was never built, the follow graph
//! answers instead: no reader sees an empty or truncated feed because of the store.

use std::collections::HashSet;
use std::sync::Arc;

use super::SocialSettings;
use crate::domain::{Cursor, Page, PageRequest, Post, PostId, TimelineEntry, UserId, Visibility};
use crate::ports::{DbError, FollowRepository, PostRepository, TimelineRepository};

/// Followers written per fan-out statement.
const FAN_OUT_BATCH: u32 = 1_000;
/// How many of an author's recent posts a new follower's timeline receives.
const BACK_FILL: u32 = 100;
/// One first-page read in this many also trims the stored timeline to its cap: the cost of keeping it
/// bounded, spread thin over reads rather than added to every fan-out.
const TRIM_ONE_READ_IN: u64 = 16;

#[derive(Debug, Clone)]
pub struct Timelines {
    timelines: Arc<dyn TimelineRepository>,
    posts: Arc<dyn PostRepository>,
    follows: Arc<dyn FollowRepository>,
    settings: SocialSettings,
}

impl Timelines {
    pub fn new(
        timelines: Arc<dyn TimelineRepository>,
        posts: Arc<dyn PostRepository>,
        follows: Arc<dyn FollowRepository>,
        settings: SocialSettings,
    ) -> Self {
        Self {
            timelines,
            posts,
            follows,
            settings,
        }
    }

    /// A page of `reader`'s home timeline: their stored timeline merged with the posts of followed authors
    /// who are not fanned out, newest first by (created_at, id). Posts only the author may see never appear.
    pub async fn read(
        &self,
        reader: UserId,
        page: PageRequest,
    ) -> Result<Page<Post>, crate::services::ServiceError> {
        let stored = match self.timelines.timeline(reader, page).await? {
            Some(stored) => stored,
            None => {
                self.build(reader).await?;
                self.timelines
                    .timeline(reader, page)
                    .await?
                    .ok_or_else(|| {
                        crate::services::ServiceError::Internal(
                            "a timeline just built is missing".into(),
                        )
                    })?
            }
        };
        if page.after.is_none() && rand_one_in(TRIM_ONE_READ_IN) {
            self.timelines
                .trim_timeline(reader, self.settings.timeline_cap)
                .await?;
        }
        let mut ids: Vec<(Cursor, PostId)> = stored
            .page
            .items
            .iter()
            .map(|entry| (cursor_of(entry.created_at, entry.post_id.0), entry.post_id))
            .collect();
        let mut more = stored.page.next.is_some();
        let mut merged: Vec<Post> = Vec::new();
        // Past what the store holds, the follow graph answers for the fanned-out posts.
        if !more && !stored.complete {
            let pulled = self
                .posts
                .posts_followed_by(reader, Some(true), page)
                .await?;
            more |= pulled.next.is_some();
            merged.extend(pulled.items);
        }
        let celebrities = self
            .posts
            .posts_followed_by(reader, Some(false), page)
            .await?;
        more |= celebrities.next.is_some();
        merged.extend(celebrities.items);
        ids.extend(
            merged
                .iter()
                .map(|post| (cursor_of(post.created_at, post.id.0), post.id)),
        );
        // Newest first; each post once; one page.
        ids.sort_by_key(|(cursor, _)| std::cmp::Reverse((cursor.created_at, cursor.id)));
        let mut seen = HashSet::new();
        ids.retain(|(_, id)| seen.insert(*id));
        let limit = page.limit as usize;
        more |= ids.len() > limit;
        ids.truncate(limit);
        let next = if more {
            ids.last().map(|(cursor, _)| *cursor)
        } else {
            None
        };
        let wanted: Vec<PostId> = ids.iter().map(|(_, id)| *id).collect();
        let stored_ids: Vec<PostId> = wanted
            .iter()
            .copied()
            .filter(|id| !merged.iter().any(|post| post.id == *id))
            .collect();
        let mut posts = merged;
        if !stored_ids.is_empty() {
            posts.extend(self.posts.posts_by_ids(&stored_ids).await?);
        }
        let items = wanted
            .iter()
            .filter_map(|id| posts.iter().find(|post| post.id == *id).cloned())
            .filter(|post| post.visibility != Visibility::Private && post.author_id != reader)
            .collect();
        Ok(Page { items, next })
    }

    /// Writes a new post into the stored timeline of each of its author's followers, a batch at a time.
    /// Idempotent: a redelivery writes nothing twice. Answers how many entries it wrote.
    pub async fn fan_out(&self, post_id: PostId) -> Result<u64, DbError> {
        let Some(post) = self.posts.post(post_id).await? else {
            // Deleted before its fan-out: nothing to do (and `post.deleted` cleans up after a late one).
            return Ok(0);
        };
        if !post.fanned_out || post.visibility == Visibility::Private {
            return Ok(0);
        }
        let entry = TimelineEntry::from(&post);
        let mut written = 0;
        let mut after = None;
        loop {
            let batch = self
                .follows
                .follower_ids(post.author_id, after, FAN_OUT_BATCH)
                .await?;
            if batch.is_empty() {
                break;
            }
            written += self.timelines.add_to_timelines(&batch, &entry).await?;
            if batch.len() < FAN_OUT_BATCH as usize {
                break;
            }
            after = batch.last().copied();
        }
        // A post deleted while it was being fanned out must not linger where this run just put it.
        if self.posts.post(post_id).await?.is_none() {
            self.timelines.remove_post(post_id).await?;
        }
        Ok(written)
    }

    /// Takes a deleted post out of every stored timeline.
    pub async fn remove(&self, post_id: PostId) -> Result<u64, DbError> {
        self.timelines.remove_post(post_id).await
    }

    /// Brings `follower`'s stored timeline in line with their follow of `followee` as it is now: a follow
    /// back-fills the author's recent (fanned-out) posts, no follow takes them out.
    pub async fn follow_changed(&self, follower: UserId, followee: UserId) -> Result<(), DbError> {
        use crate::domain::FollowState;
        match self.follows.follow_state(follower, followee).await? {
            Some(FollowState::Active) => {
                let recent = self
                    .posts
                    .posts_by_author(
                        followee,
                        PageRequest {
                            limit: BACK_FILL,
                            after: None,
                        },
                    )
                    .await?;
                let entries: Vec<TimelineEntry> = recent
                    .items
                    .iter()
                    .filter(|post| post.fanned_out && post.visibility != Visibility::Private)
                    .map(TimelineEntry::from)
                    .collect();
                self.timelines.add_entries(follower, &entries).await?;
            }
            Some(FollowState::Requested) => {}
            None => {
                self.timelines.remove_author(follower, followee).await?;
            }
        }
        Ok(())
    }

    /// Builds `reader`'s stored timeline from the follow graph: the newest `timeline_cap` fanned-out posts
    /// of the authors they follow.
    async fn build(&self, reader: UserId) -> Result<(), DbError> {
        let newest = self
            .posts
            .posts_followed_by(
                reader,
                Some(true),
                PageRequest {
                    limit: self.settings.timeline_cap,
                    after: None,
                },
            )
            .await?;
        let entries: Vec<TimelineEntry> = newest
            .items
            .iter()
            .filter(|post| post.visibility != Visibility::Private)
            .map(TimelineEntry::from)
            .collect();
        self.timelines
            .build_timeline(reader, &entries, newest.next.is_none())
            .await
    }
}

fn cursor_of(created_at: chrono::DateTime<chrono::Utc>, id: uuid::Uuid) -> Cursor {
    Cursor { created_at, id }
}

/// True about once in `n` calls, without a random-number dependency: the low bits of the clock's
/// nanoseconds are uniform enough to spread a chore over reads.
fn rand_one_in(n: u64) -> bool {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::from(d.subsec_nanos()))
        .unwrap_or(0);
    (nanos / 1_000) % n == 0
}
