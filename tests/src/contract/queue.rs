//! The `Queue` contract suite: `queue_contract_suite!(factory)` or `(factory, settings)`, `factory` being an
//! async fn taking `QueueSettings` and returning `Fixture<dyn Queue>`. The default settings are short (300 ms
//! visibility, 3 attempts) so redelivery runs quickly; a backend with a coarser clock passes its own.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use darkroom_core::ports::{Delivery, Message, Queue, QueueError, QueueSettings};
use tokio::time::Instant;

use super::unique;

/// Settings the suite runs with unless told otherwise.
pub const SETTINGS: QueueSettings = QueueSettings {
    visibility_timeout: Duration::from_millis(300),
    max_attempts: 3,
};

/// Expands to one `#[tokio::test]` per queue case, each calling `$factory(settings).await` for a queue.
#[macro_export]
macro_rules! queue_contract_suite {
    (@cases $factory:path, $settings:expr; $($case:ident),+ $(,)?) => {
        $(
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let settings = $settings;
                let Some(fixture) = $crate::contract::IntoFixture::into_fixture($factory(settings).await) else { return };
                $crate::contract::queue::$case(fixture.port.clone(), settings).await;
            }
        )+
    };
    ($factory:path) => {
        $crate::queue_contract_suite!($factory, $crate::contract::queue::SETTINGS);
    };
    ($factory:path, $settings:expr) => {
        $crate::queue_contract_suite!(@cases $factory, $settings;
            published_messages_are_received_and_acked,
            duplicate_ids_are_delivered_once,
            unacked_messages_are_redelivered_after_the_visibility_timeout,
            nack_makes_a_message_visible_after_retry_after,
            extended_deliveries_are_not_redelivered,
            a_delivery_comes_back_once_its_extensions_stop,
            extending_a_stale_receipt_is_invalid,
            exhausted_messages_are_dead_lettered,
            receive_waits_and_wakes_on_publish,
            receive_returns_nothing_after_waiting,
            receive_returns_at_most_max,
            topics_are_isolated,
            ping_succeeds,
            trace_context_survives_publish_and_delivery,
        );
    };
}

fn message(topic: &str) -> Message {
    Message {
        id: unique("msg"),
        topic: topic.to_owned(),
        payload: Bytes::from(format!("{{\"n\":\"{}\"}}", unique("p"))),
    }
}

/// Long enough for a backend to hand over a message that is there, generous for slow CI.
const PATIENCE: Duration = Duration::from_secs(5);

/// Waits (up to `PATIENCE`) for exactly one delivery.
async fn receive_one(queue: &dyn Queue, topic: &str) -> Delivery {
    let mut got = queue.receive(topic, 1, PATIENCE).await.unwrap();
    assert_eq!(got.len(), 1, "expected one delivery on {topic}");
    got.remove(0)
}

async fn assert_nothing(queue: &dyn Queue, topic: &str, wait: Duration) {
    let got = queue.receive(topic, 10, wait).await.unwrap();
    assert!(got.is_empty(), "expected nothing on {topic}, got {got:?}");
}

fn assert_invalid_receipt(result: Result<(), QueueError>) {
    assert!(
        matches!(result, Err(QueueError::InvalidReceipt)),
        "expected InvalidReceipt, got {result:?}"
    );
}

pub async fn published_messages_are_received_and_acked(
    queue: Arc<dyn Queue>,
    settings: QueueSettings,
) {
    let topic = unique("topic");
    let sent = message(&topic);
    queue.publish(&sent).await.unwrap();
    let got = receive_one(queue.as_ref(), &topic).await;
    assert_eq!((got.message.clone(), got.attempt), (sent, 1));
    queue.ack(&got).await.unwrap();
    // Acked is gone for good: not even after the visibility timeout.
    assert_nothing(queue.as_ref(), &topic, settings.visibility_timeout * 3).await;
    assert_invalid_receipt(queue.ack(&got).await);
}

