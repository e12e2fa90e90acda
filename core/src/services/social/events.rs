//! The handlers of social events, one per topic, as the worker runs them. Each reads the state as it is
//! now and writes idempotently, so redelivery (at-least-once) changes nothing twice.

use std::sync::Arc;

use async_trait::async_trait;

use super::{Inbox, SearchIndexer, Timelines};
use crate::domain::Event;
use crate::ports::Message;
use crate::services::ServiceError;
use crate::worker::{Attempt, JobHandler, JobOutcome};

/// What the event handlers share.
#[derive(Debug, Clone)]
pub struct EventHandlers {
    pub timelines: Timelines,
    pub inbox: Inbox,
    pub indexer: SearchIndexer,
}

impl EventHandlers {
    /// One handler per event topic.
    pub fn handlers(self) -> Vec<Arc<dyn JobHandler>> {
        let shared = Arc::new(self);
        Event::TOPICS
            .into_iter()
            .map(|topic| {
                Arc::new(EventHandler {
                    topic,
                    reactions: shared.clone(),
                }) as Arc<dyn JobHandler>
            })
            .collect()
    }

    /// Everything an event sets off. Each reaction is idempotent, so a retry after a partial failure redoes
    /// the ones that had already succeeded harmlessly.
    pub async fn react(&self, event: &Event) -> Result<(), ServiceError> {
        match *event {
            Event::UserCreated { user_id } | Event::UserUpdated { user_id } => {
                self.indexer.reindex(user_id).await
            }
            Event::PostCreated { post_id, .. } => {
                self.timelines.fan_out(post_id).await?;
                Ok(self.inbox.post_created(post_id).await?)
            }
            Event::PostDeleted { post_id, .. } => {
                self.timelines.remove(post_id).await?;
                Ok(())
            }
            Event::FollowChanged {
                follower_id,
                followee_id,
                accepted,
            } => {
                self.timelines
                    .follow_changed(follower_id, followee_id)
                    .await?;
                Ok(self
                    .inbox
                    .follow_changed(follower_id, followee_id, accepted)
                    .await?)
            }
            Event::PostLiked { post_id, user_id } => {
                Ok(self.inbox.post_liked(post_id, user_id).await?)
            }
            Event::CommentCreated { comment_id, .. } => {
                Ok(self.inbox.comment_created(comment_id).await?)
            }
        }
    }
}

/// The worker's handler of one event topic.
#[derive(Debug)]
struct EventHandler {
    topic: &'static str,
    reactions: Arc<EventHandlers>,
}

#[async_trait]
impl JobHandler for EventHandler {
    fn topic(&self) -> &'static str {
        self.topic
    }

    async fn handle(&self, message: &Message, _attempt: Attempt) -> JobOutcome {
        let event = match Event::from_bytes(&message.payload) {
            Ok(event) if event.topic() == self.topic => event,
            other => {
                // Unreadable or misrouted: retrying cannot make it readable.
                tracing::error!(topic = self.topic, id = %message.id, parsed = ?other.ok(), "dropping an event this handler cannot read");
                return JobOutcome::Done;
            }
        };
        match self.reactions.react(&event).await {
            Ok(()) => JobOutcome::Done,
            Err(err) => JobOutcome::Retry(crate::ports::source::chain(&err)),
        }
    }
}
