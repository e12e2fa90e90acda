//! The queue port on Amazon SQS (or anything speaking its API, such as moto or ElasticMQ):
//! `sqs://NAME?region=REGION&endpoint=URL`, credentials from the AWS provider chain.
//!
//! Topic `T` lives in the FIFO queue `NAME-T.fifo`, dead letters in `NAME-T-dlq.fifo` (see `names`).
//! FIFO, because the port de-duplicates by message id and only FIFO queues can (for SQS's five-minute
//! de-duplication window); every message is its own message group, so FIFO's ordering never holds a
//! message back and high-throughput mode spreads the groups over all partitions.
//!
//! - `receive` long-polls (`WaitTimeSeconds`, at most 20 s) for up to 10 messages; `attempt` is SQS's
//!   `ApproximateReceiveCount`. SQS counts visibility in whole seconds, so a sub-second visibility
//!   timeout or `retry_after` is rounded up (never down: a message is not visible earlier than asked).
//! - `ack` deletes, `nack` changes the visibility, and so does `extend` (back to the full timeout). Stale receipts are recognised by the adapter itself
//!   (see `leases`), since SQS accepts them silently.
//! - Dead letters are moved by SQS's redrive policy when a message's receive count is used up; SQS
//!   does so when someone next receives from the topic after the last visibility timeout ran out.

mod codec;
mod depth;
mod error;
pub mod iam;
mod leases;
mod names;
mod provision;
mod receive;
mod url;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use darkroom_core::ports::{Delivery, Message, Queue, QueueError, QueueSettings};

use self::error::{classify, to_queue_error, Failure};
use self::leases::{Extended, Settled};

/// One attempt of a call: a long poll (up to 20 s) plus room for the answer.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);
/// SQS's longest visibility timeout (12 hours).
const MAX_VISIBILITY_SECS: i32 = 43_200;

/// A durable queue on SQS.
#[derive(Debug, Clone)]
pub struct SqsQueue {
    client: aws_sdk_sqs::Client,
    prefix: String,
    settings: QueueSettings,
    /// The settings' visibility timeout in the whole seconds SQS counts in.
    visibility_secs: i32,
    /// Queue name → URL, resolved once.
    urls: Arc<RwLock<HashMap<String, String>>>,
    settled: Arc<Settled>,
    extended: Arc<Extended>,
}

impl SqsQueue {
    /// Connects to `sqs://NAME?region=REGION&endpoint=URL` (both parameters optional). Makes no call yet:
    /// `migrate` or the first use of a topic reaches the server.
    pub async fn from_url(url: &str, settings: QueueSettings) -> Result<Self, QueueError> {
        let parsed = url::parse(url)?;
        let config = parsed.location.sdk_config(ATTEMPT_TIMEOUT).await;
        let visibility_secs = whole_seconds_up(settings.visibility_timeout);
        if Duration::from_secs(visibility_secs.unsigned_abs().into()) != settings.visibility_timeout
        {
            tracing::info!(
                visibility_secs,
                "sqs counts visibility in whole seconds: rounded the visibility timeout up"
            );
        }
        Ok(Self {
            client: aws_sdk_sqs::Client::new(&config),
            prefix: parsed.prefix,
            settings,
            visibility_secs,
            urls: Arc::default(),
            settled: Arc::default(),
            extended: Arc::default(),
        })
    }

    /// Creates the queues of the product's topics with their dead-letter queues and redrive policy, and
    /// brings existing ones in line with the settings. Idempotent. Other topics' queues are created on
    /// first use.
    pub async fn migrate(&self) -> Result<(), QueueError> {
        self.provision().await
    }

    /// Deletes every queue of this prefix, dead letters included: for tests, and for tearing an
    /// installation down. Returns how many there were.
    pub async fn delete_queues(&self) -> Result<usize, QueueError> {
        let urls = self.all_queue_urls().await?;
        for url in &urls {
            match self.client.delete_queue().queue_url(url).send().await {
                Ok(_) => {}
                Err(e) if classify(&e) == Failure::NoSuchQueue => {}
                Err(e) => return Err(to_queue_error(e, &format!("deleting queue {url}"))),
            }
        }
        self.urls
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clear();
        Ok(urls.len())
    }

    /// The URL of the queue a delivery came from; a topic whose queue is gone holds no valid receipt.
    async fn delivery_url(&self, delivery: &Delivery) -> Result<String, QueueError> {
        let queues = names::for_topic(&self.prefix, &delivery.message.topic)?;
        self.existing_url(&queues.main)
            .await?
            .ok_or(QueueError::InvalidReceipt)
    }
}

