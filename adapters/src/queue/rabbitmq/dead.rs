//! Listing a topic's dead letters without taking them: `basic.get` up to `limit` of them on a channel of
//! its own, then nack them all with requeue, which puts them back where they were (a classic queue keeps a
//! requeued message's place). A listing running at the same moment sees only what this one is not holding.

use bytes::Bytes;
use darkroom_core::ports::{Message, QueueError};
use lapin::options::{BasicGetOptions, BasicNackOptions};
use lapin::Channel;

use super::consume::message_id;
use super::link::{broker_error, is_not_found, within, REQUEST_TIMEOUT};

pub(super) async fn list(
    channel: &Channel,
    queue: &str,
    topic: &str,
    limit: usize,
) -> Result<Vec<Message>, QueueError> {
    let mut dead = Vec::new();
    let mut last_tag = None;
    while dead.len() < limit {
        let got = tokio::time::timeout(
            REQUEST_TIMEOUT,
            channel.basic_get(queue, BasicGetOptions { no_ack: false }),
        )
        .await
        .map_err(|_| QueueError::unavailable("rabbitmq did not answer a get"))?;
        let message = match got {
            Ok(Some(message)) => message,
            Ok(None) => break,
            // No dead letter yet: the topic's dead-letter queue is declared with the topic.
            Err(e) if is_not_found(&e) => return Ok(Vec::new()),
            Err(e) => return Err(broker_error(&format!("get from {queue}"), &e)),
        };
        last_tag = Some(message.delivery.delivery_tag);
        let last = message.message_count == 0;
        dead.push(Message {
            id: message_id(&message.delivery.properties),
            topic: topic.to_owned(),
            payload: Bytes::from(message.delivery.data),
        });
        if last {
            break;
        }
    }
    if let Some(tag) = last_tag {
        let all_back = BasicNackOptions {
            multiple: true,
            requeue: true,
        };
        within("return dead letters", channel.basic_nack(tag, all_back)).await?;
    }
    Ok(dead)
}
