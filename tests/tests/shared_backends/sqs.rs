//! The queue contract suite against SQS (`DARKROOM_TEST_AWS_ENDPOINT`, e.g. moto; credentials and region
//! from the usual `AWS_*` variables), and what the SQS adapter promises beyond it. Every case gets a queue
//! prefix of its own, and its queues are deleted when it ends.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use darkroom_adapters::queue::sqs::SqsQueue;
use darkroom_core::ports::{Message, Queue, QueueError, QueueSettings};
use darkroom_tests::contract::queue_depth::DepthFixture;
use darkroom_tests::contract::Fixture;
use darkroom_tests::services::{require, unique_name, AWS_ENDPOINT};

/// SQS counts visibility timeouts in whole seconds, so the suite runs with one second rather than its
/// default 300 ms (which the adapter would round up to a second anyway: see the report on
/// `exhausted_messages_are_dead_lettered`, the one case whose waits are too short for that).
const SETTINGS: QueueSettings = QueueSettings {
    visibility_timeout: Duration::from_secs(1),
    max_attempts: 3,
};

/// Deletes the case's queues when the fixture goes.
struct DeleteQueues(SqsQueue);

impl Drop for DeleteQueues {
    fn drop(&mut self) {
        let queue = self.0.clone();
        let cleanup = async move {
            if let Err(e) = queue.delete_queues().await {
                eprintln!("could not delete the test's sqs queues: {e}");
            }
        };
        // The suites run on a multi-threaded runtime: block this worker while another drives the calls.
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            tokio::task::block_in_place(|| handle.block_on(cleanup));
        }
    }
}

fn url(endpoint: &str) -> String {
    format!("sqs://{}?endpoint={endpoint}", unique_name("sqs"))
}

async fn sqs_queue(settings: QueueSettings) -> Option<Fixture<dyn Queue>> {
    let endpoint = require(AWS_ENDPOINT, "sqs")?;
    let queue = SqsQueue::from_url(&url(&endpoint), settings).await.unwrap();
    let port: Arc<dyn Queue> = Arc::new(queue.clone());
    Some(Fixture::with_guard(port, DeleteQueues(queue)))
}

mod contract {
    darkroom_tests::queue_contract_suite!(super::sqs_queue, super::SETTINGS);
}

async fn sqs_depth(settings: QueueSettings) -> Option<Fixture<DepthFixture>> {
    let endpoint = require(AWS_ENDPOINT, "sqs")?;
    let queue = SqsQueue::from_url(&url(&endpoint), settings).await.unwrap();
    let guard = DeleteQueues(queue.clone());
    Some(Fixture::with_guard(
        Arc::new(DepthFixture::of(Arc::new(queue))),
        guard,
    ))
}

/// SQS counts approximately, and the age of its oldest message is a CloudWatch metric, not an attribute:
/// the suite awaits its counts, and takes the unknown age as the adapter's answer.
mod depth_contract {
    darkroom_tests::queue_depth_contract_suite!(super::sqs_depth);
}

