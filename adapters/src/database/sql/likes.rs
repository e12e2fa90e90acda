//! `LikeRepository` for every SQL backend. A like moves its post's `likes_count` in the transaction that
//! inserts or deletes it, and only when a row was actually inserted or deleted, after locking the post
//! (see `lock_post`): the count is exact however calls interleave, and a post being deleted cannot be liked.

use chrono::{DateTime, Utc};
use darkroom_core::domain::{OutboxMessage, PostId, UserId};
use darkroom_core::ports::{DbError, LikeRepository};

use super::backend::for_every_sql_backend;
use super::convert::StoredId;
use super::retrying;

const INSERT_LIKE: &str = "INSERT INTO likes (post_id, user_id, created_at) VALUES ($1, $2, $3) \
     ON CONFLICT (post_id, user_id) DO NOTHING";

const DELETE_LIKE: &str = "DELETE FROM likes WHERE post_id = $1 AND user_id = $2";

const MOVE_LIKES_COUNT: &str = "UPDATE posts SET likes_count = likes_count + $2 WHERE id = $1";

for_every_sql_backend!(impl {
    async fn move_likes_count(
        conn: &mut <B::Db as sqlx::Database>::Connection,
        post: PostId,
        by: i64,
    ) -> Result<(), DbError> {
        sqlx::query(MOVE_LIKES_COUNT)
            .bind(B::id(post.0))
            .bind(by)
            .execute(conn)
            .await
            .map_err(B::db_error)?;
        Ok(())
    }

    async fn like_once(
        &self,
        post: PostId,
        user: UserId,
        at: DateTime<Utc>,
        event: &OutboxMessage,
    ) -> Result<bool, DbError> {
        let mut tx = self.driver().begin_write().await.map_err(B::db_error)?;
        // Returning early drops `tx`, which rolls back: nothing is written.
        if !Self::lock_post(&mut tx, post).await? {
            return Ok(false);
        }
        let inserted = sqlx::query(INSERT_LIKE)
            .bind(B::id(post.0))
            .bind(B::id(user.0))
            .bind(B::at(at))
            .execute(&mut *tx)
            .await
            .map_err(B::db_error)?;
        if B::rows_affected(&inserted) == 0 {
            return Ok(false);
        }
        Self::move_likes_count(&mut tx, post, 1).await?;
        Self::insert_outbox(&mut tx, event).await?;
        tx.commit().await.map_err(B::db_error)?;
        Ok(true)
    }

    async fn unlike_once(&self, post: PostId, user: UserId) -> Result<bool, DbError> {
        let mut tx = self.driver().begin_write().await.map_err(B::db_error)?;
        if !Self::lock_post(&mut tx, post).await? {
            return Ok(false);
        }
        let deleted = sqlx::query(DELETE_LIKE)
            .bind(B::id(post.0))
            .bind(B::id(user.0))
            .execute(&mut *tx)
            .await
            .map_err(B::db_error)?;
        if B::rows_affected(&deleted) == 0 {
            return Ok(false);
        }
        Self::move_likes_count(&mut tx, post, -1).await?;
        tx.commit().await.map_err(B::db_error)?;
        Ok(true)
    }
});

for_every_sql_backend!(impl LikeRepository {
    async fn like(
        &self,
        post: PostId,
        user: UserId,
        at: DateTime<Utc>,
        event: &OutboxMessage,
    ) -> Result<bool, DbError> {
        retrying(|| self.like_once(post, user, at, event)).await
    }

    async fn unlike(&self, post: PostId, user: UserId) -> Result<bool, DbError> {
        retrying(|| self.unlike_once(post, user)).await
    }

    async fn liked(&self, user: UserId, posts: &[PostId]) -> Result<Vec<PostId>, DbError> {
        if posts.is_empty() {
            return Ok(Vec::new());
        }
        let posts: Vec<uuid::Uuid> = posts.iter().map(|id| id.0).collect();
        // By the likes' key (post, user), one probe per listed post.
        let sql = format!(
            "SELECT post_id FROM likes WHERE {} AND user_id = $2",
            B::DIALECT.in_list("post_id", 1)
        );
        let rows: Vec<(B::Id,)> = sqlx::query_as(&sql)
            .bind(B::id_list(&posts)?)
            .bind(B::id(user.0))
            .fetch_all(self.driver().pool())
            .await
            .map_err(B::db_error)?;
        rows.into_iter()
            .map(|(id,)| id.into_uuid().map(PostId))
            .collect()
    }
});
