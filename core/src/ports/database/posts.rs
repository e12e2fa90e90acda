//! Posts, and what readers do to them: likes and comments.

use std::fmt::Debug;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::DbError;
use crate::domain::{Comment, CommentId, OutboxMessage, Page, PageRequest, Post, PostId, UserId};

/// Posts.
///
/// # Contract
/// - `create_post` writes the post (its counts zero), adds one to the author's `posts_count` and writes
///   `event`, in one transaction. It does not check the images: the use case did.
/// - `posts_by_ids` answers the posts that exist among `ids`, in any order.
/// - `delete_post` removes the post, its likes and comments, takes one from the author's `posts_count`
///   and writes `event`, in one transaction; it answers the deleted post, or `None` (writing nothing).
/// - `posts_by_author` is newest first, keyset-paginated on (created_at, id).
/// - `posts_followed_by` is newest first over the posts of every author `follower` follows (`Active`
///   follows only), keyset-paginated on (created_at, id); with `fanned_out`, only the posts whose
///   `fanned_out` is that. It is how a timeline is built, read past its cap, and how the posts of authors
///   that are not fanned out are merged in.
#[async_trait]
pub trait PostRepository: Send + Sync + Debug {
    async fn create_post(&self, post: &Post, event: &OutboxMessage) -> Result<(), DbError>;
    async fn post(&self, id: PostId) -> Result<Option<Post>, DbError>;
    async fn posts_by_ids(&self, ids: &[PostId]) -> Result<Vec<Post>, DbError>;
    async fn delete_post(&self, id: PostId, event: &OutboxMessage)
        -> Result<Option<Post>, DbError>;
    async fn posts_by_author(
        &self,
        author: UserId,
        page: PageRequest,
    ) -> Result<Page<Post>, DbError>;
    async fn posts_followed_by(
        &self,
        follower: UserId,
        fanned_out: Option<bool>,
        page: PageRequest,
    ) -> Result<Page<Post>, DbError>;
}

/// Likes.
///
/// # Contract
/// - One like per (post, user). `like` writes it, adds one to the post's `likes_count` and writes `event`
///   in one transaction, and answers true; when the like exists, or the post does not, it writes nothing
///   and answers false.
/// - `unlike` removes it and takes one from `likes_count` in one transaction; false when there was none.
/// - `liked` answers which of `posts` `user` likes, in any order.
/// - Counts are exact under any interleaving of concurrent calls.
#[async_trait]
pub trait LikeRepository: Send + Sync + Debug {
    async fn like(
        &self,
        post: PostId,
        user: UserId,
        at: DateTime<Utc>,
        event: &OutboxMessage,
    ) -> Result<bool, DbError>;
    async fn unlike(&self, post: PostId, user: UserId) -> Result<bool, DbError>;
    async fn liked(&self, user: UserId, posts: &[PostId]) -> Result<Vec<PostId>, DbError>;
}

/// Comments.
///
/// # Contract
/// - `create_comment` writes the comment, adds one to the post's `comments_count` and writes `event` in
///   one transaction, and answers true; when the post does not exist it writes nothing and answers false.
/// - `delete_comment` removes it and takes one from `comments_count` in one transaction, and answers it.
/// - `comments` lists a post's comments oldest first, keyset-paginated on (created_at, id).
/// - Counts are exact under any interleaving of concurrent calls.
#[async_trait]
pub trait CommentRepository: Send + Sync + Debug {
    async fn create_comment(
        &self,
        comment: &Comment,
        event: &OutboxMessage,
    ) -> Result<bool, DbError>;
    async fn comment(&self, id: CommentId) -> Result<Option<Comment>, DbError>;
    async fn delete_comment(&self, id: CommentId) -> Result<Option<Comment>, DbError>;
    async fn comments(&self, post: PostId, page: PageRequest) -> Result<Page<Comment>, DbError>;
}
