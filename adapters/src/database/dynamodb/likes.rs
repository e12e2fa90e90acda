//! `LikeRepository` on DynamoDB. A like is an item in its post's partition keyed by the user, so `liked`
//! is one BatchGetItem and a deleted post's likes are one Query. Liking and unliking write the like and
//! the post's `likes_count` (conditioned on the post existing) in one transaction: the like's own
//! condition makes them exact and idempotent.

use std::collections::HashSet;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use darkroom_core::domain::{OutboxMessage, PostId, UserId};
use darkroom_core::ports::{Conflict, DbError, LikeRepository};

use super::attrs::n;
use super::calls::Transacted;
use super::items;
use super::keys::{self, Item};
use super::writes::{vals, PRESENT};
use super::DynamoDatabase;

impl DynamoDatabase {
    /// The transaction item moving a post's `count` by `delta`, when the post exists.
    pub(super) fn post_count(
        &self,
        post: PostId,
        count: &str,
        delta: i64,
    ) -> Result<aws_sdk_dynamodb::types::TransactWriteItem, DbError> {
        self.update(
            keys::post(post),
            &format!("ADD #{count} :delta"),
            Some(PRESENT),
            vals([(":delta", n(delta))]),
        )
    }
}

#[async_trait]
impl LikeRepository for DynamoDatabase {
    async fn like(
        &self,
        post: PostId,
        user: UserId,
        at: DateTime<Utc>,
        event: &OutboxMessage,
    ) -> Result<bool, DbError> {
        let writes = vec![
            self.put_new(items::like_item(post, user, at))?,
            self.post_count(post, "likes_count", 1)?,
            self.put_new(items::outbox_entry(event))?,
            self.put_new(items::outbox_pointer(event))?,
        ];
        match self.transact(writes, "liking a post").await? {
            Transacted::Done => Ok(true),
            // Liked already, or no such post.
            outcome if outcome.failed(0) || outcome.failed(1) => Ok(false),
            _ => Err(DbError::Conflict(Conflict::OutboxId)),
        }
    }

    async fn unlike(&self, post: PostId, user: UserId) -> Result<bool, DbError> {
        let writes = vec![
            self.delete(keys::like(post, user), Some(PRESENT), Item::new())?,
            self.post_count(post, "likes_count", -1)?,
        ];
        match self.transact(writes, "unliking a post").await? {
            Transacted::Done => Ok(true),
            outcome if outcome.failed(0) => Ok(false),
            // The post is gone and its likes with it; one a crashed purge left behind goes now.
            _ => {
                self.batch_delete(vec![keys::like(post, user)], "deleting an orphaned like")
                    .await?;
                Ok(false)
            }
        }
    }

    async fn liked(&self, user: UserId, posts: &[PostId]) -> Result<Vec<PostId>, DbError> {
        let posts: HashSet<PostId> = posts.iter().copied().collect();
        let keys = posts
            .into_iter()
            .map(|post| keys::like(post, user))
            .collect();
        self.batch_get(keys, "reading likes")
            .await?
            .iter()
            .map(items::liked_post)
            .collect()
    }
}
