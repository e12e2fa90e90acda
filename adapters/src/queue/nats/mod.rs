//! The NATS JetStream queue: `nats://host:port[?namespace=NAME]`.
//!
//! Each namespace has a work-queue stream of jobs (`{ns}.jobs.{topic}`, file storage, a one-hour duplicate
//! window keyed by the `Nats-Msg-Id` header) and a stream of dead letters (`{ns}.dead.{topic}`). Each topic
//! has a durable pull consumer with explicit acks whose `ack_wait` is the visibility timeout.
//!
//! - `attempt` is the delivery count JetStream writes into every delivery's reply subject.
//! - The receipt is that reply subject: an ack is `+ACK` sent to it, a nack `-NAK` (with a delay), an
//!   extension `+WPI` (which restarts `ack_wait`), all as requests so the server confirms them. Which receipts are still good is tracked here (see `leases`).
//! - A delivery numbered `max_attempts + 1` is never handed out: the adapter copies it to the dead letters
//!   and terminates it. A nack of the last attempt does the same at once.
//!
//! Limits: a receipt only settles through the adapter that received it (a stale receipt from another
//! process cannot be told from a good one by the server, so it is refused). A message whose attempts ran
//! out by timeout moves to the dead letters when some consumer next pulls the topic, not before. A
//! `receive` cancelled while it waits leaves its pull request on the server until it expires; a message
//! sent to it then stays invisible for the visibility timeout and counts one delivery.

mod address;
mod dead;
mod deliveries;
mod depth;
mod leases;
mod pull;
mod setup;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use async_nats::jetstream::consumer::PullConsumer;
use async_nats::{jetstream, ConnectOptions};
use async_trait::async_trait;
use darkroom_core::ports::{Delivery, Message, Queue, QueueError, QueueSettings};
use tokio::time::Instant;

use self::address::Names;
use self::dead::{headers, publish_error};
use self::leases::Leases;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// Carries the producer's id as given; `Nats-Msg-Id` carries `{topic} {id}`, since JetStream de-duplicates
/// per stream and the same id in two topics is two messages.
const MESSAGE_ID: &str = "Darkroom-Message-Id";

/// A queue on NATS JetStream.
pub struct NatsQueue {
    client: async_nats::Client,
    jetstream: jetstream::Context,
    names: Names,
    settings: QueueSettings,
    consumers: Mutex<HashMap<String, PullConsumer>>,
    leases: Leases,
}

impl fmt::Debug for NatsQueue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NatsQueue")
            .field("namespace", &self.names.namespace())
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl NatsQueue {
    /// Connects to `nats://[user:pass@]host:port[?namespace=NAME]` (namespace `darkroom` by default).
    /// Run `migrate` before first use.
    pub async fn from_url(url: &str, settings: QueueSettings) -> Result<Self, QueueError> {
        let address = address::parse(url)?;
        let client = ConnectOptions::new()
            .name("darkroom")
            .connection_timeout(CONNECT_TIMEOUT)
            .request_timeout(Some(REQUEST_TIMEOUT))
            .connect(address.server.as_str())
            .await
            .map_err(|e| {
                QueueError::unavailable_from(
                    format!(
                        "cannot connect to nats at {}",
                        address::redacted(&address.server)
                    ),
                    e,
                )
            })?;
        let mut jetstream = jetstream::new(client.clone());
        jetstream.set_timeout(REQUEST_TIMEOUT);
        Ok(Self {
            client,
            jetstream,
            names: address.names,
            settings,
            consumers: Mutex::new(HashMap::new()),
            leases: Leases::default(),
        })
    }

    /// Creates or updates the namespace's streams, and brings every existing topic consumer to the current
    /// settings (consumers of new topics are created on first `receive`). Idempotent.
    pub async fn migrate(&self) -> Result<(), QueueError> {
        setup::streams(&self.jetstream, &self.names).await?;
        for topic in setup::known_topics(&self.jetstream, &self.names).await? {
            setup::consumer(&self.jetstream, &self.names, &topic, self.settings).await?;
        }
        self.lock_consumers().clear();
        Ok(())
    }

    /// Deletes the namespace's streams with every message and dead letter in them (tests, tear-downs).
    pub async fn delete_namespace(&self) -> Result<(), QueueError> {
        self.lock_consumers().clear();
        setup::delete(&self.jetstream, &self.names).await
    }

    async fn consumer(&self, topic: &str) -> Result<PullConsumer, QueueError> {
        if let Some(consumer) = self.lock_consumers().get(topic) {
            return Ok(consumer.clone());
        }
        let consumer = setup::consumer(&self.jetstream, &self.names, topic, self.settings).await?;
        self.lock_consumers()
            .insert(topic.to_owned(), consumer.clone());
        Ok(consumer)
    }

    fn lock_consumers(&self) -> MutexGuard<'_, HashMap<String, PullConsumer>> {
        self.consumers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl Queue for NatsQueue {
    fn backend(&self) -> &'static str {
        "nats"
    }

    async fn publish(&self, message: &Message) -> Result<(), QueueError> {
        let subject = self.names.jobs_subject(&message.topic)?;
        let headers = headers(&message.topic, &message.id)?;
        // A duplicate within the window is acknowledged with `duplicate: true` and stored once.
        self.jetstream
            .publish_with_headers(subject, headers, message.payload.clone())
            .await
            .map_err(publish_error)?
            .await
            .map_err(publish_error)?;
        Ok(())
    }

    async fn receive(
        &self,
        topic: &str,
        max: usize,
        wait: Duration,
    ) -> Result<Vec<Delivery>, QueueError> {
        if max == 0 {
            return Ok(Vec::new());
        }
        let result = self.pull(topic, max, Instant::now() + wait).await;
        if result.is_err() {
            // The consumer may be gone (its stream deleted); look it up afresh next time.
            self.lock_consumers().remove(topic);
        }
        result
    }

    async fn extend(&self, delivery: &Delivery) -> Result<(), QueueError> {
        self.extend_lease(delivery).await
    }

    async fn ack(&self, delivery: &Delivery) -> Result<(), QueueError> {
        self.settle_leased(delivery, self.settle(&delivery.receipt, "+ACK"))
            .await
    }

    async fn nack(&self, delivery: &Delivery, retry_after: Duration) -> Result<(), QueueError> {
        if delivery.attempt >= self.settings.max_attempts {
            // The last attempt failed: dead-letter now rather than after one more delivery.
            let message = &delivery.message;
            let bury = self.bury(
                &message.topic,
                &message.id,
                &message.payload,
                &delivery.receipt,
            );
            return self.settle_leased(delivery, bury).await;
        }
        let body = if retry_after.is_zero() {
            "-NAK".to_owned()
        } else {
            format!("-NAK {{\"delay\":{}}}", retry_after.as_nanos())
        };
        self.settle_leased(delivery, self.settle(&delivery.receipt, &body))
            .await
    }

    async fn dead_letters(&self, topic: &str, limit: usize) -> Result<Vec<Message>, QueueError> {
        self.list_dead(topic, limit).await
    }

    async fn ping(&self) -> Result<(), QueueError> {
        self.jetstream
            .get_stream(self.names.jobs_stream())
            .await
            .map(|_| ())
            .map_err(|e| QueueError::unavailable_from("nats jobs stream", e))
    }
}
