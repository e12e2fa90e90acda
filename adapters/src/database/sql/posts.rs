//! `PostRepository` for every SQL backend. A post and its author's `posts_count` move in one transaction
//! with the event; deleting a post takes its likes and comments with it (the foreign keys cascade).
//!
//! `posts_followed_by` picks the page's ids from the indexes alone (the authors a user follows, then each
//! author's posts by (author, created_at)), and only then reads the page's rows.

use darkroom_core::domain::{Cursor, OutboxMessage, Page, PageRequest, Post, PostId, UserId};
use darkroom_core::ports::{DbError, PostRepository};

use super::backend::for_every_sql_backend;
use super::convert::to_json;
use super::social_rows::{posts, PostRow};
use super::{after_cursor, fetch_for, page, retrying};

/// The columns of `Post` from `posts` under `alias` (with its dot, or empty).
fn post_columns(alias: &str, json_out: &str) -> String {
    format!(
        "{alias}id, {alias}author_id, {alias}image_ids{json_out} AS image_ids, {alias}caption, \
         {alias}hashtags{json_out} AS hashtags, {alias}mentions{json_out} AS mentions, \
         {alias}visibility, {alias}likes_count, {alias}comments_count, {alias}fanned_out, \
         {alias}created_at"
    )
}

fn insert_post(json_in: &str) -> String {
    format!(
        "INSERT INTO posts (id, author_id, image_ids, caption, hashtags, mentions, visibility, \
                            likes_count, comments_count, fanned_out, created_at) \
         VALUES ($1, $2, $3{json_in}, $4, $5{json_in}, $6{json_in}, $7, 0, 0, $8, $9)"
    )
}

const MOVE_POSTS_COUNT: &str = "UPDATE users SET posts_count = posts_count + $2 WHERE id = $1";

/// Newest first, keyset on (created_at, id).
fn newest_first(alias: &str) -> String {
    format!("ORDER BY {alias}created_at DESC, {alias}id DESC")
}

for_every_sql_backend!(impl {
    fn posts_where(condition: &str, rest: &str) -> String {
        format!(
            "SELECT {} FROM posts p WHERE {condition} {rest}",
            post_columns("p.", B::DIALECT.json_out)
        )
    }

    /// Whether post `id` exists, its row locked until the transaction ends where the backend locks rows.
    /// Likes and comments lock their post first, before their own row: the count they move next is then
    /// exact, and every transaction that touches a post and its likes or comments (its deletion too, whose
    /// cascade comes after the post's row) takes the post's row first, so they cannot deadlock.
    pub(super) async fn lock_post(
        conn: &mut <B::Db as sqlx::Database>::Connection,
        id: PostId,
    ) -> Result<bool, DbError> {
        let sql = format!("SELECT id FROM posts WHERE id = $1 {}", B::DIALECT.lock_for_counts);
        let found: Option<(B::Id,)> = sqlx::query_as(&sql)
            .bind(B::id(id.0))
            .fetch_optional(conn)
            .await
            .map_err(B::db_error)?;
        Ok(found.is_some())
    }

    async fn move_posts_count(
        conn: &mut <B::Db as sqlx::Database>::Connection,
        author: UserId,
        by: i64,
    ) -> Result<(), DbError> {
        sqlx::query(MOVE_POSTS_COUNT)
            .bind(B::id(author.0))
            .bind(by)
            .execute(conn)
            .await
            .map_err(B::db_error)?;
        Ok(())
    }

    async fn create_post_once(&self, post: &Post, event: &OutboxMessage) -> Result<(), DbError> {
        let mut tx = self.driver().begin_write().await.map_err(B::db_error)?;
        sqlx::query(&insert_post(B::DIALECT.json_in))
            .bind(B::id(post.id.0))
            .bind(B::id(post.author_id.0))
            .bind(to_json(&post.image_ids)?)
            .bind(post.caption.clone())
            .bind(to_json(&post.hashtags)?)
            .bind(to_json(&post.mentions)?)
            .bind(post.visibility.as_str().to_owned())
            .bind(post.fanned_out)
            .bind(B::at(post.created_at))
            .execute(&mut *tx)
            .await
            .map_err(B::db_error)?;
        Self::move_posts_count(&mut tx, post.author_id, 1).await?;
        Self::insert_outbox(&mut tx, event).await?;
        tx.commit().await.map_err(B::db_error)
    }

    async fn delete_post_once(
        &self,
        id: PostId,
        event: &OutboxMessage,
    ) -> Result<Option<Post>, DbError> {
        let mut tx = self.driver().begin_write().await.map_err(B::db_error)?;
        let sql = format!(
            "DELETE FROM posts WHERE id = $1 RETURNING {}",
            post_columns("", B::DIALECT.json_out)
        );
        let row: Option<PostRow<B::Id, B::At>> = sqlx::query_as(&sql)
            .bind(B::id(id.0))
            .fetch_optional(&mut *tx)
            .await
            .map_err(B::db_error)?;
        let Some(row) = row else {
            return Ok(None);
        };
        let post = Post::try_from(row)?;
        Self::move_posts_count(&mut tx, post.author_id, -1).await?;
        Self::insert_outbox(&mut tx, event).await?;
        tx.commit().await.map_err(B::db_error)?;
        Ok(Some(post))
    }
});

