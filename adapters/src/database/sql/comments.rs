//! `CommentRepository` for every SQL backend. A comment moves its post's `comments_count` in the transaction
//! that inserts or deletes it, after locking the post (see `lock_post`), so the count is exact however
//! calls interleave.

use darkroom_core::domain::{Comment, CommentId, Cursor, OutboxMessage, Page, PageRequest, PostId};
use darkroom_core::ports::{CommentRepository, DbError};

use super::backend::for_every_sql_backend;
use super::convert::StoredId;
use super::social_rows::CommentRow;
use super::{after_cursor, fetch_for, page, retrying};

const COMMENT_COLUMNS: &str = "id, post_id, author_id, text, created_at";

const INSERT_COMMENT: &str = "INSERT INTO comments (id, post_id, author_id, text, created_at) \
     VALUES ($1, $2, $3, $4, $5)";

const COMMENT_POST: &str = "SELECT post_id FROM comments WHERE id = $1";

const MOVE_COMMENTS_COUNT: &str =
    "UPDATE posts SET comments_count = comments_count + $2 WHERE id = $1";

fn comment_where(condition: &str, rest: &str) -> String {
    format!("SELECT {COMMENT_COLUMNS} FROM comments WHERE {condition} {rest}")
}

for_every_sql_backend!(impl {
    async fn move_comments_count(
        conn: &mut <B::Db as sqlx::Database>::Connection,
        post: PostId,
        by: i64,
    ) -> Result<(), DbError> {
        sqlx::query(MOVE_COMMENTS_COUNT)
            .bind(B::id(post.0))
            .bind(by)
            .execute(conn)
            .await
            .map_err(B::db_error)?;
        Ok(())
    }

    async fn create_comment_once(
        &self,
        comment: &Comment,
        event: &OutboxMessage,
    ) -> Result<bool, DbError> {
        let mut tx = self.driver().begin_write().await.map_err(B::db_error)?;
        // Returning early drops `tx`, which rolls back: nothing is written.
        if !Self::lock_post(&mut tx, comment.post_id).await? {
            return Ok(false);
        }
        sqlx::query(INSERT_COMMENT)
            .bind(B::id(comment.id.0))
            .bind(B::id(comment.post_id.0))
            .bind(B::id(comment.author_id.0))
            .bind(comment.text.clone())
            .bind(B::at(comment.created_at))
            .execute(&mut *tx)
            .await
            .map_err(B::db_error)?;
        Self::move_comments_count(&mut tx, comment.post_id, 1).await?;
        Self::insert_outbox(&mut tx, event).await?;
        tx.commit().await.map_err(B::db_error)?;
        Ok(true)
    }

    async fn delete_comment_once(&self, id: CommentId) -> Result<Option<Comment>, DbError> {
        let mut tx = self.driver().begin_write().await.map_err(B::db_error)?;
        // The post's row is locked before the comment's, as every writer of a post's comments does.
        let post: Option<(B::Id,)> = sqlx::query_as(COMMENT_POST)
            .bind(B::id(id.0))
            .fetch_optional(&mut *tx)
            .await
            .map_err(B::db_error)?;
        let Some((post,)) = post else {
            return Ok(None);
        };
        let post = PostId(post.into_uuid()?);
        Self::lock_post(&mut tx, post).await?;
        let sql = format!("DELETE FROM comments WHERE id = $1 RETURNING {COMMENT_COLUMNS}");
        let row: Option<CommentRow<B::Id, B::At>> = sqlx::query_as(&sql)
            .bind(B::id(id.0))
            .fetch_optional(&mut *tx)
            .await
            .map_err(B::db_error)?;
        // Deleted meanwhile (by a concurrent call, or with its post): nothing to count.
        let Some(row) = row else {
            return Ok(None);
        };
        Self::move_comments_count(&mut tx, post, -1).await?;
        tx.commit().await.map_err(B::db_error)?;
        Comment::try_from(row).map(Some)
    }
});

for_every_sql_backend!(impl CommentRepository {
    async fn create_comment(
        &self,
        comment: &Comment,
        event: &OutboxMessage,
    ) -> Result<bool, DbError> {
        retrying(|| self.create_comment_once(comment, event)).await
    }

    async fn comment(&self, id: CommentId) -> Result<Option<Comment>, DbError> {
        let row: Option<CommentRow<B::Id, B::At>> = sqlx::query_as(&comment_where("id = $1", ""))
            .bind(B::id(id.0))
            .fetch_optional(self.driver().pool())
            .await
            .map_err(B::db_error)?;
        row.map(Comment::try_from).transpose()
    }

    async fn delete_comment(&self, id: CommentId) -> Result<Option<Comment>, DbError> {
        retrying(|| self.delete_comment_once(id)).await
    }

    async fn comments(&self, post: PostId, request: PageRequest) -> Result<Page<Comment>, DbError> {
        // Oldest first: the keyset runs forward.
        let condition = format!(
            "post_id = $1{}",
            after_cursor(request.after.is_some(), "created_at, id", ">", 3)
        );
        let sql = comment_where(&condition, "ORDER BY created_at, id LIMIT $2");
        let mut query = sqlx::query_as(&sql)
            .bind(B::id(post.0))
            .bind(fetch_for(request.limit));
        if let Some(after) = request.after {
            query = query.bind(B::at(after.created_at)).bind(B::id(after.id));
        }
        let rows: Vec<CommentRow<B::Id, B::At>> = query
            .fetch_all(self.driver().pool())
            .await
            .map_err(B::db_error)?;
        let comments = rows
            .into_iter()
            .map(Comment::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(page(comments, request.limit, |comment| Cursor {
            created_at: comment.created_at,
            id: comment.id.0,
        }))
    }
});
