//! Posts and what readers do to them: `createPost`, `getPost`, `deletePost`, `listUserPosts`, likes and
//! comments. What a caller may not see answers `NotFound`, on every path.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::Utc;
use tokio::sync::Notify;

use super::views::{CommentView, PostView};
use super::SocialSettings;
use crate::domain::{
    Caption, Comment, CommentId, CommentText, Event, ImageId, ImagePatch, ImageStatus, Page,
    PageRequest, Post, PostId, User, UserId, Visibility,
};
use crate::ports::{CommentRepository, LikeRepository, PostRepository, UserRepository};
use crate::services::access::{can_view, Audience, Relation};
use crate::services::images::{ImageService, ShownImage};
use crate::services::ServiceError;

/// The most images one post carries.
pub const MAX_IMAGES: usize = 10;

/// `createPost` as it arrived.
#[derive(Debug, Clone)]
pub struct NewPostForm {
    pub image_ids: Vec<ImageId>,
    pub caption: String,
    pub visibility: Visibility,
}

#[derive(Debug, Clone)]
pub struct Posts {
    posts: Arc<dyn PostRepository>,
    likes: Arc<dyn LikeRepository>,
    comments: Arc<dyn CommentRepository>,
    users: Arc<dyn UserRepository>,
    images: ImageService,
    audience: Audience,
    settings: SocialSettings,
    /// Wakes the outbox relay as soon as an event is written, instead of at its next poll.
    outbox_written: Arc<Notify>,
}

impl Posts {
    pub fn new(
        repositories: &crate::ports::Repositories,
        images: ImageService,
        settings: SocialSettings,
        outbox_written: Arc<Notify>,
    ) -> Self {
        Self {
            posts: repositories.posts.clone(),
            likes: repositories.likes.clone(),
            comments: repositories.comments.clone(),
            users: repositories.users.clone(),
            images,
            audience: Audience::new(repositories.users.clone(), repositories.follows.clone()),
            settings,
            outbox_written,
        }
    }

    /// Publishes a post of one to ten of the author's own ready images. Each image becomes at least as
    /// visible as the post, so that everyone who sees the post sees its pictures.
    pub async fn create(
        &self,
        author: UserId,
        form: NewPostForm,
    ) -> Result<PostView, ServiceError> {
        let caption = Caption::parse(&form.caption)?;
        let mut seen = HashSet::new();
        if form.image_ids.is_empty()
            || form.image_ids.len() > MAX_IMAGES
            || !form.image_ids.iter().all(|id| seen.insert(*id))
        {
            return Err(ServiceError::Rejected(format!(
                "a post needs 1 to {MAX_IMAGES} distinct images"
            )));
        }
        let user = self
            .users
            .user_by_id(author)
            .await?
            .ok_or(ServiceError::Unauthenticated)?;
        let mut images = Vec::with_capacity(form.image_ids.len());
        for id in &form.image_ids {
            let image = self.images.get(Some(author), *id).await;
            match image {
                Ok(image) if image.owner_id == author && image.status == ImageStatus::Ready => {
                    images.push(image)
                }
                Ok(image) if image.owner_id == author => {
                    return Err(ServiceError::Rejected(format!(
                        "image {id} is not ready (it is {})",
                        image.status.as_str()
                    )))
                }
                Ok(_) | Err(ServiceError::NotFound) => {
                    return Err(ServiceError::Rejected(format!(
                        "image {id} is not one of your images"
                    )))
                }
                Err(err) => return Err(err),
            }
        }
        for image in &mut images {
            if openness(image.visibility) < openness(form.visibility) {
                let patch = ImagePatch {
                    visibility: Some(form.visibility),
                    ..ImagePatch::default()
                };
                *image = self.images.update(author, image.id, &patch).await?;
            }
        }
        let post = Post {
            id: PostId::new(),
            author_id: author,
            image_ids: form.image_ids,
            caption: caption.text,
            hashtags: caption.hashtags,
            mentions: caption.mentions,
            visibility: form.visibility,
            likes_count: 0,
            comments_count: 0,
            // Decided once: a celebrity's post is merged into timelines on read, never written into them.
            fanned_out: user.followers_count <= self.settings.celebrity_threshold,
            created_at: Utc::now(),
        };
        let event = Event::PostCreated {
            post_id: post.id,
            author_id: author,
        };
        self.posts.create_post(&post, &event.to_outbox()).await?;
        self.outbox_written.notify_one();
        let images = self.images.shown_to(author, images).await?;
        Ok(PostView {
            post,
            author: user,
            images,
            liked_by_me: false,
        })
    }

    pub async fn get(&self, viewer: Option<UserId>, id: PostId) -> Result<PostView, ServiceError> {
        let post = self.visible_post(viewer, id).await?;
        let mut views = self.views(viewer, vec![post]).await?;
        views.pop().ok_or(ServiceError::NotFound)
    }

    pub async fn delete(&self, me: UserId, id: PostId) -> Result<(), ServiceError> {
        let post = self.posts.post(id).await?.ok_or(ServiceError::NotFound)?;
        if post.author_id != me {
            return Err(ServiceError::NotFound);
        }
        let event = Event::PostDeleted {
            post_id: id,
            author_id: me,
        };
        self.posts.delete_post(id, &event.to_outbox()).await?;
        self.outbox_written.notify_one();
        Ok(())
    }

