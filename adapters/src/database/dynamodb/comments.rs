//! `CommentRepository` on DynamoDB. A comment is an item keyed by its id and an entry in its post's
//! listing, both holding all of it (a comment never changes), so a page is one Query. Creating and
//! deleting write both, and the post's `comments_count` (conditioned on the post existing), in one
//! transaction.

use async_trait::async_trait;
use darkroom_core::domain::{Comment, CommentId, Cursor, OutboxMessage, Page, PageRequest, PostId};
use darkroom_core::ports::{CommentRepository, Conflict, DbError};

use super::calls::Transacted;
use super::items;
use super::keys::{self, Item};
use super::query::PartitionQuery;
use super::writes::PRESENT;
use super::DynamoDatabase;

#[async_trait]
impl CommentRepository for DynamoDatabase {
    async fn create_comment(
        &self,
        comment: &Comment,
        event: &OutboxMessage,
    ) -> Result<bool, DbError> {
        let writes = vec![
            self.put_new(items::comment_item(comment))?,
            self.put_new(items::comment_entry(comment))?,
            self.post_count(comment.post_id, "comments_count", 1)?,
            self.put_new(items::outbox_entry(event))?,
            self.put_new(items::outbox_pointer(event))?,
        ];
        match self.transact(writes, "creating a comment").await? {
            Transacted::Done => Ok(true),
            outcome if outcome.failed(2) => Ok(false),
            outcome if outcome.failed(0) || outcome.failed(1) => {
                Err(DbError::other(format!("comment {} exists", comment.id.0)))
            }
            _ => Err(DbError::Conflict(Conflict::OutboxId)),
        }
    }

    async fn comment(&self, id: CommentId) -> Result<Option<Comment>, DbError> {
        self.get(keys::comment(id), "reading a comment")
            .await?
            .as_ref()
            .map(items::comment)
            .transpose()
    }

    async fn delete_comment(&self, id: CommentId) -> Result<Option<Comment>, DbError> {
        let Some(comment) = self.comment(id).await? else {
            return Ok(None);
        };
        let writes = vec![
            self.delete(keys::comment(id), Some(PRESENT), Item::new())?,
            self.delete(items::comment_entry_key(&comment), None, Item::new())?,
            self.post_count(comment.post_id, "comments_count", -1)?,
        ];
        match self.transact(writes, "deleting a comment").await? {
            Transacted::Done => Ok(Some(comment)),
            outcome if outcome.failed(0) => Ok(None),
            // The post is gone, and its comments with it; one a crashed purge left behind goes now.
            _ => {
                let orphan = vec![keys::comment(id), items::comment_entry_key(&comment)];
                self.batch_delete(orphan, "deleting an orphaned comment")
                    .await?;
                Ok(None)
            }
        }
    }

    async fn comments(&self, post: PostId, page: PageRequest) -> Result<Page<Comment>, DbError> {
        let query = PartitionQuery::oldest_first(
            keys::comments_of(post),
            page.after
                .map(|after| keys::order(after.created_at, after.id)),
        );
        let cursor = |comment: &Comment| Cursor {
            created_at: comment.created_at,
            id: comment.id.0,
        };
        self.query_page(
            &query,
            page.limit,
            items::comment,
            cursor,
            "listing comments",
        )
        .await
    }
}
