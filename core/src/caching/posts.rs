//! `CachedPostRepository`: posts through the cache, for the timeline and every other reader of posts.
//!
//! A timeline page reads a page of posts by id; popular posts are read by every follower's page, so they are
//! kept in the cache. Likes and comments change a post's counts, so this wrapper is also the like and comment
//! repository, and drops the post's entry after each of their writes (succeeded or not: a write that timed
//! out may still have committed). Cache trouble is a miss, never an error.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};

use super::SourceRead;
use crate::domain::{Comment, CommentId, OutboxMessage, Page, PageRequest, Post, PostId, UserId};
use crate::ports::{Cache, CommentRepository, DbError, LikeRepository, PostRepository};

/// Posts, likes and comments, with single posts kept in a `Cache` for `ttl`.
#[derive(Clone)]
pub struct CachedPostRepository {
    posts: Arc<dyn PostRepository>,
    likes: Arc<dyn LikeRepository>,
    comments: Arc<dyn CommentRepository>,
    cache: Arc<dyn Cache>,
    ttl: Duration,
}

impl std::fmt::Debug for CachedPostRepository {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedPostRepository")
            .field("cache", &self.cache.backend())
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl CachedPostRepository {
    pub fn new(
        posts: Arc<dyn PostRepository>,
        likes: Arc<dyn LikeRepository>,
        comments: Arc<dyn CommentRepository>,
        cache: Arc<dyn Cache>,
        ttl: Duration,
    ) -> Self {
        Self {
            posts,
            likes,
            comments,
            cache,
            ttl,
        }
    }

    async fn cached(&self, id: PostId) -> Option<Post> {
        match self.cache.get(&cache_key(id)).await {
            Ok(Some(bytes)) => serde_json::from_slice(&bytes).ok(),
            Ok(None) => None,
            Err(err) => {
                tracing::debug!(post = %id, error = %err, "post cache read failed; reading the database");
                None
            }
        }
    }

    /// Fills the cache with a post read from the repository since `read` began, unless a write raced.
    async fn remember(&self, read: SourceRead, post: &Post) {
        let Ok(json) = serde_json::to_vec(post) else {
            return;
        };
        read.fill(
            &*self.cache,
            &cache_key(post.id),
            Bytes::from(json),
            self.ttl,
        )
        .await;
    }

    /// Drops a post's entry after a write. A failure only delays the change by one TTL.
    async fn forget(&self, id: PostId) {
        if let Err(err) = self.cache.delete(&cache_key(id)).await {
            tracing::warn!(post = %id, error = %err, "cache invalidation failed");
        }
    }
}

fn cache_key(id: PostId) -> String {
    format!("post:{id}")
}

#[async_trait]
impl PostRepository for CachedPostRepository {
    async fn create_post(&self, post: &Post, event: &OutboxMessage) -> Result<(), DbError> {
        self.posts.create_post(post, event).await
    }

    async fn post(&self, id: PostId) -> Result<Option<Post>, DbError> {
        if let Some(post) = self.cached(id).await {
            return Ok(Some(post));
        }
        let read = SourceRead::start();
        let post = self.posts.post(id).await?;
        if let Some(post) = &post {
            self.remember(read, post).await;
        }
        Ok(post)
    }

    async fn posts_by_ids(&self, ids: &[PostId]) -> Result<Vec<Post>, DbError> {
        let mut found = Vec::with_capacity(ids.len());
        let mut missing = Vec::new();
        for &id in ids {
            match self.cached(id).await {
                Some(post) => found.push(post),
                None => missing.push(id),
            }
        }
        if !missing.is_empty() {
            let read = SourceRead::start();
            for post in self.posts.posts_by_ids(&missing).await? {
                self.remember(read, &post).await;
                found.push(post);
            }
        }
        Ok(found)
    }

    async fn delete_post(
        &self,
        id: PostId,
        event: &OutboxMessage,
    ) -> Result<Option<Post>, DbError> {
        let deleted = self.posts.delete_post(id, event).await;
        self.forget(id).await;
        deleted
    }

    async fn posts_by_author(
        &self,
        author: UserId,
        page: PageRequest,
    ) -> Result<Page<Post>, DbError> {
        self.posts.posts_by_author(author, page).await
    }

    async fn posts_followed_by(
        &self,
        follower: UserId,
        fanned_out: Option<bool>,
        page: PageRequest,
    ) -> Result<Page<Post>, DbError> {
        self.posts
            .posts_followed_by(follower, fanned_out, page)
            .await
    }
}

#[async_trait]
impl LikeRepository for CachedPostRepository {
    async fn like(
        &self,
        post: PostId,
        user: UserId,
        at: DateTime<Utc>,
        event: &OutboxMessage,
    ) -> Result<bool, DbError> {
        let liked = self.likes.like(post, user, at, event).await;
        self.forget(post).await;
        liked
    }

    async fn unlike(&self, post: PostId, user: UserId) -> Result<bool, DbError> {
        let unliked = self.likes.unlike(post, user).await;
        self.forget(post).await;
        unliked
    }

    async fn liked(&self, user: UserId, posts: &[PostId]) -> Result<Vec<PostId>, DbError> {
        self.likes.liked(user, posts).await
    }
}

#[async_trait]
impl CommentRepository for CachedPostRepository {
    async fn create_comment(
        &self,
        comment: &Comment,
        event: &OutboxMessage,
    ) -> Result<bool, DbError> {
        let created = self.comments.create_comment(comment, event).await;
        self.forget(comment.post_id).await;
        created
    }

    async fn comment(&self, id: CommentId) -> Result<Option<Comment>, DbError> {
        self.comments.comment(id).await
    }

    async fn delete_comment(&self, id: CommentId) -> Result<Option<Comment>, DbError> {
        let deleted = self.comments.delete_comment(id).await;
        if let Ok(Some(comment)) = &deleted {
            self.forget(comment.post_id).await;
        }
        deleted
    }

    async fn comments(&self, post: PostId, page: PageRequest) -> Result<Page<Comment>, DbError> {
        self.comments.comments(post, page).await
    }
}