pub async fn duplicate_ids_are_delivered_once(queue: Arc<dyn Queue>, settings: QueueSettings) {
    let topic = unique("topic");
    let sent = message(&topic);
    queue.publish(&sent).await.unwrap();
    queue.publish(&sent).await.unwrap();
    let got = queue.receive(&topic, 10, PATIENCE).await.unwrap();
    assert_eq!(got.len(), 1, "{got:?}");
    queue.ack(&got[0]).await.unwrap();
    assert_nothing(queue.as_ref(), &topic, settings.visibility_timeout * 2).await;
}

pub async fn unacked_messages_are_redelivered_after_the_visibility_timeout(
    queue: Arc<dyn Queue>,
    settings: QueueSettings,
) {
    let topic = unique("topic");
    let sent = message(&topic);
    queue.publish(&sent).await.unwrap();
    // Taken before the claim, so the claim's own clock starts no earlier.
    let claimed_after = Instant::now();
    let first = receive_one(queue.as_ref(), &topic).await;
    // Invisible to everyone else meanwhile.
    assert_nothing(queue.as_ref(), &topic, Duration::ZERO).await;

    let second = receive_one(queue.as_ref(), &topic).await;
    assert!(
        claimed_after.elapsed() >= settings.visibility_timeout,
        "redelivered before the visibility timeout"
    );
    assert_eq!((second.message.clone(), second.attempt), (sent, 2));
    assert_ne!(second.receipt, first.receipt);
    // The first consumer was too slow: its receipt no longer settles anything.
    assert_invalid_receipt(queue.ack(&first).await);
    assert_invalid_receipt(queue.nack(&first, Duration::ZERO).await);
    queue.ack(&second).await.unwrap();
    assert_nothing(queue.as_ref(), &topic, settings.visibility_timeout * 2).await;
}

pub async fn nack_makes_a_message_visible_after_retry_after(
    queue: Arc<dyn Queue>,
    settings: QueueSettings,
) {
    let topic = unique("topic");
    queue.publish(&message(&topic)).await.unwrap();
    let first = receive_one(queue.as_ref(), &topic).await;
    queue.nack(&first, Duration::ZERO).await.unwrap();
    // Back at once, long before the visibility timeout would have released it.
    let started = Instant::now();
    let second = receive_one(queue.as_ref(), &topic).await;
    assert!(
        started.elapsed() < settings.visibility_timeout,
        "a nack with no delay must release the message"
    );
    assert_eq!(second.attempt, 2);
    // A nacked delivery is settled: its receipt is spent.
    assert_invalid_receipt(queue.ack(&first).await);

    let retry_after = settings.visibility_timeout * 2;
    let nacked_after = Instant::now();
    queue.nack(&second, retry_after).await.unwrap();
    assert_nothing(queue.as_ref(), &topic, Duration::ZERO).await;
    let third = receive_one(queue.as_ref(), &topic).await;
    assert!(
        nacked_after.elapsed() >= retry_after,
        "visible again before retry_after"
    );
    assert_eq!(third.attempt, 3);
    queue.ack(&third).await.unwrap();
}

/// Extends `delivery` every third of the visibility timeout for `rounds` thirds, checking each time that
/// nobody else can receive its message.
async fn keep_extending(
    queue: &dyn Queue,
    delivery: &Delivery,
    settings: QueueSettings,
    rounds: u32,
) {
    for _ in 0..rounds {
        tokio::time::sleep(settings.visibility_timeout / 3).await;
        queue.extend(delivery).await.unwrap();
        assert_nothing(queue, &delivery.message.topic, Duration::ZERO).await;
    }
}

pub async fn extended_deliveries_are_not_redelivered(
    queue: Arc<dyn Queue>,
    settings: QueueSettings,
) {
    let topic = unique("topic");
    let sent = message(&topic);
    queue.publish(&sent).await.unwrap();
    let got = receive_one(queue.as_ref(), &topic).await;
    // Held for three timeouts, by a heartbeat at a third of one.
    keep_extending(queue.as_ref(), &got, settings, 9).await;
    queue.ack(&got).await.unwrap();
    assert_nothing(queue.as_ref(), &topic, settings.visibility_timeout * 2).await;
}

