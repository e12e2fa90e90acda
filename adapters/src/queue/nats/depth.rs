//! `QueueDepth` on JetStream. The jobs stream is a work queue: a message stays in it until acked (or
//! terminated when dead-lettered), so the stream's count for the topic's subject is everything undone,
//! waiting or in a consumer's hands. Two requests to the stream's leader, no consumer involved (a topic
//! nobody received from has none): the per-subject count of a stream info, then, if there is anything, the
//! first stored message of the subject, whose stream timestamp is when it was published.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_nats::jetstream::stream::LastRawMessageErrorKind;
use async_trait::async_trait;
use darkroom_core::ports::{QueueDepth, QueueError, TopicDepth};
use futures::TryStreamExt;

use super::NatsQueue;

#[async_trait]
impl QueueDepth for NatsQueue {
    async fn depth(&self, topic: &str) -> Result<TopicDepth, QueueError> {
        let subject = self.names.jobs_subject(topic)?;
        let stream_name = self.names.jobs_stream();
        let stream = self
            .jetstream
            .get_stream_no_info(&stream_name)
            .await
            .map_err(|e| QueueError::other_from(format!("nats stream {stream_name}"), e))?;
        let unavailable = |e: async_nats::jetstream::stream::InfoError| {
            QueueError::unavailable_from(format!("cannot count the nats messages of {topic}"), e)
        };
        let mut counts = stream
            .info_with_subjects(&subject)
            .await
            .map_err(unavailable)?;
        let mut messages: u64 = 0;
        while let Some((_, count)) = counts.try_next().await.map_err(unavailable)? {
            messages += u64::try_from(count).unwrap_or(u64::MAX);
        }
        if messages == 0 {
            return Ok(TopicDepth {
                messages,
                oldest_age: Some(Duration::ZERO),
            });
        }
        let oldest_age = match stream.get_first_raw_message_by_subject(&subject, 1).await {
            Ok(first) => {
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos());
                let published = u128::try_from(first.time.unix_timestamp_nanos()).unwrap_or(0);
                Duration::from_nanos(
                    u64::try_from(now.saturating_sub(published)).unwrap_or(u64::MAX),
                )
            }
            // Acked between the two requests: nothing waits any more.
            Err(e) if matches!(e.kind(), LastRawMessageErrorKind::NoMessageFound) => Duration::ZERO,
            Err(e) => {
                return Err(QueueError::unavailable_from(
                    format!("cannot read the oldest nats message of {topic}"),
                    e,
                ))
            }
        };
        Ok(TopicDepth {
            messages,
            oldest_age: Some(oldest_age),
        })
    }
}