/// A page of posts newest first: the cursor is the last post's (created_at, id).
fn newest_page(items: Vec<Post>, limit: u32) -> Page<Post> {
    page(items, limit, |post| Cursor {
        created_at: post.created_at,
        id: post.id.0,
    })
}

for_every_sql_backend!(impl PostRepository {
    async fn create_post(&self, post: &Post, event: &OutboxMessage) -> Result<(), DbError> {
        retrying(|| self.create_post_once(post, event)).await
    }

    async fn post(&self, id: PostId) -> Result<Option<Post>, DbError> {
        let row: Option<PostRow<B::Id, B::At>> = sqlx::query_as(&Self::posts_where("p.id = $1", ""))
            .bind(B::id(id.0))
            .fetch_optional(self.driver().pool())
            .await
            .map_err(B::db_error)?;
        row.map(Post::try_from).transpose()
    }

    async fn posts_by_ids(&self, ids: &[PostId]) -> Result<Vec<Post>, DbError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<uuid::Uuid> = ids.iter().map(|id| id.0).collect();
        let sql = Self::posts_where(&B::DIALECT.in_list("p.id", 1), "");
        let rows: Vec<PostRow<B::Id, B::At>> = sqlx::query_as(&sql)
            .bind(B::id_list(&ids)?)
            .fetch_all(self.driver().pool())
            .await
            .map_err(B::db_error)?;
        posts(rows)
    }

    async fn delete_post(
        &self,
        id: PostId,
        event: &OutboxMessage,
    ) -> Result<Option<Post>, DbError> {
        retrying(|| self.delete_post_once(id, event)).await
    }

    async fn posts_by_author(
        &self,
        author: UserId,
        request: PageRequest,
    ) -> Result<Page<Post>, DbError> {
        let condition = format!(
            "p.author_id = $1{}",
            after_cursor(request.after.is_some(), "p.created_at, p.id", "<", 3)
        );
        let sql = Self::posts_where(&condition, &format!("{} LIMIT $2", newest_first("p.")));
        let mut query = sqlx::query_as(&sql)
            .bind(B::id(author.0))
            .bind(fetch_for(request.limit));
        if let Some(after) = request.after {
            query = query.bind(B::at(after.created_at)).bind(B::id(after.id));
        }
        let rows: Vec<PostRow<B::Id, B::At>> = query
            .fetch_all(self.driver().pool())
            .await
            .map_err(B::db_error)?;
        Ok(newest_page(posts(rows)?, request.limit))
    }

    async fn posts_followed_by(
        &self,
        follower: UserId,
        fanned_out: Option<bool>,
        request: PageRequest,
    ) -> Result<Page<Post>, DbError> {
        // Parameters: $1 the follower, $2 the rows to fetch, then the filter and the cursor when given.
        let mut condition = String::from("TRUE");
        let mut next = 3;
        if fanned_out.is_some() {
            condition.push_str(" AND q.fanned_out = $3");
            next += 1;
        }
        condition.push_str(&after_cursor(request.after.is_some(), "q.created_at, q.id", "<", next));
        let newest = format!(
            "SELECT q.id FROM follows f {} WHERE f.follower_id = $1 AND f.state = 'active' \
             {} LIMIT $2",
            B::DIALECT.followed_posts(&condition, 2),
            newest_first("q.")
        );
        let sql = Self::posts_where(&format!("p.id IN ({newest})"), &newest_first("p."));
        let mut query = sqlx::query_as(&sql)
            .bind(B::id(follower.0))
            .bind(fetch_for(request.limit));
        if let Some(fanned_out) = fanned_out {
            query = query.bind(fanned_out);
        }
        if let Some(after) = request.after {
            query = query.bind(B::at(after.created_at)).bind(B::id(after.id));
        }
        let rows: Vec<PostRow<B::Id, B::At>> = query
            .fetch_all(self.driver().pool())
            .await
            .map_err(B::db_error)?;
        Ok(newest_page(posts(rows)?, request.limit))
    }
});