    /// A profile grid: `username`'s posts the caller may see, newest first.
    pub async fn by_author(
        &self,
        viewer: Option<UserId>,
        author: &User,
        page: PageRequest,
    ) -> Result<Page<PostView>, ServiceError> {
        let relation = self.audience.relation(viewer, author.id).await?;
        if author.is_private && relation == Relation::Other {
            // Nothing of a private account's grid is for strangers, not even how many pages it has.
            return Ok(Page {
                items: Vec::new(),
                next: None,
            });
        }
        let page = self.posts.posts_by_author(author.id, page).await?;
        let visible = page
            .items
            .into_iter()
            .filter(|post| can_view(relation, author.is_private, post.visibility))
            .collect();
        Ok(Page {
            items: self.views(viewer, visible).await?,
            next: page.next,
        })
    }

    /// Likes a post the caller may see. Idempotent.
    pub async fn like(&self, me: UserId, id: PostId) -> Result<(), ServiceError> {
        self.visible_post(Some(me), id).await?;
        let event = Event::PostLiked {
            post_id: id,
            user_id: me,
        };
        self.likes
            .like(id, me, Utc::now(), &event.to_outbox())
            .await?;
        self.outbox_written.notify_one();
        Ok(())
    }

    pub async fn unlike(&self, me: UserId, id: PostId) -> Result<(), ServiceError> {
        self.visible_post(Some(me), id).await?;
        self.likes.unlike(id, me).await?;
        Ok(())
    }

    /// A post's comments, oldest first.
    pub async fn comments(
        &self,
        viewer: Option<UserId>,
        id: PostId,
        page: PageRequest,
    ) -> Result<Page<CommentView>, ServiceError> {
        self.visible_post(viewer, id).await?;
        let page = self.comments.comments(id, page).await?;
        let authors: Vec<UserId> = page.items.iter().map(|c| c.author_id).collect();
        let users = self.users.users_by_ids(&authors).await?;
        let items = page
            .items
            .into_iter()
            .filter_map(|comment| {
                let author = users.iter().find(|u| u.id == comment.author_id)?.clone();
                Some(CommentView { comment, author })
            })
            .collect();
        Ok(Page {
            items,
            next: page.next,
        })
    }

    pub async fn comment(
        &self,
        me: UserId,
        id: PostId,
        text: &str,
    ) -> Result<CommentView, ServiceError> {
        let text = CommentText::parse(text)?;
        self.visible_post(Some(me), id).await?;
        let comment = Comment {
            id: CommentId::new(),
            post_id: id,
            author_id: me,
            text: text.text,
            created_at: Utc::now(),
        };
        let event = Event::CommentCreated {
            comment_id: comment.id,
            post_id: id,
            author_id: me,
        };
        if !self
            .comments
            .create_comment(&comment, &event.to_outbox())
            .await?
        {
            return Err(ServiceError::NotFound);
        }
        self.outbox_written.notify_one();
        let author = self
            .users
            .user_by_id(me)
            .await?
            .ok_or(ServiceError::Unauthenticated)?;
        Ok(CommentView { comment, author })
    }

    /// Deletes a comment: its author may, and so may the author of the post it is on.
    pub async fn delete_comment(&self, me: UserId, id: CommentId) -> Result<(), ServiceError> {
        let comment = self
            .comments
            .comment(id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let allowed = comment.author_id == me
            || self
                .posts
                .post(comment.post_id)
                .await?
                .is_some_and(|post| post.author_id == me);
        if !allowed {
            return Err(ServiceError::NotFound);
        }
        self.comments.delete_comment(id).await?;
        Ok(())
    }

    /// The post, if the caller may see it.
    pub async fn visible_post(
        &self,
        viewer: Option<UserId>,
        id: PostId,
    ) -> Result<Post, ServiceError> {
        let post = self.posts.post(id).await?.ok_or(ServiceError::NotFound)?;
        let author = self
            .users
            .user_by_id(post.author_id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        if self
            .audience
            .may_see(viewer, &author, post.visibility)
            .await?
        {
            Ok(post)
        } else {
            Err(ServiceError::NotFound)
        }
    }

    /// Joins posts (already known to be visible to the caller) with their authors, images and the
    /// caller's likes, in their order. A post whose author is gone is left out.
    pub async fn views(
        &self,
        viewer: Option<UserId>,
        posts: Vec<Post>,
    ) -> Result<Vec<PostView>, ServiceError> {
        if posts.is_empty() {
            return Ok(Vec::new());
        }
        let mut author_ids: Vec<UserId> = posts.iter().map(|p| p.author_id).collect();
        author_ids.sort();
        author_ids.dedup();
        let authors = self.users.users_by_ids(&author_ids).await?;
        let image_ids: Vec<ImageId> = posts.iter().flat_map(|p| p.image_ids.clone()).collect();
        let images = self.images.visible_images(viewer, &image_ids).await?;
        let post_ids: Vec<PostId> = posts.iter().map(|p| p.id).collect();
        let liked: HashSet<PostId> = match viewer {
            Some(me) => self.likes.liked(me, &post_ids).await?.into_iter().collect(),
            None => HashSet::new(),
        };
        Ok(posts
            .into_iter()
            .filter_map(|post| {
                let author = authors.iter().find(|a| a.id == post.author_id)?.clone();
                let images: Vec<ShownImage> = post
                    .image_ids
                    .iter()
                    .filter_map(|id| images.iter().find(|shown| shown.image.id == *id).cloned())
                    .collect();
                let liked_by_me = liked.contains(&post.id);
                Some(PostView {
                    post,
                    author,
                    images,
                    liked_by_me,
                })
            })
            .collect())
    }
}

/// How many people a visibility reaches, for comparing two of them.
fn openness(visibility: Visibility) -> u8 {
    match visibility {
        Visibility::Private => 0,
        Visibility::Followers => 1,
        Visibility::Public => 2,
    }
}