#[async_trait]
impl Queue for SqsQueue {
    fn backend(&self) -> &'static str {
        "sqs"
    }

    async fn publish(&self, message: &Message) -> Result<(), QueueError> {
        let outgoing = codec::encode(message)?;
        let url = self.topic_url(&message.topic).await?;
        self.client
            .send_message()
            .queue_url(&url)
            .message_body(outgoing.body)
            .set_message_attributes(Some(outgoing.attributes))
            .message_group_id(&message.id)
            .message_deduplication_id(&message.id)
            .send()
            .await
            .map_err(|e| self.call_failed(e, &url, "sending"))?;
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
        let url = self.topic_url(topic).await?;
        self.receive_until(&url, topic, max, wait).await
    }

    async fn extend(&self, delivery: &Delivery) -> Result<(), QueueError> {
        let lease = self.extended.current(leases::parse(&delivery.receipt)?);
        let asked_ms = leases::now_ms();
        if asked_ms >= lease.deadline_ms || self.settled.contains(lease.handle) {
            return Err(QueueError::InvalidReceipt);
        }
        let url = self.delivery_url(delivery).await?;
        self.client
            .change_message_visibility()
            .queue_url(&url)
            .receipt_handle(lease.handle)
            .visibility_timeout(self.visibility_secs)
            .send()
            .await
            .map_err(|e| self.call_failed(e, &url, "extending a lease"))?;
        // Dated from before the call: SQS restarts the timeout when it gets the call, never earlier.
        let visibility_ms = u64::from(self.visibility_secs.unsigned_abs()) * 1000;
        self.extended
            .record(lease.handle, asked_ms + visibility_ms, asked_ms);
        Ok(())
    }

    async fn ack(&self, delivery: &Delivery) -> Result<(), QueueError> {
        let lease = self.extended.current(leases::parse(&delivery.receipt)?);
        let url = self.delivery_url(delivery).await?;
        self.settled.claim(&lease, leases::now_ms())?;
        let deleted = self
            .client
            .delete_message()
            .queue_url(&url)
            .receipt_handle(lease.handle)
            .send()
            .await;
        deleted.map(|_| ()).map_err(|e| {
            let err = self.call_failed(e, &url, "deleting a message");
            if !matches!(err, QueueError::InvalidReceipt) {
                self.settled.release(&lease);
            }
            err
        })
    }

    async fn nack(&self, delivery: &Delivery, retry_after: Duration) -> Result<(), QueueError> {
        let lease = self.extended.current(leases::parse(&delivery.receipt)?);
        let url = self.delivery_url(delivery).await?;
        self.settled.claim(&lease, leases::now_ms())?;
        let changed = self
            .client
            .change_message_visibility()
            .queue_url(&url)
            .receipt_handle(lease.handle)
            .visibility_timeout(whole_seconds_up(retry_after))
            .send()
            .await;
        changed.map(|_| ()).map_err(|e| {
            let err = self.call_failed(e, &url, "releasing a message");
            if !matches!(err, QueueError::InvalidReceipt) {
                self.settled.release(&lease);
            }
            err
        })
    }

    async fn dead_letters(&self, topic: &str, limit: usize) -> Result<Vec<Message>, QueueError> {
        let queues = names::for_topic(&self.prefix, topic)?;
        match self.existing_url(&queues.dead).await? {
            Some(url) if limit > 0 => self.peek(&url, topic, limit).await,
            _ => Ok(Vec::new()),
        }
    }

    async fn ping(&self) -> Result<(), QueueError> {
        self.client
            .list_queues()
            .queue_name_prefix(names::namespace(&self.prefix))
            .max_results(1)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| match to_queue_error(e, "listing queues") {
                QueueError::Other { message, source } => {
                    QueueError::Unavailable { message, source }
                }
                other => other,
            })
    }
}

impl SqsQueue {
    /// The port's error for a failed call on the queue at `url`, forgetting the URL when the queue is gone.
    fn call_failed<E>(
        &self,
        err: aws_sdk_sqs::error::SdkError<E, aws_sdk_sqs::config::http::HttpResponse>,
        url: &str,
        doing: &str,
    ) -> QueueError
    where
        E: aws_sdk_sqs::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let name = names::name_of_url(url);
        if classify(&err) == Failure::NoSuchQueue {
            self.forget(name);
        }
        to_queue_error(err, &format!("{doing} on {name}"))
    }
}

/// `duration` in whole seconds, rounded up, within what SQS accepts for a visibility timeout.
fn whole_seconds_up(duration: Duration) -> i32 {
    let secs = duration.as_secs() + u64::from(duration.subsec_nanos() > 0);
    i32::try_from(secs)
        .unwrap_or(MAX_VISIBILITY_SECS)
        .min(MAX_VISIBILITY_SECS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visibility_rounds_up_to_whole_seconds() {
        assert_eq!(whole_seconds_up(Duration::ZERO), 0);
        assert_eq!(whole_seconds_up(Duration::from_millis(300)), 1);
        assert_eq!(whole_seconds_up(Duration::from_secs(2)), 2);
        assert_eq!(whole_seconds_up(Duration::from_millis(2001)), 3);
        assert_eq!(
            whole_seconds_up(Duration::from_secs(u64::MAX)),
            MAX_VISIBILITY_SECS
        );
    }
}
