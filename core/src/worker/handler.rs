//! What a kind of job implements to be run by the worker.

use std::fmt::Debug;

use async_trait::async_trait;

use crate::ports::Message;

/// What the worker should do with a delivery after its handler ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobOutcome {
    /// Finished (or nothing left to do, or nothing that can ever be done): ack.
    Done,
    /// A backend hiccup: nack, and try again after the worker's `retry_after`.
    Retry(String),
}

impl JobOutcome {
    /// The `outcome` label of the worker's metrics.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Done => "done",
            Self::Retry(_) => "retry",
        }
    }
}

/// Which delivery of its message a handler is looking at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempt {
    /// Counts deliveries, starting at 1.
    pub number: u32,
    /// The queue's `max_attempts`: after this one fails, the message goes to the dead letters.
    pub max: u32,
}

impl Attempt {
    /// No delivery follows this one: a handler that would retry should settle things for good instead
    /// (fail the image, say), or nothing ever will.
    pub fn is_last(self) -> bool {
        self.number >= self.max
    }
}

/// One kind of job: the topic it consumes and what it does with one message of it.
///
/// # Contract
///
/// - `topic` is constant, and no two handlers given to one worker share a topic.
/// - `handle` is idempotent: a message may be delivered more than once (after a crash, a lost lease or a
///   retry), and handling it again has the effect of handling it once.
/// - `handle` never panics on a malformed payload: a message nobody can read never becomes readable, so the
///   handler logs it and answers `Done` rather than have it retried until it is dead-lettered.
/// - `Retry` on the last attempt sends the message to the dead letters; a handler whose message must not
///   end there unnoticed does its own giving up when `attempt.is_last()`.
#[async_trait]
pub trait JobHandler: Send + Sync + Debug {
    /// The queue topic this handler consumes.
    fn topic(&self) -> &'static str;

    async fn handle(&self, message: &Message, attempt: Attempt) -> JobOutcome;
}
