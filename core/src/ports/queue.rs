//! The queue port: durable, at-least-once delivery of jobs and events.

use std::fmt::Debug;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;

use super::BoxError;

/// Errors every queue backend maps its own into. `Unavailable` and `Other` keep the vendor's error as their
/// `source`, so a log line can show the whole chain; their message says what the adapter was doing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum QueueError {
    /// The receipt is unknown or expired (the message was redelivered to someone else meanwhile).
    #[error("unknown or expired receipt")]
    InvalidReceipt,
    /// Worth trying again later: the backend is unreachable, overloaded or refused us for now.
    #[error("queue unavailable: {message}")]
    Unavailable {
        message: String,
        source: Option<BoxError>,
    },
    #[error("queue error: {message}")]
    Other {
        message: String,
        source: Option<BoxError>,
    },
}

super::source::cause_constructors!(QueueError);

/// A message. `id` is the producer's de-duplication id: publishing the same id twice delivers it once
/// where the backend can tell (the embedded queue and NATS can; SQS standard queues cannot).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub id: String,
    pub topic: String,
    pub payload: Bytes,
}

/// A message handed to a consumer. `attempt` counts deliveries, starting at 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub message: Message,
    pub attempt: u32,
    /// Opaque handle for `ack` / `nack`.
    pub receipt: String,
}

/// How a queue redelivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueSettings {
    /// A delivery not acked within this time is delivered again.
    pub visibility_timeout: Duration,
    /// After this many deliveries without an ack the message is dead-lettered instead.
    pub max_attempts: u32,
}

impl Default for QueueSettings {
    /// Thirty seconds: a worker keeps the lease of a job in hand alive (`Queue::extend`), so the timeout
    /// only decides how soon the jobs of a worker that died come back, not how long a job may take.
    fn default() -> Self {
        Self {
            visibility_timeout: Duration::from_secs(30),
            max_attempts: 5,
        }
    }
}

/// A durable queue of messages by topic.
///
/// # Contract
///
/// - A published message survives the process (and, for the embedded queue, a restart).
/// - `receive` waits up to `wait` and returns at most `max` deliveries of `topic`, each invisible to other
///   consumers for the visibility timeout. Not acked in time, it is delivered again with `attempt` + 1.
/// - `extend` restarts a delivery's visibility timeout from now, so a consumer that calls it well within
///   every timeout keeps the message invisible for as long as it works on it (a heartbeat), while the
///   timeout itself can stay short: the deliveries of a consumer that died come back soon. Extending does
///   not count an attempt and leaves the receipt as it is. A receipt that was settled, whose timeout ran
///   out before the call, or that belongs to an earlier delivery than the current one is `InvalidReceipt`:
///   the consumer lost its lease and someone else may hold the message now.
/// - `ack` removes the message for good. `nack` makes it visible again after `retry_after`.
/// - A message delivered `max_attempts` times and still not acked goes to the dead letters of its topic
///   instead of being delivered again; `dead_letters` lists them.
/// - Delivery is at least once: consumers must be idempotent.
#[async_trait]
pub trait Queue: Send + Sync + Debug {
    fn backend(&self) -> &'static str;

    async fn publish(&self, message: &Message) -> Result<(), QueueError>;

    async fn receive(
        &self,
        topic: &str,
        max: usize,
        wait: Duration,
    ) -> Result<Vec<Delivery>, QueueError>;

    /// Keeps `delivery` invisible for another visibility timeout from now (see the contract).
    async fn extend(&self, delivery: &Delivery) -> Result<(), QueueError>;

    async fn ack(&self, delivery: &Delivery) -> Result<(), QueueError>;

    async fn nack(&self, delivery: &Delivery, retry_after: Duration) -> Result<(), QueueError>;

    async fn dead_letters(&self, topic: &str, limit: usize) -> Result<Vec<Message>, QueueError>;

    async fn ping(&self) -> Result<(), QueueError>;
}
