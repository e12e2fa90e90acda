//! The RabbitMQ queue: `amqp://user:pass@host:port/vhost[?namespace=NAME]`, on quorum queues (3.10+).
//!
//! - Publish: to the topic's queue through the default exchange, persistent, `mandatory`, on a channel in
//!   confirm mode; it returns once the broker confirmed. Repeats of an id are dropped as far as this
//!   process remembers (see `recent`).
//! - Receive: `basic.get` what is there, else wait with a short-lived consumer (see `consume`); each
//!   receive has a channel of its own, kept open while any of its deliveries is in hand.
//! - Visibility timeout, its extension, receipts and `nack`: see `leases`. `nack(retry_after)` keeps the delivery in hand
//!   until `retry_after` has passed and then requeues it, so the broker counts the attempt and nothing is
//!   copied (a retry queue would lose the quorum queue's delivery count).
//! - Dead letters: the quorum queue's own dead-lettering after `max_attempts` deliveries (see `topology`).
//!
//! Limits: a receipt only settles through the adapter that received it. If the process dies, whatever it
//! held (a delayed nack included) goes back to the queue at once, counted as a delivery; so does what a
//! `receive` that was cancelled half-way had already been sent. Visibility timeouts
//! and retry delays should stay below the broker's `consumer_timeout` (30 minutes by default), after which
//! it closes the channel and requeues on its own.

mod address;
mod consume;
mod dead;
mod depth;
mod leases;
mod link;
mod recent;
#[cfg(test)]
mod tests;
mod topology;

use std::collections::BTreeSet;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use darkroom_core::ports::{Delivery, Message, Queue, QueueError, QueueSettings};
use lapin::options::{BasicAckOptions, BasicPublishOptions};
use lapin::publisher_confirm::Confirmation;
use lapin::BasicProperties;
use tokio::time::Instant;

use self::address::Names;
use self::leases::{Held, Leases};
use self::link::{broker_error, within, Link};
use self::recent::RecentIds;

/// AMQP message ids are short strings.
const LONGEST_ID: usize = 255;
/// Persistent: written to disk by the broker.
const PERSISTENT: u8 = 2;

/// A queue on RabbitMQ.
pub struct RabbitQueue {
    link: Link,
    names: Names,
    settings: QueueSettings,
    /// Topics whose queues this adapter declared (or found declared as it asked).
    declared: Mutex<BTreeSet<String>>,
    leases: Arc<Leases>,
    recent: RecentIds,
}

impl fmt::Debug for RabbitQueue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RabbitQueue")
            .field("namespace", &self.names.namespace())
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl RabbitQueue {
    /// Connects to `amqp[s]://user:pass@host:port/vhost[?namespace=NAME]` (namespace `darkroom` by
    /// default; lapin's own parameters such as `heartbeat` pass through).
    pub async fn from_url(url: &str, settings: QueueSettings) -> Result<Self, QueueError> {
        let address = address::parse(url)?;
        Ok(Self {
            link: Link::open(address.broker).await?,
            names: address.names,
            settings,
            declared: Mutex::new(BTreeSet::new()),
            leases: Arc::new(Leases::default()),
            recent: RecentIds::default(),
        })
    }

    /// Declares the namespace's dead-letter exchange and the queues of the application's job topics, so
    /// that a queue declared earlier with another `max_attempts` shows at start. Other topics are declared
    /// on first use. Idempotent.
    pub async fn migrate(&self) -> Result<(), QueueError> {
        for topic in darkroom_core::domain::all_topics() {
            self.declare(topic).await?;
        }
        Ok(())
    }

    /// Deletes the queues of every topic this adapter declared, and the namespace's exchange (tests,
    /// tear-downs). AMQP cannot list queues, so topics only other processes used are left alone.
    pub async fn delete_declared(&self) -> Result<(), QueueError> {
        let topics: Vec<String> = std::mem::take(&mut *self.lock_declared())
            .into_iter()
            .collect();
        let channel = self.link.channel().await?;
        topology::delete(&channel, &self.names, &topics).await
    }

    async fn ensure_declared(&self, topic: &str) -> Result<(), QueueError> {
        if self.lock_declared().contains(topic) {
            return Ok(());
        }
        self.declare(topic).await
    }

    async fn declare(&self, topic: &str) -> Result<(), QueueError> {
        // Its own channel: a refused declaration closes the channel it was made on.
        let channel = self.link.channel().await?;
        topology::declare_topic(&channel, &self.names, topic, self.settings).await?;
        self.lock_declared().insert(topic.to_owned());
        Ok(())
    }

    fn lock_declared(&self) -> MutexGuard<'_, BTreeSet<String>> {
        self.declared.lock().unwrap_or_else(PoisonError::into_inner)
    }

    async fn publish_confirmed(&self, queue: &str, message: &Message) -> Result<(), QueueError> {
        let channel = self.link.publisher().await?;
        let properties = BasicProperties::default()
            .with_message_id(message.id.clone().into())
            .with_delivery_mode(PERSISTENT);
        let mandatory = BasicPublishOptions {
            mandatory: true,
            immediate: false,
        };
        let confirm = within(
            &format!("publish to {queue}"),
            channel.basic_publish("", queue, mandatory, &message.payload, properties),
        )
        .await?;
        match within(&format!("confirm a publish to {queue}"), confirm).await? {
            Confirmation::Ack(None) => Ok(()),
            Confirmation::Ack(Some(returned)) => Err(QueueError::other(format!(
                "rabbitmq could not route a message to {queue}: {}",
                returned.reply_text
            ))),
            Confirmation::Nack(_) => Err(QueueError::unavailable(format!(
                "rabbitmq refused a message for {queue}"
            ))),
            Confirmation::NotRequested => {
                Err(QueueError::other("rabbitmq publisher confirms are off"))
            }
        }
    }

    /// Takes the delivery a receipt holds, so that nothing else settles it; a receipt that was settled
    /// or whose visibility timeout ran out holds nothing.
    fn held(&self, delivery: &Delivery) -> Result<Held, QueueError> {
        self.leases
            .take(&delivery.receipt)
            .ok_or(QueueError::InvalidReceipt)
    }
}

