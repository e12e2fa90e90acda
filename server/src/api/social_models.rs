//! The JSON shapes of the social operations (field names fixed by API.md), and their conversions.

use chrono::{DateTime, Utc};
use darkroom_core::domain::{FollowState, NotificationKind, Page};
use darkroom_core::services::social;
use poem_openapi::{Enum, Object};

use super::models::{ImageView, UserView, VisibilityView};

/// A page of users (followers, follows, follow requests, search results).
#[derive(Debug, Object)]
pub struct UserPage {
    pub items: Vec<UserView>,
    /// Pass as `cursor` for the next page; null at the end.
    #[oai(nullable)]
    pub next_cursor: Option<String>,
}

impl From<Page<social::FollowView>> for UserPage {
    fn from(page: Page<social::FollowView>) -> Self {
        Self {
            items: page.items.into_iter().map(|f| f.user.into()).collect(),
            next_cursor: page.next.map(|c| c.encode()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename = "FollowStatus", rename_all = "lowercase")]
pub enum FollowStatusView {
    /// The caller follows the account.
    Following,
    /// The account is private: the caller's request waits for its answer.
    Requested,
}

/// Where the caller's follow stands.
#[derive(Debug, Object)]
#[oai(rename = "Follow")]
pub struct FollowResult {
    pub status: FollowStatusView,
}

impl From<FollowState> for FollowResult {
    fn from(state: FollowState) -> Self {
        let status = match state {
            FollowState::Active => FollowStatusView::Following,
            FollowState::Requested => FollowStatusView::Requested,
        };
        Self { status }
    }
}

/// A post: one to ten images with a caption.
#[derive(Debug, Object)]
#[oai(rename = "Post")]
pub struct PostView {
    pub id: uuid::Uuid,
    pub author: UserView,
    /// The post's images the caller may see, in the author's order.
    pub images: Vec<ImageView>,
    pub caption: String,
    /// Lowercase, without `#`.
    pub hashtags: Vec<String>,
    /// Usernames, without `@`.
    pub mentions: Vec<String>,
    pub visibility: VisibilityView,
    pub likes_count: u64,
    pub comments_count: u64,
    pub liked_by_me: bool,
    pub created_at: DateTime<Utc>,
}

impl From<social::PostView> for PostView {
    fn from(view: social::PostView) -> Self {
        let post = view.post;
        Self {
            id: post.id.0,
            author: view.author.into(),
            images: view.images.into_iter().map(Into::into).collect(),
            caption: post.caption,
            hashtags: post.hashtags,
            mentions: post.mentions,
            visibility: post.visibility.into(),
            likes_count: post.likes_count,
            comments_count: post.comments_count,
            liked_by_me: view.liked_by_me,
            created_at: post.created_at,
        }
    }
}

/// A page of posts, newest first.
#[derive(Debug, Object)]
pub struct PostPage {
    pub items: Vec<PostView>,
    /// Pass as `cursor` for the next page; null at the end.
    #[oai(nullable)]
    pub next_cursor: Option<String>,
}

impl PostPage {
    pub fn new(items: Vec<social::PostView>, next: Option<darkroom_core::domain::Cursor>) -> Self {
        Self {
            items: items.into_iter().map(Into::into).collect(),
            next_cursor: next.map(|c| c.encode()),
        }
    }
}

#[derive(Debug, Object)]
#[oai(rename = "Comment")]
pub struct CommentView {
    pub id: uuid::Uuid,
    pub post_id: uuid::Uuid,
    pub author: UserView,
    pub text: String,
    pub created_at: DateTime<Utc>,
}

impl From<social::CommentView> for CommentView {
    fn from(view: social::CommentView) -> Self {
        Self {
            id: view.comment.id.0,
            post_id: view.comment.post_id.0,
            author: view.author.into(),
            text: view.comment.text,
            created_at: view.comment.created_at,
        }
    }
}

/// A page of comments, oldest first.
#[derive(Debug, Object)]
pub struct CommentPage {
    pub items: Vec<CommentView>,
    #[oai(nullable)]
    pub next_cursor: Option<String>,
}

impl From<Page<social::CommentView>> for CommentPage {
    fn from(page: Page<social::CommentView>) -> Self {
        Self {
            items: page.items.into_iter().map(Into::into).collect(),
            next_cursor: page.next.map(|c| c.encode()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename = "NotificationKind", rename_all = "snake_case")]
pub enum NotificationKindView {
    Follow,
    FollowRequest,
    FollowAccepted,
    Like,
    Comment,
    Mention,
    ProcessingFailed,
}

impl From<NotificationKind> for NotificationKindView {
    fn from(kind: NotificationKind) -> Self {
        match kind {
            NotificationKind::Follow => Self::Follow,
            NotificationKind::FollowRequest => Self::FollowRequest,
            NotificationKind::FollowAccepted => Self::FollowAccepted,
            NotificationKind::Like => Self::Like,
            NotificationKind::Comment => Self::Comment,
            NotificationKind::Mention => Self::Mention,
            NotificationKind::ProcessingFailed => Self::ProcessingFailed,
        }
    }
}

/// An entry of the caller's inbox.
#[derive(Debug, Object)]
#[oai(rename = "Notification")]
pub struct NotificationView {
    pub id: uuid::Uuid,
    pub kind: NotificationKindView,
    /// Who did it, when someone did.
    #[oai(nullable)]
    pub actor: Option<UserView>,
    #[oai(nullable)]
    pub post_id: Option<uuid::Uuid>,
    #[oai(nullable)]
    pub comment_id: Option<uuid::Uuid>,
    #[oai(nullable)]
    pub image_id: Option<uuid::Uuid>,
    pub read: bool,
    pub created_at: DateTime<Utc>,
}

impl From<social::NotificationView> for NotificationView {
    fn from(view: social::NotificationView) -> Self {
        let n = view.notification;
        Self {
            id: n.id.0,
            kind: n.kind.into(),
            actor: view.actor.map(Into::into),
            post_id: n.post_id.map(|id| id.0),
            comment_id: n.comment_id.map(|id| id.0),
            image_id: n.image_id.map(|id| id.0),
            read: n.read,
            created_at: n.created_at,
        }
    }
}

/// A page of the inbox, newest first, with the count of unread notifications in all.
#[derive(Debug, Object)]
pub struct NotificationPage {
    pub items: Vec<NotificationView>,
    #[oai(nullable)]
    pub next_cursor: Option<String>,
    pub unread_count: u64,
}

impl From<social::InboxPage> for NotificationPage {
    fn from(inbox: social::InboxPage) -> Self {
        Self {
            items: inbox.page.items.into_iter().map(Into::into).collect(),
            next_cursor: inbox.page.next.map(|c| c.encode()),
            unread_count: inbox.unread_count,
        }
    }
}
