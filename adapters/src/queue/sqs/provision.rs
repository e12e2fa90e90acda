//! Creating, finding and removing a prefix's queues.
//!
//! Every topic has a FIFO queue and a FIFO dead-letter queue (a FIFO queue's dead letters must be FIFO too),
//! joined by a redrive policy whose `maxReceiveCount` is the settings' `max_attempts`. Queues are created
//! the first time a topic is used, so a worker may wait on a topic nobody has published to yet; `migrate`
//! creates the product's own topics up front and brings the attributes of existing queues in line with the
//! settings (a lazily found queue is used as it is). URLs are resolved once and cached.

use aws_sdk_sqs::types::QueueAttributeName;
use darkroom_core::ports::QueueError;

use super::error::{classify, to_queue_error, Failure};
use super::names::{self, TopicQueues};
use super::SqsQueue;

/// SQS's longest retention (14 days): a backlog or a dead letter should outlive a long weekend.
const RETENTION_SECS: &str = "1209600";

impl SqsQueue {
    /// The URL of `topic`'s queue, creating both of its queues when they do not exist yet.
    pub(super) async fn topic_url(&self, topic: &str) -> Result<String, QueueError> {
        let queues = names::for_topic(&self.prefix, topic)?;
        if let Some(url) = self.existing_url(&queues.main).await? {
            return Ok(url);
        }
        self.create(&queues).await
    }

    /// The URL of the queue `name`, or `None` when there is no such queue.
    pub(super) async fn existing_url(&self, name: &str) -> Result<Option<String>, QueueError> {
        if let Some(url) = self.cached_url(name) {
            return Ok(Some(url));
        }
        match self.client.get_queue_url().queue_name(name).send().await {
            Ok(found) => {
                let url = found.queue_url().unwrap_or_default().to_owned();
                self.remember(name, &url);
                Ok(Some(url))
            }
            Err(e) if classify(&e) == Failure::NoSuchQueue => Ok(None),
            Err(e) => Err(to_queue_error(e, &format!("finding queue {name}"))),
        }
    }

    /// Drops a cached URL whose queue turned out to be gone, so the next call resolves (or creates) it again.
    pub(super) fn forget(&self, name: &str) {
        self.urls
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .remove(name);
    }

    async fn create(&self, queues: &TopicQueues) -> Result<String, QueueError> {
        let dead_url = self.create_queue(&queues.dead, dead_attributes()).await?;
        let dead_arn = self.queue_arn(&dead_url).await?;
        let main_attributes = self.main_attributes(&dead_arn);
        self.create_queue(&queues.main, main_attributes).await
    }

    async fn create_queue(
        &self,
        name: &str,
        attributes: Vec<(QueueAttributeName, String)>,
    ) -> Result<String, QueueError> {
        let mut request = self
            .client
            .create_queue()
            .queue_name(name)
            .attributes(QueueAttributeName::FifoQueue, "true");
        for (key, value) in attributes {
            request = request.attributes(key, value);
        }
        match request.send().await {
            Ok(created) => {
                let url = created.queue_url().unwrap_or_default().to_owned();
                tracing::info!(queue = name, "created sqs queue");
                self.remember(name, &url);
                Ok(url)
            }
            // Created meanwhile by another replica with other settings: use it; `migrate` reconciles.
            Err(e) if classify(&e) == Failure::QueueExists => {
                self.existing_url(name).await?.ok_or_else(|| {
                    QueueError::other(format!("sqs queue {name} vanished while created"))
                })
            }
            Err(e) => Err(to_queue_error(e, &format!("creating queue {name}"))),
        }
    }

    async fn queue_arn(&self, url: &str) -> Result<String, QueueError> {
        let found = self
            .client
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .map_err(|e| to_queue_error(e, &format!("reading the arn of {url}")))?;
        found
            .attributes()
            .and_then(|all| all.get(&QueueAttributeName::QueueArn))
            .cloned()
            .ok_or_else(|| QueueError::other(format!("sqs returned no arn for {url}")))
    }

