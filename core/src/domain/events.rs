//! Domain events: facts the social use cases publish (through the outbox, in the transaction that made
//! them true) for the timeline, notification and search handlers.
//!
//! An event names what changed, not its new state: a handler reads the state as it is now, so a redelivered
//! or late event does the same thing as the first copy, and events that arrive out of order still leave the
//! read models right.

use bytes::Bytes;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{CommentId, OutboxMessage, PostId, UserId};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// An account was registered.
    UserCreated { user_id: UserId },
    /// A profile changed (names, privacy, avatar).
    UserUpdated { user_id: UserId },
    /// A post was published.
    PostCreated { post_id: PostId, author_id: UserId },
    /// A post was deleted (it no longer exists when the event is handled).
    PostDeleted { post_id: PostId, author_id: UserId },
    /// The follow of `followee` by `follower` was made, requested, accepted or removed. `accepted` says a
    /// request became a follow (the follower is told).
    FollowChanged {
        follower_id: UserId,
        followee_id: UserId,
        #[serde(default)]
        accepted: bool,
    },
    /// `user_id` liked a post.
    PostLiked { post_id: PostId, user_id: UserId },
    /// A comment was written.
    CommentCreated {
        comment_id: CommentId,
        post_id: PostId,
        author_id: UserId,
    },
}

impl Event {
    pub const USER_CREATED: &'static str = "user.created";
    pub const USER_UPDATED: &'static str = "user.updated";
    pub const POST_CREATED: &'static str = "post.created";
    pub const POST_DELETED: &'static str = "post.deleted";
    pub const FOLLOW_CHANGED: &'static str = "follow.changed";
    pub const POST_LIKED: &'static str = "post.liked";
    pub const COMMENT_CREATED: &'static str = "comment.created";

    /// Every topic events travel on, for queues that provision topics up front.
    pub const TOPICS: [&'static str; 7] = [
        Self::USER_CREATED,
        Self::USER_UPDATED,
        Self::POST_CREATED,
        Self::POST_DELETED,
        Self::FOLLOW_CHANGED,
        Self::POST_LIKED,
        Self::COMMENT_CREATED,
    ];

    pub fn topic(&self) -> &'static str {
        match self {
            Self::UserCreated { .. } => Self::USER_CREATED,
            Self::UserUpdated { .. } => Self::USER_UPDATED,
            Self::PostCreated { .. } => Self::POST_CREATED,
            Self::PostDeleted { .. } => Self::POST_DELETED,
            Self::FollowChanged { .. } => Self::FOLLOW_CHANGED,
            Self::PostLiked { .. } => Self::POST_LIKED,
            Self::CommentCreated { .. } => Self::COMMENT_CREATED,
        }
    }

    pub fn to_bytes(&self) -> Bytes {
        // Serialising a plain enum of ids cannot fail.
        Bytes::from(serde_json::to_vec(self).unwrap_or_default())
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(bytes)
    }

    /// The outbox row that publishes this event, carrying the current trace context (see `trace_context`).
    pub fn to_outbox(&self) -> OutboxMessage {
        OutboxMessage {
            id: Uuid::now_v7(),
            topic: self.topic().to_owned(),
            payload: crate::trace_context::stamp_current(self.to_bytes()),
            created_at: Utc::now(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip_on_their_topic() {
        let event = Event::FollowChanged {
            follower_id: UserId::new(),
            followee_id: UserId::new(),
            accepted: true,
        };
        let message = event.to_outbox();
        assert_eq!(message.topic, "follow.changed");
        assert_eq!(Event::from_bytes(&message.payload).unwrap(), event);
        assert!(Event::TOPICS.contains(&event.topic()));
    }
}
