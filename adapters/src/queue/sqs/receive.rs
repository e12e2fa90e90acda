//! Receiving: long polls for whole seconds of the wait, short polls for what is left of it; and peeking at
//! the dead letters without taking them away.

use std::collections::HashSet;
use std::time::Duration;

use aws_sdk_sqs::types::{ChangeMessageVisibilityBatchRequestEntry, MessageSystemAttributeName};
use darkroom_core::ports::{Delivery, Message, QueueError};
use tokio::time::Instant;

use super::{codec, leases, SqsQueue};

/// SQS's longest long poll.
const MAX_WAIT_SECS: u64 = 20;
/// SQS's most messages per receive.
const MAX_BATCH: usize = 10;
/// Between short polls, for the part of a wait shorter than the one second a long poll can wait.
const SHORT_POLL_INTERVAL: Duration = Duration::from_millis(200);
/// How long a dead letter stays hidden while `dead_letters` pages through them (it is made visible again
/// right after; this only matters if that fails).
const PEEK_VISIBILITY_SECS: i32 = 10;

impl SqsQueue {
    /// Receives from the queue at `url` until something arrives or `wait` is over.
    pub(super) async fn receive_until(
        &self,
        url: &str,
        topic: &str,
        max: usize,
        wait: Duration,
    ) -> Result<Vec<Delivery>, QueueError> {
        let deadline = Instant::now() + wait;
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            let wait_secs = remaining.as_secs().min(MAX_WAIT_SECS);
            let batch = self.receive_once(url, topic, max, wait_secs).await?;
            let remaining = deadline.saturating_duration_since(Instant::now());
            if !batch.is_empty() || remaining.is_zero() {
                return Ok(batch);
            }
            if remaining < Duration::from_secs(1) {
                tokio::time::sleep(remaining.min(SHORT_POLL_INTERVAL)).await;
            }
        }
    }

    async fn receive_once(
        &self,
        url: &str,
        topic: &str,
        max: usize,
        wait_secs: u64,
    ) -> Result<Vec<Delivery>, QueueError> {
        let asked_ms = leases::now_ms();
        let received = self
            .client
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(batch_size(max))
            .wait_time_seconds(i32::try_from(wait_secs).unwrap_or(0))
            .visibility_timeout(self.visibility_secs)
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .message_attribute_names("All")
            .send()
            .await
            .map_err(|e| self.call_failed(e, url, "receiving"))?;
        let visibility_ms = u64::from(self.visibility_secs.unsigned_abs()) * 1000;
        let deadline_ms = leases::lease_start(asked_ms, leases::now_ms()) + visibility_ms;
        let deliveries = received
            .messages()
            .iter()
            .filter_map(|received| {
                let handle = received.receipt_handle()?;
                let attempt = received
                    .attributes()
                    .and_then(|all| all.get(&MessageSystemAttributeName::ApproximateReceiveCount))
                    .and_then(|count| count.parse().ok())
                    .unwrap_or(1);
                Some(Delivery {
                    message: codec::decode(topic, received),
                    attempt,
                    receipt: leases::receipt(handle, deadline_ms),
                })
            })
            .collect();
        Ok(deliveries)
    }

    /// Up to `limit` messages of the dead-letter queue at `url`, left where they are. Each page is hidden
    /// while the next is read (so paging moves on), then everything is made visible again.
    pub(super) async fn peek(
        &self,
        url: &str,
        topic: &str,
        limit: usize,
    ) -> Result<Vec<Message>, QueueError> {
        let mut seen = HashSet::new();
        let mut found = Vec::new();
        let mut handles = Vec::new();
        while found.len() < limit {
            // The first call long-polls for a second: a short poll asks only some of SQS's servers.
            let wait_secs = if handles.is_empty() { 1 } else { 0 };
            let received = self
                .client
                .receive_message()
                .queue_url(url)
                .max_number_of_messages(batch_size(limit - found.len()))
                .wait_time_seconds(wait_secs)
                .visibility_timeout(PEEK_VISIBILITY_SECS)
                .message_attribute_names("All")
                .send()
                .await;
            let received = match received {
                Ok(received) => received,
                Err(e) => {
                    self.unhide(url, &handles).await;
                    return Err(self.call_failed(e, url, "reading dead letters"));
                }
            };
            if received.messages().is_empty() {
                break;
            }
            let before = found.len();
            for message in received.messages() {
                handles.extend(message.receipt_handle().map(str::to_owned));
                if seen.insert(message.message_id().unwrap_or_default().to_owned()) {
                    found.push(codec::decode(topic, message));
                }
            }
            // Only messages seen already: the server does not hide them, and paging would go round.
            if found.len() == before {
                break;
            }
        }
        self.unhide(url, &handles).await;
        found.truncate(limit);
        Ok(found)
    }

    /// Makes peeked messages visible again. A failure is logged, not returned: they reappear by
    /// themselves after `PEEK_VISIBILITY_SECS`.
    async fn unhide(&self, url: &str, handles: &[String]) {
        for chunk in handles.chunks(MAX_BATCH) {
            let mut request = self.client.change_message_visibility_batch().queue_url(url);
            for (i, handle) in chunk.iter().enumerate() {
                let entry = ChangeMessageVisibilityBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(handle)
                    .visibility_timeout(0)
                    .build();
                match entry {
                    Ok(entry) => request = request.entries(entry),
                    Err(e) => tracing::warn!(error = %e, "could not build a visibility change"),
                }
            }
            match request.send().await {
                Ok(done) if done.failed().is_empty() => {}
                Ok(done) => tracing::warn!(
                    queue = url,
                    failed = done.failed().len(),
                    "could not make some dead letters visible again"
                ),
                Err(e) => tracing::warn!(
                    queue = url,
                    error = %darkroom_core::ports::source::chain(&e),
                    "could not make dead letters visible again"
                ),
            }
        }
    }
}

fn batch_size(wanted: usize) -> i32 {
    i32::try_from(wanted.clamp(1, MAX_BATCH)).unwrap_or(1)
}
