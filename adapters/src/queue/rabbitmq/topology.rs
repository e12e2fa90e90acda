//! What a topic needs on the broker, declared idempotently (a declaration that matches what exists is a
//! no-op; one that differs is refused with 406 and said so).
//!
//! The topic's queue is a durable quorum queue: quorum queues count how often a message went back
//! (`x-delivery-count`) and dead-letter it once it went back more often than `x-delivery-limit`, which is
//! exactly "dead after `max_attempts` deliveries" with a limit of `max_attempts - 1`. Dead-lettering is
//! at-least-once (3.10+, which wants `reject-publish` overflow), into the namespace's direct exchange
//! `{ns}.dead` with the topic as routing key, whence a durable classic queue `{ns}.dead.{topic}` keeps it.

use darkroom_core::ports::{QueueError, QueueSettings};
use lapin::options::{
    ExchangeDeclareOptions, ExchangeDeleteOptions, QueueBindOptions, QueueDeclareOptions,
    QueueDeleteOptions,
};
use lapin::types::{AMQPValue, FieldTable, LongString};
use lapin::{Channel, ExchangeKind};

use super::address::Names;
use super::link::within;

/// Declares the dead-letter exchange, the topic's dead-letter queue and binding, and its queue.
pub(super) async fn declare_topic(
    channel: &Channel,
    names: &Names,
    topic: &str,
    settings: QueueSettings,
) -> Result<(), QueueError> {
    let (jobs, dead) = (names.jobs_queue(topic)?, names.dead_queue(topic)?);
    let exchange = names.dead_exchange();
    let durable = QueueDeclareOptions {
        durable: true,
        ..QueueDeclareOptions::default()
    };
    within(
        &format!("declare exchange {exchange}"),
        channel.exchange_declare(
            &exchange,
            ExchangeKind::Direct,
            ExchangeDeclareOptions {
                durable: true,
                ..ExchangeDeclareOptions::default()
            },
            FieldTable::default(),
        ),
    )
    .await?;
    within(
        &format!("declare queue {dead}"),
        channel.queue_declare(&dead, durable, FieldTable::default()),
    )
    .await?;
    within(
        &format!("bind queue {dead}"),
        channel.queue_bind(
            &dead,
            &exchange,
            topic,
            QueueBindOptions::default(),
            FieldTable::default(),
        ),
    )
    .await?;
    within(
        &format!("declare queue {jobs} (declared before with another max_attempts?)"),
        channel.queue_declare(&jobs, durable, jobs_arguments(names, topic, settings)),
    )
    .await?;
    Ok(())
}

fn jobs_arguments(names: &Names, topic: &str, settings: QueueSettings) -> FieldTable {
    let text = |value: &str| AMQPValue::LongString(LongString::from(value.to_owned()));
    // A limit of N lets a message go back N times: N + 1 deliveries in all.
    let limit = i64::from(settings.max_attempts.max(1) - 1);
    let mut arguments = FieldTable::default();
    arguments.insert("x-queue-type".into(), text("quorum"));
    arguments.insert("x-delivery-limit".into(), AMQPValue::LongLongInt(limit));
    arguments.insert(
        "x-dead-letter-exchange".into(),
        text(&names.dead_exchange()),
    );
    arguments.insert("x-dead-letter-routing-key".into(), text(topic));
    arguments.insert("x-dead-letter-strategy".into(), text("at-least-once"));
    arguments.insert("x-overflow".into(), text("reject-publish"));
    arguments
}

/// Deletes the queues of `topics` and the namespace's exchange.
pub(super) async fn delete(
    channel: &Channel,
    names: &Names,
    topics: &[String],
) -> Result<(), QueueError> {
    for topic in topics {
        for queue in [names.jobs_queue(topic)?, names.dead_queue(topic)?] {
            within(
                &format!("delete queue {queue}"),
                channel.queue_delete(&queue, QueueDeleteOptions::default()),
            )
            .await?;
        }
    }
    let exchange = names.dead_exchange();
    within(
        &format!("delete exchange {exchange}"),
        channel.exchange_delete(&exchange, ExchangeDeleteOptions::default()),
    )
    .await
}