#[async_trait]
impl Queue for RabbitQueue {
    fn backend(&self) -> &'static str {
        "rabbitmq"
    }

    async fn publish(&self, message: &Message) -> Result<(), QueueError> {
        let queue = self.names.jobs_queue(&message.topic)?;
        if message.id.is_empty() || message.id.len() > LONGEST_ID {
            return Err(QueueError::other(format!(
                "message id {:?} must be 1 to {LONGEST_ID} bytes for rabbitmq",
                message.id
            )));
        }
        self.ensure_declared(&message.topic).await?;
        if !self
            .recent
            .claim(&message.topic, &message.id, Instant::now())
        {
            return Ok(());
        }
        let published = self.publish_confirmed(&queue, message).await;
        if published.is_err() {
            self.recent.release(&message.topic, &message.id);
        }
        published
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
        let queue = self.names.jobs_queue(topic)?;
        self.ensure_declared(topic).await?;
        let channel = self.link.channel().await?;
        let taken = consume::take(&channel, &queue, max, wait).await?;
        Ok(taken
            .into_iter()
            .map(|delivery| Delivery {
                attempt: consume::attempt(&delivery.properties),
                message: Message {
                    id: consume::message_id(&delivery.properties),
                    topic: topic.to_owned(),
                    payload: Bytes::from(delivery.data),
                },
                receipt: self.leases.hold(
                    channel.clone(),
                    delivery.delivery_tag,
                    self.settings.visibility_timeout,
                ),
            })
            .collect())
    }

    async fn extend(&self, delivery: &Delivery) -> Result<(), QueueError> {
        if self
            .leases
            .renew(&delivery.receipt, self.settings.visibility_timeout)
        {
            Ok(())
        } else {
            Err(QueueError::InvalidReceipt)
        }
    }

    async fn ack(&self, delivery: &Delivery) -> Result<(), QueueError> {
        let held = self.held(delivery)?;
        held.channel
            .basic_ack(held.tag, BasicAckOptions::default())
            .await
            .map_err(|e| settle_error("ack", &held, &e))
    }

    async fn nack(&self, delivery: &Delivery, retry_after: Duration) -> Result<(), QueueError> {
        let held = self.held(delivery)?;
        // After the last attempt the broker dead-letters the message as it comes back: no point waiting.
        if retry_after.is_zero() || delivery.attempt >= self.settings.max_attempts {
            return held
                .requeue()
                .await
                .map_err(|e| settle_error("nack", &held, &e));
        }
        // Still in hand (so invisible) until the delay is over; then back in the queue, one attempt more.
        tokio::spawn(async move {
            tokio::time::sleep(retry_after).await;
            if let Err(e) = held.requeue().await {
                tracing::debug!(error = %e, "could not requeue a nacked rabbitmq delivery");
            }
        });
        Ok(())
    }

    async fn dead_letters(&self, topic: &str, limit: usize) -> Result<Vec<Message>, QueueError> {
        let queue = self.names.dead_queue(topic)?;
        // Its own channel: a topic that never had a dead letter has no queue, and asking closes the channel.
        let channel = self.link.channel().await?;
        dead::list(&channel, &queue, topic, limit).await
    }

    async fn ping(&self) -> Result<(), QueueError> {
        let channel = self.link.channel().await?;
        within("close a channel", channel.close(200, "ping")).await
    }
}

fn settle_error(what: &str, held: &Held, err: &lapin::Error) -> QueueError {
    if held.channel.status().connected() {
        broker_error(what, err)
    } else {
        // The channel closed: the broker put the message back already, and this receipt settles nothing.
        QueueError::InvalidReceipt
    }
}
