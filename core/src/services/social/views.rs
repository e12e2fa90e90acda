//! What the social use cases answer: records joined with what the caller needs to show them.

use crate::domain::{Comment, Follow, Notification, Post, User};
use crate::services::images::ShownImage;

/// How the caller stands to a user (absent for anonymous callers and for the caller's own profile).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ViewerRelation {
    /// The user follows the caller (`Active`).
    pub follows_you: bool,
    /// The caller follows the user (`Active`).
    pub followed_by_you: bool,
    /// The caller asked to follow the user, who has not answered yet.
    pub follow_requested: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UserView {
    pub user: User,
    pub relation: Option<ViewerRelation>,
}

impl UserView {
    /// A user shown without the caller's relation to them (authors of posts, actors of notifications).
    pub fn plain(user: User) -> Self {
        Self {
            user,
            relation: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PostView {
    pub post: Post,
    pub author: User,
    /// The post's images the caller may see, in the post's order.
    pub images: Vec<ShownImage>,
    pub liked_by_me: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CommentView {
    pub comment: Comment,
    pub author: User,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NotificationView {
    pub notification: Notification,
    pub actor: Option<User>,
}

/// A follow (or request) in a list of followers or of follows, with the other user.
#[derive(Debug, Clone, PartialEq)]
pub struct FollowView {
    pub follow: Follow,
    pub user: UserView,
}