pub async fn a_delivery_comes_back_once_its_extensions_stop(
    queue: Arc<dyn Queue>,
    settings: QueueSettings,
) {
    let topic = unique("topic");
    let sent = message(&topic);
    queue.publish(&sent).await.unwrap();
    let first = receive_one(queue.as_ref(), &topic).await;
    keep_extending(queue.as_ref(), &first, settings, 4).await;
    // The consumer died: no more extensions, and the message is back within a timeout or so.
    let stopped = Instant::now();
    let second = receive_one(queue.as_ref(), &topic).await;
    assert!(
        stopped.elapsed() < settings.visibility_timeout * 2 + Duration::from_secs(1),
        "came back only after {:?}",
        stopped.elapsed()
    );
    // Extending counted no attempt.
    assert_eq!((second.message.clone(), second.attempt), (sent, 2));
    queue.ack(&second).await.unwrap();
}

pub async fn extending_a_stale_receipt_is_invalid(queue: Arc<dyn Queue>, _settings: QueueSettings) {
    let topic = unique("topic");
    queue.publish(&message(&topic)).await.unwrap();
    let first = receive_one(queue.as_ref(), &topic).await;
    // Too slow: the timeout ran out and the message went to someone else.
    let second = receive_one(queue.as_ref(), &topic).await;
    assert_eq!(second.attempt, 2);
    assert_invalid_receipt(queue.extend(&first).await);
    // The current holder's lease is untouched by that, and extends.
    queue.extend(&second).await.unwrap();
    queue.ack(&second).await.unwrap();
    // Settled: nothing left to extend.
    assert_invalid_receipt(queue.extend(&second).await);
}

pub async fn exhausted_messages_are_dead_lettered(queue: Arc<dyn Queue>, settings: QueueSettings) {
    let topic = unique("topic");
    let sent = message(&topic);
    queue.publish(&sent).await.unwrap();
    for attempt in 1..=settings.max_attempts {
        let got = receive_one(queue.as_ref(), &topic).await;
        assert_eq!(got.attempt, attempt);
        // Alternate between a timeout and an explicit nack: both count as a failed delivery.
        if attempt % 2 == 0 {
            queue.nack(&got, Duration::ZERO).await.unwrap();
        }
    }
    // No delivery beyond max_attempts, however long we wait.
    assert_nothing(queue.as_ref(), &topic, settings.visibility_timeout * 3).await;
    let dead = queue.dead_letters(&topic, 10).await.unwrap();
    assert_eq!(dead, vec![sent]);
    assert!(
        queue
            .dead_letters(&unique("topic"), 10)
            .await
            .unwrap()
            .is_empty(),
        "dead letters are per topic"
    );
}

pub async fn receive_waits_and_wakes_on_publish(queue: Arc<dyn Queue>, _settings: QueueSettings) {
    let topic = unique("topic");
    let waiting = {
        let (queue, topic) = (queue.clone(), topic.clone());
        tokio::spawn(async move {
            let got = queue
                .receive(&topic, 1, Duration::from_secs(10))
                .await
                .unwrap();
            (got, Instant::now())
        })
    };
    // The receiver is already waiting when the message arrives: it must not have given up, and must
    // notice soon rather than at the end of its 10 s.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let sent = message(&topic);
    let published_at = Instant::now();
    queue.publish(&sent).await.unwrap();
    let (got, returned_at) = waiting.await.unwrap();
    assert_eq!(got.len(), 1, "receive gave up before its wait was over");
    assert_eq!(got[0].message, sent);
    let lag = returned_at.saturating_duration_since(published_at);
    assert!(
        lag < Duration::from_secs(2),
        "receive slept through the publish ({lag:?})"
    );
    queue.ack(&got[0]).await.unwrap();
}

pub async fn receive_returns_nothing_after_waiting(
    queue: Arc<dyn Queue>,
    _settings: QueueSettings,
) {
    let topic = unique("topic");
    let started = Instant::now();
    assert_nothing(queue.as_ref(), &topic, Duration::from_millis(500)).await;
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(450),
        "receive did not wait ({waited:?})"
    );
    assert!(
        waited < Duration::from_secs(3),
        "receive overslept ({waited:?})"
    );
}

