//! `QueueDepth` on RabbitMQ: a passive `queue.declare` of the topic's queue, whose answer carries its
//! message count. AMQP says no more: the count is of the messages ready for delivery, so the ones a consumer
//! holds (in a job, or kept back by a delayed `nack`) are not in it, and AMQP tells nothing of their ages,
//! so `oldest_age` is unknown (the management plugin's HTTP API knows neither more cheaply: it has no
//! per-message timestamps). A queue that does not exist yet holds nothing; asking creates nothing.

use async_trait::async_trait;
use darkroom_core::ports::{QueueDepth, QueueError, TopicDepth};
use lapin::options::QueueDeclareOptions;
use lapin::types::FieldTable;

use super::link::{broker_error, is_not_found, REQUEST_TIMEOUT};
use super::RabbitQueue;

#[async_trait]
impl QueueDepth for RabbitQueue {
    async fn depth(&self, topic: &str) -> Result<TopicDepth, QueueError> {
        let queue = self.names.jobs_queue(topic)?;
        // Its own channel: a passive declare of a missing queue closes the channel it was made on.
        let channel = self.link.channel().await?;
        let passive = QueueDeclareOptions {
            passive: true,
            ..QueueDeclareOptions::default()
        };
        let declared = tokio::time::timeout(
            REQUEST_TIMEOUT,
            channel.queue_declare(&queue, passive, FieldTable::default()),
        )
        .await
        .map_err(|_| QueueError::unavailable(format!("rabbitmq did not count {queue}")))?;
        let messages = match declared {
            Ok(found) => {
                let _ = channel.close(200, "counted").await;
                u64::from(found.message_count())
            }
            Err(e) if is_not_found(&e) => 0,
            Err(e) => return Err(broker_error(&format!("count {queue}"), &e)),
        };
        Ok(TopicDepth {
            messages,
            oldest_age: None,
        })
    }
}
