//! From pulled messages to deliveries, and settling them: leases are granted as messages are handed out
//! and taken when a receipt is used.

use async_nats::client::RequestErrorKind;
use async_nats::jetstream;
use bytes::Bytes;
use darkroom_core::ports::source::chain;
use darkroom_core::ports::{Delivery, Message, QueueError};
use tokio::time::Instant;

use super::dead::message_id;
use super::leases::Lease;
use super::{pull, NatsQueue};

impl NatsQueue {
    /// Up to `max` deliveries of `topic`, waiting until `deadline` for the first.
    pub(super) async fn pull(
        &self,
        topic: &str,
        max: usize,
        deadline: Instant,
    ) -> Result<Vec<Delivery>, QueueError> {
        let consumer = self.consumer(topic).await?;
        loop {
            let mut messages = pull::available(&consumer, max).await?;
            if messages.is_empty() {
                let wait = deadline.saturating_duration_since(Instant::now());
                let Some(first) = pull::one_within(&consumer, wait).await? else {
                    return Ok(Vec::new());
                };
                messages.push(first);
                // The first is in hand whatever happens to the rest.
                match pull::available(&consumer, max - 1).await {
                    Ok(more) => messages.extend(more),
                    Err(e) => {
                        tracing::warn!(error = %chain(&e), topic, "nats pull after the first failed")
                    }
                }
            }
            let deliveries = self.accept(topic, messages).await;
            if !deliveries.is_empty() || Instant::now() >= deadline {
                return Ok(deliveries);
            }
        }
    }

    /// Turns messages into deliveries, moving those past their last attempt to the dead letters.
    async fn accept(&self, topic: &str, messages: Vec<jetstream::Message>) -> Vec<Delivery> {
        let mut deliveries = Vec::with_capacity(messages.len());
        for message in messages {
            let (sequence, delivered) = match message.info() {
                Ok(info) => (info.stream_sequence, info.delivered),
                Err(e) => {
                    tracing::warn!(error = %e, topic, "nats delivery without ack metadata skipped");
                    continue;
                }
            };
            let Some(receipt) = message.reply.as_ref().map(|reply| reply.to_string()) else {
                continue;
            };
            let id = message_id(&message.message, sequence);
            let attempt = u32::try_from(delivered).unwrap_or(u32::MAX);
            if attempt > self.settings.max_attempts {
                // If this fails the server delivers it again after ack_wait, and we try again then.
                if let Err(e) = self.bury(topic, &id, &message.payload, &receipt).await {
                    tracing::warn!(error = %chain(&e), topic, id, "could not dead-letter an exhausted message");
                }
                continue;
            }
            let now = Instant::now();
            let lease = Lease {
                sequence,
                expires_at: now + self.settings.visibility_timeout,
            };
            self.leases.grant(&receipt, lease, now);
            deliveries.push(Delivery {
                message: Message {
                    id,
                    topic: topic.to_owned(),
                    payload: message.payload.clone(),
                },
                attempt,
                receipt,
            });
        }
        deliveries
    }

    /// Sends an ack-protocol body to a delivery's reply subject and waits for the server to take it.
    pub(super) async fn settle(&self, receipt: &str, body: &str) -> Result<(), QueueError> {
        self.client
            .request(receipt.to_owned(), Bytes::from(body.to_owned()))
            .await
            .map(|_| ())
            .map_err(|e| match e.kind() {
                // Nobody answers for a consumer that no longer exists: nothing left to settle.
                RequestErrorKind::NoResponders => QueueError::InvalidReceipt,
                _ => QueueError::unavailable_from(format!("nats did not take {body}"), e),
            })
    }

    /// Restarts a held delivery's `ack_wait` on the server (`+WPI`, "work in progress"), then its lease
    /// here, dated from before the request so that the adapter never thinks it holds longer than the server.
    pub(super) async fn extend_lease(&self, delivery: &Delivery) -> Result<(), QueueError> {
        let asked = Instant::now();
        // A stale receipt's `+WPI` would extend whoever holds the message now: refuse it here.
        if !self.leases.holds(&delivery.receipt, asked) {
            return Err(QueueError::InvalidReceipt);
        }
        self.settle(&delivery.receipt, "+WPI").await?;
        let expires_at = asked + self.settings.visibility_timeout;
        if !self
            .leases
            .renew(&delivery.receipt, Instant::now(), expires_at)
        {
            return Err(QueueError::InvalidReceipt);
        }
        Ok(())
    }

    /// Settles a leased receipt; a lease whose settlement did not get through is kept for a retry.
    pub(super) async fn settle_leased(
        &self,
        delivery: &Delivery,
        settlement: impl std::future::Future<Output = Result<(), QueueError>>,
    ) -> Result<(), QueueError> {
        let lease = self
            .leases
            .take(&delivery.receipt, Instant::now())
            .ok_or(QueueError::InvalidReceipt)?;
        let result = settlement.await;
        if let Err(QueueError::Unavailable { .. }) = &result {
            self.leases.restore(&delivery.receipt, lease);
        }
        result
    }
}
