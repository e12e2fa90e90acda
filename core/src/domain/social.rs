//! The social records: follows, posts, likes, comments, timeline entries and notifications.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{CommentId, ImageId, NotificationId, PostId, UserId, Visibility};

/// Where a follow stands. A follow of a private account starts `Requested` and becomes `Active` when the
/// account accepts it; a refused request is deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FollowState {
    Active,
    Requested,
}

impl FollowState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Requested => "requested",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(Self::Active),
            "requested" => Some(Self::Requested),
            _ => None,
        }
    }
}

/// `follower` follows (or asked to follow) `followee`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Follow {
    pub follower_id: UserId,
    pub followee_id: UserId,
    pub state: FollowState,
    /// When the follow was made, or the request accepted: lists of followers are newest first by it.
    pub created_at: DateTime<Utc>,
}

/// A post: one to ten of its author's images with a caption.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Post {
    pub id: PostId,
    pub author_id: UserId,
    /// In the order the author gave them.
    pub image_ids: Vec<ImageId>,
    pub caption: String,
    /// Lowercase, without the `#`, in order of first appearance, each once.
    pub hashtags: Vec<String>,
    /// Usernames (lowercase, without the `@`), in order of first appearance, each once.
    pub mentions: Vec<String>,
    pub visibility: Visibility,
    pub likes_count: u64,
    pub comments_count: u64,
    /// Whether the post was written into its author's followers' timelines (fan-out on write). An author
    /// above the celebrity threshold is not fanned out: their posts are merged in when a timeline is read.
    /// Decided once, when the post is created, so that every post is in exactly one of the two paths.
    pub fanned_out: bool,
    pub created_at: DateTime<Utc>,
}

/// A comment on a post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub id: CommentId,
    pub post_id: PostId,
    pub author_id: UserId,
    pub text: String,
    pub created_at: DateTime<Utc>,
}

/// A post in someone's precomputed home timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimelineEntry {
    pub post_id: PostId,
    pub author_id: UserId,
    /// The post's creation time: timelines are newest first by (created_at, post_id).
    pub created_at: DateTime<Utc>,
}

impl From<&Post> for TimelineEntry {
    fn from(post: &Post) -> Self {
        Self {
            post_id: post.id,
            author_id: post.author_id,
            created_at: post.created_at,
        }
    }
}

/// What a notification is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NotificationKind {
    Follow,
    FollowRequest,
    FollowAccepted,
    Like,
    Comment,
    Mention,
    ProcessingFailed,
}

impl NotificationKind {
    pub const ALL: [Self; 7] = [
        Self::Follow,
        Self::FollowRequest,
        Self::FollowAccepted,
        Self::Like,
        Self::Comment,
        Self::Mention,
        Self::ProcessingFailed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Follow => "follow",
            Self::FollowRequest => "follow_request",
            Self::FollowAccepted => "follow_accepted",
            Self::Like => "like",
            Self::Comment => "comment",
            Self::Mention => "mention",
            Self::ProcessingFailed => "processing_failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == s)
    }
}

/// An entry of a user's inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub id: NotificationId,
    pub recipient_id: UserId,
    pub kind: NotificationKind,
    pub actor_id: Option<UserId>,
    pub post_id: Option<PostId>,
    pub comment_id: Option<CommentId>,
    pub image_id: Option<ImageId>,
    /// Identifies what the notification is about among the recipient's: a second notification with the
    /// same key is the same news (a redelivered event, a like taken back and given again) and is not stored.
    pub dedup_key: String,
    pub read: bool,
    pub created_at: DateTime<Utc>,
}

impl Notification {
    /// A new, unread notification whose key is built from everything it points at.
    pub fn new(
        recipient_id: UserId,
        kind: NotificationKind,
        actor_id: Option<UserId>,
        post_id: Option<PostId>,
        comment_id: Option<CommentId>,
        image_id: Option<ImageId>,
    ) -> Self {
        let part =
            |id: Option<uuid::Uuid>| id.map(|id| id.simple().to_string()).unwrap_or_default();
        let dedup_key = format!(
            "{}:{}:{}:{}:{}",
            kind.as_str(),
            part(actor_id.map(|id| id.0)),
            part(post_id.map(|id| id.0)),
            part(comment_id.map(|id| id.0)),
            part(image_id.map(|id| id.0)),
        );
        Self {
            id: NotificationId::new(),
            recipient_id,
            kind,
            actor_id,
            post_id,
            comment_id,
            image_id,
            dedup_key,
            read: false,
            created_at: Utc::now(),
        }
    }
}
