//! Queue calls as a wrapper of the queue port: the calls a job's life is made of (publish, extend, ack,
//! nack) timed by operation and outcome into `queue_operation_duration_seconds`, and how long each delivered
//! message waited since it was written (its id is a UUIDv7, whose first 48 bits are that instant) into
//! `queue_message_wait_seconds` by topic: a queue that falls behind shows there before its jobs time out.
//!
//! `receive` is not timed: it is a long poll, whose time is how long the queue stayed empty. Topics are
//! labels only from the fixed set of jobs' and events' topics; anything else is `other`.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use darkroom_core::ports::{Delivery, Message, Queue, QueueError};

const DURATION: &str = "queue_operation_duration_seconds";
const WAIT: &str = "queue_message_wait_seconds";
const DELIVERED: &str = "queue_messages_delivered_total";

#[derive(Debug)]
pub struct MeteredQueue {
    inner: Arc<dyn Queue>,
}

impl MeteredQueue {
    pub fn new(inner: Arc<dyn Queue>) -> Self {
        metrics::describe_histogram!(
            DURATION,
            metrics::Unit::Seconds,
            "queue backend calls (publish, extend, ack, nack), by operation and outcome"
        );
        metrics::describe_histogram!(
            WAIT,
            metrics::Unit::Seconds,
            "how long a delivered message waited since it was written, by topic"
        );
        metrics::describe_counter!(DELIVERED, "deliveries handed to consumers, by topic");
        Self { inner }
    }
}

/// The topic as a label: one of the topics Darkroom publishes, or `other`.
fn topic_label(topic: &str) -> &'static str {
    darkroom_core::domain::all_topics()
        .find(|known| *known == topic)
        .unwrap_or("other")
}

/// How long ago the message's UUIDv7 id was minted; none for ids of another kind or from the future.
fn waited(message: &Message) -> Option<Duration> {
    let id = uuid::Uuid::parse_str(&message.id).ok()?;
    let (seconds, nanos) = id.get_timestamp()?.to_unix();
    let written = UNIX_EPOCH + Duration::new(seconds, nanos);
    SystemTime::now().duration_since(written).ok()
}

fn record<T>(operation: &'static str, started: Instant, result: &Result<T, QueueError>) {
    let outcome = match result {
        Ok(_) => "ok",
        Err(QueueError::InvalidReceipt) => "invalid_receipt",
        Err(_) => "error",
    };
    metrics::histogram!(DURATION, "operation" => operation, "outcome" => outcome)
        .record(started.elapsed().as_secs_f64());
}

#[async_trait]
impl Queue for MeteredQueue {
    fn backend(&self) -> &'static str {
        self.inner.backend()
    }

    async fn publish(&self, message: &Message) -> Result<(), QueueError> {
        let started = Instant::now();
        let result = self.inner.publish(message).await;
        record("publish", started, &result);
        result
    }

    async fn receive(
        &self,
        topic: &str,
        max: usize,
        wait: Duration,
    ) -> Result<Vec<Delivery>, QueueError> {
        let deliveries = self.inner.receive(topic, max, wait).await?;
        let label = topic_label(topic);
        if !deliveries.is_empty() {
            metrics::counter!(DELIVERED, "topic" => label).increment(deliveries.len() as u64);
        }
        // First deliveries only: a redelivery's wait includes its earlier attempts and back-off.
        for delivery in deliveries.iter().filter(|d| d.attempt == 1) {
            if let Some(waited) = waited(&delivery.message) {
                metrics::histogram!(WAIT, "topic" => label).record(waited.as_secs_f64());
            }
        }
        Ok(deliveries)
    }

    async fn extend(&self, delivery: &Delivery) -> Result<(), QueueError> {
        let started = Instant::now();
        let result = self.inner.extend(delivery).await;
        record("extend", started, &result);
        result
    }

    async fn ack(&self, delivery: &Delivery) -> Result<(), QueueError> {
        let started = Instant::now();
        let result = self.inner.ack(delivery).await;
        record("ack", started, &result);
        result
    }

    async fn nack(&self, delivery: &Delivery, retry_after: Duration) -> Result<(), QueueError> {
        let started = Instant::now();
        let result = self.inner.nack(delivery, retry_after).await;
        record("nack", started, &result);
        result
    }

    async fn dead_letters(&self, topic: &str, limit: usize) -> Result<Vec<Message>, QueueError> {
        self.inner.dead_letters(topic, limit).await
    }

    async fn ping(&self) -> Result<(), QueueError> {
        self.inner.ping().await
    }
}

#[cfg(test)]
mod tests {
    use darkroom_core::domain::{Event, ImageReady, Job};

    use super::*;

    #[test]
    fn topics_are_labels_only_from_the_known_set() {
        assert_eq!(topic_label(Job::PROCESS_TOPIC), Job::PROCESS_TOPIC);
        assert_eq!(topic_label(Event::TOPICS[0]), Event::TOPICS[0]);
        assert_eq!(topic_label(ImageReady::TOPIC), "image.ready");
        assert_eq!(topic_label("made-up"), "other");
    }

    #[test]
    fn a_uuid_v7_id_tells_how_long_its_message_waited() {
        let message = Message {
            id: uuid::Uuid::now_v7().to_string(),
            topic: Job::PROCESS_TOPIC.into(),
            payload: bytes::Bytes::new(),
        };
        let waited = waited(&message).expect("a v7 id has a time");
        assert!(waited < Duration::from_secs(60), "{waited:?}");
        let v4 = Message {
            id: uuid::Uuid::new_v4().to_string(),
            ..message
        };
        assert_eq!(super::waited(&v4), None);
    }
}
