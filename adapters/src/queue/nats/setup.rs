//! What a namespace needs on the server: its two streams and one durable pull consumer per topic.

use std::time::Duration;

use async_nats::jetstream::consumer::{pull, AckPolicy, DeliverPolicy, PullConsumer};
use async_nats::jetstream::context::{CreateStreamErrorKind, GetStreamErrorKind};
use async_nats::jetstream::stream::{Config, RetentionPolicy, StorageType};
use async_nats::jetstream::{self, ErrorCode};
use darkroom_core::ports::{QueueError, QueueSettings};
use futures::TryStreamExt;

use super::address::Names;

/// How long a message id keeps de-duplicating re-publishes (the embedded queue keeps them as long): an
/// outbox relay that crashed between publishing and marking its row relayed publishes again on restart.
const DEDUP_WINDOW: Duration = Duration::from_secs(3600);

/// Jobs: a work-queue stream, so an ack (or a term) deletes the message and only one consumer may read a
/// subject — exactly a queue per topic.
fn jobs_stream(names: &Names) -> Config {
    Config {
        name: names.jobs_stream(),
        description: Some(format!("darkroom jobs ({})", names.namespace())),
        subjects: vec![names.jobs_subjects()],
        retention: RetentionPolicy::WorkQueue,
        storage: StorageType::File,
        duplicate_window: DEDUP_WINDOW,
        ..Default::default()
    }
}

/// Dead letters: kept until someone deletes them, read by subject with direct gets.
fn dead_stream(names: &Names) -> Config {
    Config {
        name: names.dead_stream(),
        description: Some(format!("darkroom dead letters ({})", names.namespace())),
        subjects: vec![names.dead_subjects()],
        retention: RetentionPolicy::Limits,
        storage: StorageType::File,
        duplicate_window: DEDUP_WINDOW,
        allow_direct: true,
        ..Default::default()
    }
}

/// The topic's consumer. `ack_wait` is the visibility timeout. `max_deliver` is unlimited on purpose: the
/// adapter dead-letters a message itself when it sees delivery `max_attempts + 1`, and should it crash
/// half-way the server simply delivers the message again, so nothing is stranded past its last attempt.
fn topic_consumer(
    names: &Names,
    topic: &str,
    settings: QueueSettings,
) -> Result<pull::Config, QueueError> {
    let name = names.consumer(topic);
    Ok(pull::Config {
        durable_name: Some(name.clone()),
        name: Some(name),
        description: Some(format!("darkroom topic {topic}")),
        filter_subject: names.jobs_subject(topic)?,
        deliver_policy: DeliverPolicy::All,
        ack_policy: AckPolicy::Explicit,
        ack_wait: settings.visibility_timeout,
        max_deliver: -1,
        ..Default::default()
    })
}

/// Creates both streams, or brings them to the configuration above.
pub(super) async fn streams(
    jetstream: &jetstream::Context,
    names: &Names,
) -> Result<(), QueueError> {
    for config in [jobs_stream(names), dead_stream(names)] {
        let name = config.name.clone();
        jetstream
            .create_or_update_stream(config)
            .await
            .map_err(|e| match e.kind() {
                CreateStreamErrorKind::TimedOut | CreateStreamErrorKind::JetStreamUnavailable => {
                    QueueError::unavailable_from(format!("cannot create nats stream {name}"), e)
                }
                _ => QueueError::other_from(format!("cannot create nats stream {name}"), e),
            })?;
    }
    Ok(())
}

/// Creates the topic's consumer, or updates it to `settings` (creating is create-or-update).
pub(super) async fn consumer(
    jetstream: &jetstream::Context,
    names: &Names,
    topic: &str,
    settings: QueueSettings,
) -> Result<PullConsumer, QueueError> {
    let config = topic_consumer(names, topic, settings)?;
    jetstream
        .create_consumer_on_stream(config, names.jobs_stream())
        .await
        .map_err(|e| {
            QueueError::unavailable_from(
                format!("cannot create the nats consumer of topic {topic} (has migrate run?)"),
                e,
            )
        })
}

/// The topics that already have a consumer in the namespace, so `migrate` can bring them to new settings.
pub(super) async fn known_topics(
    jetstream: &jetstream::Context,
    names: &Names,
) -> Result<Vec<String>, QueueError> {
    let stream = jetstream
        .get_stream_no_info(names.jobs_stream())
        .await
        .map_err(|e| QueueError::other_from(format!("nats stream {}", names.jobs_stream()), e))?;
    let consumers: Vec<_> = stream
        .consumers()
        .try_collect()
        .await
        .map_err(|e| QueueError::unavailable_from("cannot list nats consumers", e))?;
    Ok(consumers
        .iter()
        .filter_map(|info| names.topic_of(&info.config.filter_subject))
        .map(str::to_owned)
        .collect())
}

/// Deletes both streams (and with them every consumer and message) of the namespace.
pub(super) async fn delete(
    jetstream: &jetstream::Context,
    names: &Names,
) -> Result<(), QueueError> {
    for name in [names.jobs_stream(), names.dead_stream()] {
        match jetstream.delete_stream(&name).await {
            Ok(_) => {}
            Err(e) if is_stream_not_found(e.kind()) => {}
            Err(e) => {
                return Err(QueueError::unavailable_from(
                    format!("cannot delete nats stream {name}"),
                    e,
                ))
            }
        }
    }
    Ok(())
}

fn is_stream_not_found(kind: GetStreamErrorKind) -> bool {
    matches!(kind, GetStreamErrorKind::JetStream(e) if e.error_code() == ErrorCode::STREAM_NOT_FOUND)
}