pub async fn receive_returns_at_most_max(queue: Arc<dyn Queue>, _settings: QueueSettings) {
    let topic = unique("topic");
    let sent: Vec<Message> = (0..5).map(|_| message(&topic)).collect();
    for m in &sent {
        queue.publish(m).await.unwrap();
    }
    let mut got = Vec::new();
    let deadline = Instant::now() + PATIENCE;
    while got.len() < sent.len() && Instant::now() < deadline {
        let batch = queue
            .receive(&topic, 2, Duration::from_millis(500))
            .await
            .unwrap();
        assert!(batch.len() <= 2, "asked for 2, got {}", batch.len());
        got.extend(batch);
    }
    // Every message once: none is handed out twice while it is invisible.
    let ids: BTreeSet<&str> = got.iter().map(|d| d.message.id.as_str()).collect();
    assert_eq!(ids, sent.iter().map(|m| m.id.as_str()).collect());
    assert_eq!(got.len(), sent.len(), "a message was delivered twice");
    for delivery in &got {
        queue.ack(delivery).await.unwrap();
    }
}

pub async fn topics_are_isolated(queue: Arc<dyn Queue>, _settings: QueueSettings) {
    let (a, b) = (unique("topic"), unique("topic"));
    let sent = message(&a);
    queue.publish(&sent).await.unwrap();
    assert_nothing(queue.as_ref(), &b, Duration::from_millis(200)).await;
    let got = receive_one(queue.as_ref(), &a).await;
    assert_eq!(got.message, sent);
    queue.ack(&got).await.unwrap();
}

/// The trace context a job carries (in its payload, see `darkroom_core::trace_context`) is delivered as it
/// was published, and so are the job's own fields beside it: a traced upload stays one trace on every queue.
pub async fn trace_context_survives_publish_and_delivery(
    queue: Arc<dyn Queue>,
    _settings: QueueSettings,
) {
    use darkroom_core::trace_context::{stamp, traceparent_of};
    let topic = unique("traced");
    let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let job = Bytes::from(format!(
        "{{\"kind\":\"process_image\",\"n\":\"{}\"}}",
        unique("p")
    ));
    let sent = Message {
        payload: stamp(job.clone(), Some(traceparent.to_owned())),
        ..message(&topic)
    };
    queue.publish(&sent).await.unwrap();
    let got = receive_one(queue.as_ref(), &topic).await;
    assert_eq!(got.message, sent);
    assert_eq!(
        traceparent_of(&got.message.payload).as_deref(),
        Some(traceparent)
    );
    let fields: serde_json::Value = serde_json::from_slice(&got.message.payload).unwrap();
    let original: serde_json::Value = serde_json::from_slice(&job).unwrap();
    assert_eq!(fields["n"], original["n"]);
    queue.ack(&got).await.unwrap();
    // A message published without one (an older release's) carries none, and is delivered all the same.
    let plain = Message {
        payload: job,
        ..message(&topic)
    };
    queue.publish(&plain).await.unwrap();
    let got = receive_one(queue.as_ref(), &topic).await;
    assert_eq!(traceparent_of(&got.message.payload), None);
    queue.ack(&got).await.unwrap();
}

pub async fn ping_succeeds(queue: Arc<dyn Queue>, _settings: QueueSettings) {
    queue.ping().await.unwrap();
    assert!(!queue.backend().is_empty());
}

/// Durability: publish, drop the queue, `open` its storage again: the message is there (not in the macro).
pub async fn published_messages_survive_reopening<F, Fut>(open: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn Queue>>,
{
    let topic = unique("topic");
    let sent = message(&topic);
    let queue = open().await;
    queue.publish(&sent).await.unwrap();
    drop(queue);

    let queue = open().await;
    let got = receive_one(queue.as_ref(), &topic).await;
    assert_eq!((got.message.clone(), got.attempt), (sent, 1));
    queue.ack(&got).await.unwrap();
}
