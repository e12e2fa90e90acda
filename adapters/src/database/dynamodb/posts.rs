//! `PostRepository` on DynamoDB, but for the timeline's read (`feed.rs`). A post is one item; its author's
//! listings (all posts, and those fanned out or not) hold entries pointing at it, so a page is one Query
//! and one BatchGetItem. Creating and deleting write the post, its entries, the author's `posts_count`
//! and the event in one transaction.
//!
//! Deleting a post then deletes its likes and comments with batch writes: once the post is gone nothing
//! reaches them (a like or comment needs the post to exist, so none is added after the transaction), and
//! the call returns only when they are gone too. A crash in between leaves them orphaned, never counted.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use darkroom_core::domain::{Cursor, OutboxMessage, Page, PageRequest, Post, PostId, UserId};
use darkroom_core::ports::{Conflict, DbError, PostRepository};

use super::attrs::n;
use super::calls::Transacted;
use super::items;
use super::keys::{self, Item};
use super::query::PartitionQuery;
use super::writes::{vals, PRESENT};
use super::DynamoDatabase;

/// An entry of an author's listing: the post and its creation time, which cursors are made of.
pub(super) type Listed = (PostId, DateTime<Utc>);

pub(super) fn listed_cursor(listed: &Listed) -> Cursor {
    Cursor {
        created_at: listed.1,
        id: listed.0 .0,
    }
}

impl DynamoDatabase {
    /// The posts of a listing page, in its order; a post deleted since the listing was read is left out.
    pub(super) async fn listed_posts(&self, listed: Page<Listed>) -> Result<Page<Post>, DbError> {
        let ids: Vec<PostId> = listed.items.iter().map(|(id, _)| *id).collect();
        let mut by_id: HashMap<PostId, Post> = self
            .posts_by_ids(&ids)
            .await?
            .into_iter()
            .map(|post| (post.id, post))
            .collect();
        Ok(Page {
            items: ids.iter().filter_map(|id| by_id.remove(id)).collect(),
            next: listed.next,
        })
    }

    /// Writes the post (put when `creating`, else deleted), its entries, the author's `posts_count`
    /// and the event, all or nothing. `Ok(false)` when the post's own condition failed.
    async fn transact_post(
        &self,
        post: &Post,
        creating: bool,
        event: &OutboxMessage,
    ) -> Result<bool, DbError> {
        let (post_write, delta) = if creating {
            (self.put_new(items::post_item(post))?, 1)
        } else {
            (
                self.delete(keys::post(post.id), Some(PRESENT), Item::new())?,
                -1,
            )
        };
        // Index by index: 0 post, 1 and 2 entries, 3 author, 4 and 5 the event.
        let mut writes = vec![post_write];
        if creating {
            for entry in items::post_entries(post) {
                writes.push(self.put_new(entry)?);
            }
        } else {
            for key in items::post_entry_keys(post) {
                writes.push(self.delete(key, None, Item::new())?);
            }
        }
        writes.extend([
            self.update(
                keys::user(post.author_id),
                "ADD #posts_count :delta",
                Some(PRESENT),
                vals([(":delta", n(delta))]),
            )?,
            self.put_new(items::outbox_entry(event))?,
            self.put_new(items::outbox_pointer(event))?,
        ]);
        let doing = if creating {
            "creating a post"
        } else {
            "deleting a post"
        };
        match self.transact(writes, doing).await? {
            Transacted::Done => Ok(true),
            outcome if outcome.failed(0) => Ok(false),
            outcome if outcome.failed(3) => Err(DbError::other(format!(
                "{doing}: author {} does not exist",
                post.author_id.0
            ))),
            _ => Err(DbError::Conflict(Conflict::OutboxId)),
        }
    }

    /// Deletes what hangs off a deleted post: its likes, and its comments with their entries.
    async fn purge_post(&self, id: PostId) -> Result<(), DbError> {
        let likes = self
            .query_items(
                &PartitionQuery::all(keys::likes_of(id)),
                None,
                "reading a post's likes",
            )
            .await?;
        self.batch_delete(
            likes.iter().map(keys::key_of).collect(),
            "deleting a post's likes",
        )
        .await?;
        let comments = self
            .query_items(
                &PartitionQuery::all(keys::comments_of(id)),
                None,
                "reading a post's comments",
            )
            .await?;
        let mut doomed = Vec::with_capacity(comments.len() * 2);
        for entry in &comments {
            doomed.push(keys::comment(items::comment(entry)?.id));
        }
        // The items by id first: an entry left behind by a failure is found again by the next purge.
        self.batch_delete(doomed, "deleting a post's comments")
            .await?;
        self.batch_delete(
            comments.iter().map(keys::key_of).collect(),
            "deleting a post's comment entries",
        )
        .await
    }
}

#[async_trait]
impl PostRepository for DynamoDatabase {
    async fn create_post(&self, post: &Post, event: &OutboxMessage) -> Result<(), DbError> {
        if self.transact_post(post, true, event).await? {
            Ok(())
        } else {
            Err(DbError::other(format!("post {} exists", post.id.0)))
        }
    }

    async fn post(&self, id: PostId) -> Result<Option<Post>, DbError> {
        self.get(keys::post(id), "reading a post")
            .await?
            .as_ref()
            .map(items::post)
            .transpose()
    }

    async fn posts_by_ids(&self, ids: &[PostId]) -> Result<Vec<Post>, DbError> {
        // BatchGetItem refuses a key named twice.
        let ids: HashSet<PostId> = ids.iter().copied().collect();
        self.batch_get(ids.into_iter().map(keys::post).collect(), "reading posts")
            .await?
            .iter()
            .map(items::post)
            .collect()
    }

    async fn delete_post(
        &self,
        id: PostId,
        event: &OutboxMessage,
    ) -> Result<Option<Post>, DbError> {
        let Some(post) = self.post(id).await? else {
            return Ok(None);
        };
        // A post never changes but for its counts, so the one read is the one deleted.
        if !self.transact_post(&post, false, event).await? {
            return Ok(None);
        }
        self.purge_post(id).await?;
        Ok(Some(post))
    }

    async fn posts_by_author(
        &self,
        author: UserId,
        page: PageRequest,
    ) -> Result<Page<Post>, DbError> {
        let query = PartitionQuery::newest_first(
            keys::posts_of(author, None),
            page.after
                .map(|after| keys::order(after.created_at, after.id)),
        );
        let listed = self
            .query_page(
                &query,
                page.limit,
                items::listed_post,
                listed_cursor,
                "listing an author's posts",
            )
            .await?;
        self.listed_posts(listed).await
    }

    async fn posts_followed_by(
        &self,
        follower: UserId,
        fanned_out: Option<bool>,
        page: PageRequest,
    ) -> Result<Page<Post>, DbError> {
        self.merged_feed(follower, fanned_out, page).await
    }
}
