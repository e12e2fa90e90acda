//! Taking up to `max` messages from a queue, waiting up to `wait` for the first.
//!
//! What is there now comes by `basic.get`, one message per round trip, which answers "empty" at once. Only
//! when the queue is empty does `receive` wait, with a consumer whose prefetch is `max`: the broker pushes
//! at most `max` unacknowledged messages to it, and after the first arrives (or the wait is over) the
//! consumer is cancelled and read to its end, so every message the broker sent is handed out, none dropped.

use std::time::Duration;

use darkroom_core::ports::QueueError;
use futures::StreamExt;
use lapin::message::Delivery;
use lapin::options::{BasicCancelOptions, BasicConsumeOptions, BasicGetOptions, BasicQosOptions};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{BasicProperties, Channel};

use super::link::{within, REQUEST_TIMEOUT};

pub(super) async fn take(
    channel: &Channel,
    queue: &str,
    max: usize,
    wait: Duration,
) -> Result<Vec<Delivery>, QueueError> {
    let ready = available(channel, queue, max).await?;
    if !ready.is_empty() || wait.is_zero() {
        return Ok(ready);
    }
    wait_for_first(channel, queue, max, wait).await
}

async fn available(
    channel: &Channel,
    queue: &str,
    max: usize,
) -> Result<Vec<Delivery>, QueueError> {
    let mut ready = Vec::new();
    while ready.len() < max {
        let got = within(
            &format!("get from {queue}"),
            channel.basic_get(queue, BasicGetOptions { no_ack: false }),
        )
        .await;
        match got {
            Ok(Some(message)) => {
                let last = message.message_count == 0;
                ready.push(message.delivery);
                if last {
                    break;
                }
            }
            Ok(None) => break,
            Err(e) if ready.is_empty() => return Err(e),
            // What is in hand stays valid on this channel; the failure shows on the next call.
            Err(e) => {
                tracing::warn!(error = %e, queue, "rabbitmq get failed after some messages");
                break;
            }
        }
    }
    Ok(ready)
}

async fn wait_for_first(
    channel: &Channel,
    queue: &str,
    max: usize,
    wait: Duration,
) -> Result<Vec<Delivery>, QueueError> {
    let prefetch = u16::try_from(max).unwrap_or(u16::MAX);
    within(
        "set the prefetch",
        channel.basic_qos(prefetch, BasicQosOptions::default()),
    )
    .await?;
    let mut consumer = within(
        &format!("consume from {queue}"),
        channel.basic_consume(
            queue,
            "",
            BasicConsumeOptions::default(),
            FieldTable::default(),
        ),
    )
    .await?;
    let mut got = Vec::new();
    if let Ok(Some(Ok(first))) = tokio::time::timeout(wait, consumer.next()).await {
        got.push(first);
    }
    within(
        "cancel a consumer",
        channel.basic_cancel(consumer.tag().as_str(), BasicCancelOptions::default()),
    )
    .await?;
    // Deliveries the broker sent before the cancel took effect; the stream ends at the cancel-ok.
    let drain = async {
        while let Some(item) = consumer.next().await {
            match item {
                Ok(delivery) => got.push(delivery),
                Err(e) => {
                    tracing::warn!(error = %e, queue, "rabbitmq consumer failed while draining");
                    break;
                }
            }
        }
    };
    if tokio::time::timeout(REQUEST_TIMEOUT, drain).await.is_err() {
        tracing::warn!(queue, "rabbitmq consumer did not end after its cancel");
    }
    Ok(got)
}

/// The delivery count a quorum queue writes on every redelivery (absent on the first).
pub(super) fn attempt(properties: &BasicProperties) -> u32 {
    let returned = properties
        .headers()
        .as_ref()
        .and_then(|headers| headers.inner().get("x-delivery-count"))
        .and_then(|count| match count {
            AMQPValue::LongLongInt(n) => u32::try_from(*n).ok(),
            AMQPValue::LongInt(n) => u32::try_from(*n).ok(),
            AMQPValue::LongUInt(n) => Some(*n),
            AMQPValue::ShortInt(n) => u32::try_from(*n).ok(),
            AMQPValue::ShortUInt(n) => Some(u32::from(*n)),
            _ => None,
        })
        .unwrap_or(0);
    returned.saturating_add(1)
}

/// The producer's id (empty for a message published without one).
pub(super) fn message_id(properties: &BasicProperties) -> String {
    properties
        .message_id()
        .as_ref()
        .map(|id| id.to_string())
        .unwrap_or_default()
}
