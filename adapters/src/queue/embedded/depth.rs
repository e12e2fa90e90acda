//! `QueueDepth` for the embedded queue: one aggregate over the topic's `ready` rows (waiting, or delivered
//! and not settled yet), served by the `(topic, state, visible_at)` index. A message whose attempts ran out
//! but which no `receive` has buried yet is still `ready`, and so still counted: it is still undone.

use std::time::Duration;

use async_trait::async_trait;
use darkroom_core::ports::{QueueDepth, QueueError, TopicDepth};

use super::{now_micros, queue_error, EmbeddedQueue};

#[async_trait]
impl QueueDepth for EmbeddedQueue {
    async fn depth(&self, topic: &str) -> Result<TopicDepth, QueueError> {
        let (messages, oldest): (i64, Option<i64>) = sqlx::query_as(
            "SELECT COUNT(*), MIN(created_at) FROM queue_messages WHERE topic = ?1 AND state = 'ready'",
        )
        .bind(topic)
        .fetch_one(&self.pool)
        .await
        .map_err(queue_error)?;
        let waited = oldest.map_or(0, |created| now_micros().saturating_sub(created));
        Ok(TopicDepth {
            messages: u64::try_from(messages).unwrap_or(0),
            oldest_age: Some(Duration::from_micros(u64::try_from(waited).unwrap_or(0))),
        })
    }
}