    fn main_attributes(&self, dead_arn: &str) -> Vec<(QueueAttributeName, String)> {
        let redrive = serde_json::json!({
            "deadLetterTargetArn": dead_arn,
            "maxReceiveCount": self.settings.max_attempts.clamp(1, 1000),
        });
        let mut attributes = fifo_throughput();
        attributes.extend([
            (
                QueueAttributeName::MessageRetentionPeriod,
                RETENTION_SECS.into(),
            ),
            (
                QueueAttributeName::VisibilityTimeout,
                self.visibility_secs.to_string(),
            ),
            (QueueAttributeName::RedrivePolicy, redrive.to_string()),
        ]);
        attributes
    }

    /// Creates the product's topics' queues and makes every attribute match the settings (idempotent).
    pub(super) async fn provision(&self) -> Result<(), QueueError> {
        // The topics the product publishes to itself (and the one jobs shared before, which the worker still
        // drains).
        for topic in darkroom_core::domain::all_topics() {
            let queues = names::for_topic(&self.prefix, topic)?;
            let main_url = self.topic_url(topic).await?;
            let dead_url = self.existing_url(&queues.dead).await?.ok_or_else(|| {
                QueueError::other(format!("sqs queue {} is missing", queues.dead))
            })?;
            let dead_arn = self.queue_arn(&dead_url).await?;
            self.set_attributes(&dead_url, dead_attributes()).await?;
            self.set_attributes(&main_url, self.main_attributes(&dead_arn))
                .await?;
        }
        Ok(())
    }

    async fn set_attributes(
        &self,
        url: &str,
        attributes: Vec<(QueueAttributeName, String)>,
    ) -> Result<(), QueueError> {
        let mut request = self.client.set_queue_attributes().queue_url(url);
        for (key, value) in attributes {
            request = request.attributes(key, value);
        }
        request
            .send()
            .await
            .map_err(|e| to_queue_error(e, &format!("setting the attributes of {url}")))?;
        Ok(())
    }

    /// The URLs of every queue of this prefix (and of no longer prefix that merely starts the same).
    pub(super) async fn all_queue_urls(&self) -> Result<Vec<String>, QueueError> {
        let namespace = names::namespace(&self.prefix);
        let mut urls = Vec::new();
        let mut next_token = None;
        loop {
            let page = self
                .client
                .list_queues()
                .queue_name_prefix(&namespace)
                .max_results(1000)
                .set_next_token(next_token)
                .send()
                .await
                .map_err(|e| to_queue_error(e, "listing queues"))?;
            urls.extend(
                page.queue_urls()
                    .iter()
                    .filter(|url| names::name_of_url(url).starts_with(&namespace))
                    .cloned(),
            );
            match page.next_token() {
                Some(token) => next_token = Some(token.to_owned()),
                None => return Ok(urls),
            }
        }
    }

    fn cached_url(&self, name: &str) -> Option<String> {
        self.urls
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(name)
            .cloned()
    }

    fn remember(&self, name: &str, url: &str) {
        self.urls
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(name.to_owned(), url.to_owned());
    }
}

fn dead_attributes() -> Vec<(QueueAttributeName, String)> {
    let mut attributes = fifo_throughput();
    attributes.push((
        QueueAttributeName::MessageRetentionPeriod,
        RETENTION_SECS.into(),
    ));
    attributes
}

/// High-throughput FIFO: de-duplication and throughput per message group. Every message is its own
/// group, so messages are spread over all partitions and no group waits for another.
fn fifo_throughput() -> Vec<(QueueAttributeName, String)> {
    vec![
        (
            QueueAttributeName::DeduplicationScope,
            "messageGroup".into(),
        ),
        (
            QueueAttributeName::FifoThroughputLimit,
            "perMessageGroupId".into(),
        ),
    ]
}