fn message(topic: &str, payload: &'static [u8]) -> Message {
    Message {
        id: uuid::Uuid::now_v7().to_string(),
        topic: topic.to_owned(),
        payload: Bytes::from_static(payload),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_twice_is_fine_and_provisions_the_job_topics() {
    let Some(endpoint) = require(AWS_ENDPOINT, "sqs") else {
        return;
    };
    let queue = SqsQueue::from_url(&url(&endpoint), SETTINGS).await.unwrap();
    let _cleanup = DeleteQueues(queue.clone());
    queue.migrate().await.unwrap();
    queue.migrate().await.unwrap();
    // A second process with other settings reconciles the same queues.
    let other = SqsQueue::from_url(&url(&endpoint), QueueSettings::default())
        .await
        .unwrap();
    let _other_cleanup = DeleteQueues(other.clone());
    other.migrate().await.unwrap();

    let sent = message(
        darkroom_core::domain::JOBS_TOPIC,
        b"{\"kind\":\"process_image\"}",
    );
    queue.publish(&sent).await.unwrap();
    let got = queue
        .receive(&sent.topic, 10, Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].message, sent);
    queue.ack(&got[0]).await.unwrap();
    // Each topic's queue and its dead letters.
    assert_eq!(
        queue.delete_queues().await.unwrap(),
        2 * darkroom_core::domain::all_topics().count()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_endpoint_fails_fast_and_says_unavailable() {
    let started = Instant::now();
    // Port 1 on loopback: nothing listens, so connections are refused at once.
    let queue = SqsQueue::from_url(
        "sqs://nowhere?endpoint=http://127.0.0.1:1&region=us-east-1",
        SETTINGS,
    )
    .await
    .unwrap();
    for result in [
        queue.ping().await,
        queue.migrate().await,
        queue.publish(&message("jobs", b"{}")).await,
    ] {
        assert!(
            matches!(result, Err(QueueError::Unavailable { .. })),
            "{result:?}"
        );
    }
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dotted_topics_binary_payloads_and_dead_letters_that_stay() {
    let Some(fixture) = sqs_queue(SETTINGS).await else {
        return;
    };
    let queue = fixture.port.clone();
    let sent = message("image.ready", b"\x00\x01\xffnot text");
    queue.publish(&sent).await.unwrap();
    let empty = message("image.ready", b"");
    queue.publish(&empty).await.unwrap();
    let mut got = queue
        .receive("image.ready", 10, Duration::from_secs(5))
        .await
        .unwrap();
    if got.len() < 2 {
        got.extend(
            queue
                .receive("image.ready", 10, Duration::from_secs(5))
                .await
                .unwrap(),
        );
    }
    let mut payloads: Vec<Bytes> = got.iter().map(|d| d.message.payload.clone()).collect();
    payloads.sort();
    assert_eq!(payloads, vec![empty.payload.clone(), sent.payload.clone()]);

    // Nack both until they are exhausted, then list the dead letters twice: listing leaves them there.
    for _ in 1..SETTINGS.max_attempts {
        for delivery in &got {
            queue.nack(delivery, Duration::ZERO).await.unwrap();
        }
        got = queue
            .receive("image.ready", 10, Duration::from_secs(5))
            .await
            .unwrap();
        if got.len() < 2 {
            got.extend(
                queue
                    .receive("image.ready", 10, Duration::from_secs(5))
                    .await
                    .unwrap(),
            );
        }
        assert_eq!(got.len(), 2);
    }
    for delivery in &got {
        queue.nack(delivery, Duration::ZERO).await.unwrap();
    }
    // The redrive happens when someone next receives from the topic.
    assert!(queue
        .receive("image.ready", 10, Duration::from_secs(1))
        .await
        .unwrap()
        .is_empty());
    for _ in 0..2 {
        let mut dead = queue.dead_letters("image.ready", 10).await.unwrap();
        dead.sort_by(|a, b| a.payload.cmp(&b.payload));
        assert_eq!(dead, vec![empty.clone(), sent.clone()]);
    }
    assert_eq!(queue.dead_letters("image.ready", 1).await.unwrap().len(), 1);
}

#[tokio::test]
async fn urls_and_topics_sqs_cannot_serve_are_refused() {
    for bad in ["sqs://a?colour=blue", "sqs://has.dot", "amqp://x"] {
        let err = SqsQueue::from_url(bad, SETTINGS).await.unwrap_err();
        assert!(matches!(err, QueueError::Other { .. }), "{bad}: {err:?}");
    }
    let queue = SqsQueue::from_url(
        "sqs://p?endpoint=http://127.0.0.1:1&region=us-east-1",
        SETTINGS,
    )
    .await
    .unwrap();
    let err = queue
        .publish(&message("has-hyphen", b"{}"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("has-hyphen"), "{err}");
    let err = queue.receive("x.dlq", 1, Duration::ZERO).await.unwrap_err();
    assert!(err.to_string().contains("dead-letter"), "{err}");
}
