//! `QueueDepth` on SQS: `GetQueueAttributes` of the topic's queue, `ApproximateNumberOfMessages` (waiting)
//! plus `ApproximateNumberOfMessagesNotVisible` (in a consumer's hands, or nacked and not visible yet), so
//! the count is everything undone, as on the embedded queue and NATS. Both are SQS's approximations: they
//! may trail a publish or an ack by moments.
//!
//! The age of the oldest message is not a queue attribute: SQS publishes it only as the CloudWatch metric
//! `ApproximateAgeOfOldestMessage` (per queue, at one-minute resolution), which a deployment on AWS reads
//! there (and alerts on there); so `oldest_age` is unknown here rather than a second, costlier API. A
//! topic whose queue does not exist yet holds nothing; asking creates nothing.

use async_trait::async_trait;
use aws_sdk_sqs::types::QueueAttributeName;
use darkroom_core::ports::{QueueDepth, QueueError, TopicDepth};

use super::names;
use super::SqsQueue;

#[async_trait]
impl QueueDepth for SqsQueue {
    async fn depth(&self, topic: &str) -> Result<TopicDepth, QueueError> {
        let queues = names::for_topic(&self.prefix, topic)?;
        let Some(url) = self.existing_url(&queues.main).await? else {
            return Ok(TopicDepth::default());
        };
        let found = self
            .client
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .send()
            .await
            .map_err(|e| self.call_failed(e, &url, "counting messages"))?;
        let attributes = found.attributes();
        let count = |name: &QueueAttributeName| -> Result<u64, QueueError> {
            let value = attributes
                .and_then(|all| all.get(name))
                .map_or("0", String::as_str);
            value.parse().map_err(|e| {
                QueueError::other_from(format!("sqs answered {name:?} = {value:?} for {url}"), e)
            })
        };
        Ok(TopicDepth {
            messages: count(&QueueAttributeName::ApproximateNumberOfMessages)?
                + count(&QueueAttributeName::ApproximateNumberOfMessagesNotVisible)?,
            oldest_age: None,
        })
    }
}
