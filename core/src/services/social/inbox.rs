//! The inbox: notifications written by the handlers of social events (and by image processing when it
//! fails), read and marked read by their recipient.

use std::sync::Arc;

use super::views::NotificationView;
use crate::domain::{
    CommentId, FollowState, ImageId, Notification, NotificationId, NotificationKind, Page,
    PageRequest, PostId, UserId,
};
use crate::ports::{
    CommentRepository, DbError, FollowRepository, NotificationRepository, PostRepository,
    UserRepository,
};
use crate::services::access::Audience;
use crate::services::ServiceError;

/// One page of the inbox and how many notifications are unread in all.
#[derive(Debug, Clone, PartialEq)]
pub struct InboxPage {
    pub page: Page<NotificationView>,
    pub unread_count: u64,
}

#[derive(Debug, Clone)]
pub struct Inbox {
    notifications: Arc<dyn NotificationRepository>,
    users: Arc<dyn UserRepository>,
    posts: Arc<dyn PostRepository>,
    comments: Arc<dyn CommentRepository>,
    follows: Arc<dyn FollowRepository>,
    audience: Audience,
}

impl Inbox {
    pub fn new(repositories: &crate::ports::Repositories) -> Self {
        Self {
            notifications: repositories.notifications.clone(),
            users: repositories.users.clone(),
            posts: repositories.posts.clone(),
            comments: repositories.comments.clone(),
            follows: repositories.follows.clone(),
            audience: Audience::new(repositories.users.clone(), repositories.follows.clone()),
        }
    }

    pub async fn list(&self, me: UserId, page: PageRequest) -> Result<InboxPage, ServiceError> {
        let page = self.notifications.notifications(me, page).await?;
        let mut actor_ids: Vec<UserId> = page.items.iter().filter_map(|n| n.actor_id).collect();
        actor_ids.sort();
        actor_ids.dedup();
        let actors = self.users.users_by_ids(&actor_ids).await?;
        let items = page
            .items
            .into_iter()
            .map(|notification| {
                let actor = notification
                    .actor_id
                    .and_then(|id| actors.iter().find(|user| user.id == id).cloned());
                NotificationView {
                    notification,
                    actor,
                }
            })
            .collect();
        let unread_count = self.notifications.unread_count(me).await?;
        Ok(InboxPage {
            page: Page {
                items,
                next: page.next,
            },
            unread_count,
        })
    }

    /// Marks the given notifications of the caller read, or all of them; answers how many are unread now.
    pub async fn mark_read(
        &self,
        me: UserId,
        ids: Option<&[NotificationId]>,
    ) -> Result<u64, ServiceError> {
        self.notifications.mark_read(me, ids).await?;
        Ok(self.notifications.unread_count(me).await?)
    }

    /// `follow.changed`: tells the followee of a new follower or a request, and the follower of an
    /// accepted request; a request answered or taken back leaves the followee's inbox.
    pub async fn follow_changed(
        &self,
        follower: UserId,
        followee: UserId,
        accepted: bool,
    ) -> Result<(), DbError> {
        let state = self.follows.follow_state(follower, followee).await?;
        if state != Some(FollowState::Requested) {
            self.notifications
                .withdraw(followee, NotificationKind::FollowRequest, follower)
                .await?;
        }
        match state {
            Some(FollowState::Active) if accepted => {
                self.send(
                    follower,
                    NotificationKind::FollowAccepted,
                    followee,
                    None,
                    None,
                )
                .await
            }
            Some(FollowState::Active) => {
                self.send(followee, NotificationKind::Follow, follower, None, None)
                    .await
            }
            Some(FollowState::Requested) => {
                self.send(
                    followee,
                    NotificationKind::FollowRequest,
                    follower,
                    None,
                    None,
                )
                .await
            }
            None => Ok(()),
        }
    }

    /// `post.created`: tells each user mentioned in the caption who may see the post.
    pub async fn post_created(&self, post_id: PostId) -> Result<(), DbError> {
        let Some(post) = self.posts.post(post_id).await? else {
            return Ok(());
        };
        self.mentions(&post.mentions, post.author_id, post_id, None)
            .await
    }

    /// `post.liked`: tells the author, if the like still stands.
    pub async fn post_liked(&self, post_id: PostId, liker: UserId) -> Result<(), DbError> {
        let Some(post) = self.posts.post(post_id).await? else {
            return Ok(());
        };
        if post.author_id == liker {
            return Ok(());
        }
        self.send(
            post.author_id,
            NotificationKind::Like,
            liker,
            Some(post_id),
            None,
        )
        .await
    }

    /// `comment.created`: tells the post's author, and each user mentioned in the comment.
    pub async fn comment_created(&self, comment_id: CommentId) -> Result<(), DbError> {
        let Some(comment) = self.comments.comment(comment_id).await? else {
            return Ok(());
        };
        let Some(post) = self.posts.post(comment.post_id).await? else {
            return Ok(());
        };
        if post.author_id != comment.author_id {
            self.send(
                post.author_id,
                NotificationKind::Comment,
                comment.author_id,
                Some(post.id),
                Some(comment_id),
            )
            .await?;
        }
        let mentions = crate::domain::CommentText::parse(&comment.text)
            .map(|text| text.mentions)
            .unwrap_or_default();
        self.mentions(&mentions, comment.author_id, post.id, Some(comment_id))
            .await
    }

    /// Tells `owner` that processing `image` failed (called by the processor; idempotent).
    pub async fn processing_failed(&self, owner: UserId, image: ImageId) -> Result<(), DbError> {
        let notification = Notification::new(
            owner,
            NotificationKind::ProcessingFailed,
            None,
            None,
            None,
            Some(image),
        );
        self.notifications.notify(&notification).await.map(|_| ())
    }

    async fn mentions(
        &self,
        usernames: &[String],
        actor: UserId,
        post_id: PostId,
        comment_id: Option<CommentId>,
    ) -> Result<(), DbError> {
        let Some(post) = self.posts.post(post_id).await? else {
            return Ok(());
        };
        let Some(author) = self.users.user_by_id(post.author_id).await? else {
            return Ok(());
        };
        for username in usernames {
            let Some(mentioned) = self.users.user_by_username(username).await? else {
                continue;
            };
            // Nobody hears of a post they may not open.
            if mentioned.id == actor
                || !self
                    .audience
                    .may_see(Some(mentioned.id), &author, post.visibility)
                    .await?
            {
                continue;
            }
            let notification = Notification::new(
                mentioned.id,
                NotificationKind::Mention,
                Some(actor),
                Some(post_id),
                comment_id,
                None,
            );
            self.notifications.notify(&notification).await?;
        }
        Ok(())
    }

    async fn send(
        &self,
        recipient: UserId,
        kind: NotificationKind,
        actor: UserId,
        post_id: Option<PostId>,
        comment_id: Option<CommentId>,
    ) -> Result<(), DbError> {
        let notification =
            Notification::new(recipient, kind, Some(actor), post_id, comment_id, None);
        self.notifications.notify(&notification).await.map(|_| ())
    }
}
