//! `posts_followed_by` on DynamoDB: the read path of the timeline when it is built, read past its cap,
//! and when the posts of authors that are not fanned out are merged in. There is no join, so it reads
//! the follower's `Active` followees (one Query of their following listing), then each followee's
//! listing of posts (all of them, or only those fanned out or not: a partition each) newest first after
//! the cursor, at most `limit + 1` entries each, a few followees at once, and merges them.
//!
//! Cost: one Query per followee, each reading at most `limit + 1` small entries, plus one BatchGetItem of
//! the page's posts. Only the `limit + 1` newest entries are kept while merging, whatever the number of
//! followees. The service calls this for celebrities' posts (few authors) and to build a timeline (once
//! per reader until it is dropped), not for every page read.

use darkroom_core::domain::{Page, PageRequest, Post, UserId};
use darkroom_core::ports::DbError;
use futures::stream::{self, StreamExt, TryStreamExt};

use super::items;
use super::keys;
use super::posts::{listed_cursor, Listed};
use super::query::PartitionQuery;
use super::DynamoDatabase;

/// How many followees' listings are read at once.
const CONCURRENT_QUERIES: usize = 8;

/// Keeps the `keep` newest of `listed` by (created_at, id), newest first.
fn keep_newest(listed: &mut Vec<Listed>, keep: usize) {
    listed.sort_unstable_by_key(|&(id, created_at)| std::cmp::Reverse((created_at, id)));
    listed.truncate(keep);
}

impl DynamoDatabase {
    async fn followee_ids(&self, follower: UserId) -> Result<Vec<UserId>, DbError> {
        self.query_items(
            &PartitionQuery::all(keys::following_of(follower)),
            None,
            "reading whom a user follows",
        )
        .await?
        .iter()
        .map(|item| items::follow(item).map(|follow| follow.followee_id))
        .collect()
    }

    /// Up to `limit` of an author's newest posts after `after`.
    async fn newest_listed(
        &self,
        author: UserId,
        fanned_out: Option<bool>,
        after: Option<String>,
        limit: usize,
    ) -> Result<Vec<Listed>, DbError> {
        let query = PartitionQuery::newest_first(keys::posts_of(author, fanned_out), after);
        self.query_items(&query, Some(limit), "listing a followee's posts")
            .await?
            .iter()
            .map(items::listed_post)
            .collect()
    }

    pub(super) async fn merged_feed(
        &self,
        follower: UserId,
        fanned_out: Option<bool>,
        page: PageRequest,
    ) -> Result<Page<Post>, DbError> {
        let limit = page.limit as usize;
        let after = page
            .after
            .map(|after| keys::order(after.created_at, after.id));
        let followees = self.followee_ids(follower).await?;
        let mut merged = stream::iter(followees)
            .map(|author| self.newest_listed(author, fanned_out, after.clone(), limit + 1))
            .buffer_unordered(CONCURRENT_QUERIES)
            .try_fold(Vec::new(), |mut merged, listed| async move {
                merged.extend(listed);
                // Bound the memory: only the newest `limit + 1` can make the page.
                if merged.len() > 4 * (limit + 1) {
                    keep_newest(&mut merged, limit + 1);
                }
                Ok(merged)
            })
            .await?;
        keep_newest(&mut merged, limit + 1);
        let more = merged.len() > limit;
        merged.truncate(limit);
        let next = if more {
            merged.last().map(listed_cursor)
        } else {
            None
        };
        self.listed_posts(Page {
            items: merged,
            next,
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use chrono::{DateTime, Utc};
    use darkroom_core::domain::PostId;

    use super::*;

    #[test]
    fn merging_keeps_the_newest_by_time_then_id() {
        let at = |micros| DateTime::<Utc>::from_timestamp_micros(micros).unwrap();
        let (low, high) = (
            PostId(uuid::Uuid::from_u128(1)),
            PostId(uuid::Uuid::from_u128(2)),
        );
        let mut listed = vec![(low, at(5)), (high, at(1)), (high, at(5)), (low, at(9))];
        keep_newest(&mut listed, 3);
        assert_eq!(listed, vec![(low, at(9)), (high, at(5)), (low, at(5))]);
    }
}
