//! How much work waits in a queue, for the operator's gauges (`queue_depth_messages`,
//! `queue_oldest_message_age_seconds`). A capability of its own rather than a method of `Queue`: messaging
//! does not need it, and a backend answers it with calls of its own (stream info, a passive declare, queue
//! attributes) that a deployment may even deny to some roles.

use std::fmt::Debug;
use std::time::Duration;

use async_trait::async_trait;

use super::QueueError;

/// One topic's backlog as its backend counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TopicDepth {
    /// Messages published and neither acked nor dead-lettered yet; whether the ones a consumer holds right
    /// now are counted is the backend's (see its adapter).
    pub messages: u64,
    /// How long the oldest of them has waited since it was published: zero when there are none, `None`
    /// when the backend cannot tell (then no age gauge is exported for it at all, rather than a wrong one).
    pub oldest_age: Option<Duration>,
}

/// The backlog of a topic.
///
/// # Contract
/// - `depth` only reads: it neither consumes, nor delays, nor creates anything a later `publish` or
///   `receive` would notice. A topic nobody has used yet has a depth of zero.
/// - After `n` messages are published to a topic and none received, `messages >= n` (other publishers may
///   add to it; approximate backends such as SQS may take a moment to count them).
/// - Once every message of a topic was received and acked, `messages` comes back to zero (again, for an
///   approximate backend, within moments).
/// - `oldest_age`, when the backend knows it, is `Some(ZERO)` for an empty topic and otherwise at least the
///   time since the oldest message still there was published.
#[async_trait]
pub trait QueueDepth: Send + Sync + Debug {
    async fn depth(&self, topic: &str) -> Result<TopicDepth, QueueError>;
}
