//! Pulling from a topic's consumer without losing deliveries.
//!
//! A JetStream pull request for `n` messages with an expiry is held by the server until `n` messages went
//! out or the expiry passed, and a message sent to a request nobody reads any more is invisible until
//! `ack_wait` runs out (and then counts one more delivery). So `receive` never abandons a request: it asks
//! with `no_wait` for what is there now (answered at once), and only when that is nothing does it wait, for
//! a single message, then takes whatever else is there with `no_wait` again.

use std::time::Duration;

use async_nats::jetstream::consumer::PullConsumer;
use async_nats::jetstream::Message;
use darkroom_core::ports::QueueError;
use futures::StreamExt;

/// Requests shorter than this are not worth a round trip to the server.
const SHORTEST_WAIT: Duration = Duration::from_millis(5);
/// How long past its expiry the server may take to close a request before it counts as lost.
const GRACE: Duration = Duration::from_secs(3);
/// A `no_wait` request is answered at once; this only bounds a server that does not. (No expiry is sent with
/// it: NATS 2.9 reads `no_wait` plus an expiry as "wait until the expiry for the first message".)
const NO_WAIT_BOUND: Duration = Duration::from_secs(5);

/// Up to `max` messages that are deliverable right now.
pub(super) async fn available(
    consumer: &PullConsumer,
    max: usize,
) -> Result<Vec<Message>, QueueError> {
    if max == 0 {
        return Ok(Vec::new());
    }
    let batch = consumer
        .fetch()
        .max_messages(max)
        .messages()
        .await
        .map_err(|e| QueueError::unavailable_from("nats pull request failed", e))?;
    collect(batch, NO_WAIT_BOUND).await
}

/// The first message to become deliverable within `wait`, if any.
pub(super) async fn one_within(
    consumer: &PullConsumer,
    wait: Duration,
) -> Result<Option<Message>, QueueError> {
    if wait < SHORTEST_WAIT {
        return Ok(None);
    }
    let batch = consumer
        .batch()
        .max_messages(1)
        .expires(wait)
        .messages()
        .await
        .map_err(|e| QueueError::unavailable_from("nats pull request failed", e))?;
    Ok(collect(batch, wait + GRACE).await?.pop())
}

/// Reads a pull request to its end (its `max` messages, or the server's 404/408 status). Messages that
/// arrived before a failure are still returned: they were delivered, and dropping them would only hide them
/// until the visibility timeout.
async fn collect(
    mut batch: async_nats::jetstream::consumer::pull::Batch,
    bound: Duration,
) -> Result<Vec<Message>, QueueError> {
    let deadline = tokio::time::Instant::now() + bound;
    let mut messages = Vec::new();
    let failure = loop {
        match tokio::time::timeout_at(deadline, batch.next()).await {
            Ok(Some(Ok(message))) => messages.push(message),
            Ok(None) => return Ok(messages),
            Ok(Some(Err(e))) => break QueueError::other_from("nats pull failed", e),
            Err(_) => break QueueError::unavailable("nats did not answer a pull request in time"),
        }
    };
    if messages.is_empty() {
        return Err(failure);
    }
    tracing::warn!(error = %failure, received = messages.len(), "nats pull ended early");
    Ok(messages)
}
