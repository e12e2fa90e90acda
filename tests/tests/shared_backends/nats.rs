//! The queue contract suite against NATS JetStream (`DARKROOM_TEST_NATS_URL`), and what the NATS adapter
//! promises beyond it. Every case gets a namespace of its own (two streams), deleted when it ends.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use darkroom_adapters::NatsQueue;
use darkroom_core::ports::{Message, Queue, QueueError, QueueSettings};
use darkroom_tests::contract::{queue, Fixture};
use darkroom_tests::services::{require, unique_name, NATS_URL};

/// Deletes the case's streams when the fixture goes.
struct DeleteNamespace(Arc<NatsQueue>);

impl Drop for DeleteNamespace {
    fn drop(&mut self) {
        let queue = self.0.clone();
        let cleanup = async move {
            if let Err(e) = queue.delete_namespace().await {
                eprintln!("could not delete the test's nats streams: {e}");
            }
        };
        // The suites run on a multi-threaded runtime: block this worker while another drives the calls.
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            tokio::task::block_in_place(|| handle.block_on(cleanup));
        }
    }
}

/// The server URL with a fresh namespace, or `None` (skip) when no server is configured.
fn fresh_url() -> Option<String> {
    let url = require(NATS_URL, "queue_nats")?;
    let joiner = if url.contains('?') { '&' } else { '?' };
    Some(format!("{url}{joiner}namespace={}", unique_name("q")))
}

async fn open(url: &str, settings: QueueSettings) -> Arc<NatsQueue> {
    let queue = NatsQueue::from_url(url, settings).await.unwrap();
    queue.migrate().await.unwrap();
    Arc::new(queue)
}

async fn nats_queue(settings: QueueSettings) -> Option<Fixture<dyn Queue>> {
    let queue = open(&fresh_url()?, settings).await;
    let port: Arc<dyn Queue> = queue.clone();
    Some(Fixture::with_guard(port, DeleteNamespace(queue)))
}

mod contract {
    darkroom_tests::queue_contract_suite!(super::nats_queue);
}

fn message(topic: &str, id: &str) -> Message {
    Message {
        id: id.to_owned(),
        topic: topic.to_owned(),
        payload: Bytes::from_static(b"{\"kind\":\"process_image\"}"),
    }
}

const PATIENCE: Duration = Duration::from_secs(5);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn published_messages_survive_a_new_adapter() {
    let Some(url) = fresh_url() else { return };
    let last = std::sync::Mutex::new(None);
    let (url, last_ref) = (&url, &last);
    queue::published_messages_survive_reopening(move || async move {
        let queue = open(url, queue::SETTINGS).await;
        *last_ref.lock().unwrap() = Some(queue.clone());
        let port: Arc<dyn Queue> = queue;
        port
    })
    .await;
    let _cleanup = last.lock().unwrap().take().map(DeleteNamespace);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_deduplicates_ids_across_processes_but_not_across_topics() {
    let Some(url) = fresh_url() else { return };
    let (a, b) = (
        open(&url, queue::SETTINGS).await,
        open(&url, queue::SETTINGS).await,
    );
    let _cleanup = DeleteNamespace(a.clone());
    a.publish(&message("jobs", "m1")).await.unwrap();
    b.publish(&message("jobs", "m1")).await.unwrap();
    b.publish(&message("other", "m1")).await.unwrap();
    let got = a.receive("jobs", 10, PATIENCE).await.unwrap();
    assert_eq!(got.len(), 1, "{got:?}");
    a.ack(&got[0]).await.unwrap();
    // Acked, and published again within the window: still de-duplicated.
    b.publish(&message("jobs", "m1")).await.unwrap();
    assert!(a
        .receive("jobs", 10, Duration::from_millis(500))
        .await
        .unwrap()
        .is_empty());
    assert_eq!(a.receive("other", 10, PATIENCE).await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nack_of_the_last_attempt_dead_letters_at_once() {
    let Some(url) = fresh_url() else { return };
    let settings = QueueSettings {
        visibility_timeout: Duration::from_secs(30),
        max_attempts: 1,
    };
    let queue = open(&url, settings).await;
    let _cleanup = DeleteNamespace(queue.clone());
    let sent = message("jobs", "last");
    queue.publish(&sent).await.unwrap();
    let got = queue.receive("jobs", 1, PATIENCE).await.unwrap();
    // No retry is coming, so the delay does not matter.
    queue.nack(&got[0], Duration::from_secs(60)).await.unwrap();
    assert_eq!(
        queue.dead_letters("jobs", 10).await.unwrap(),
        vec![sent.clone()]
    );
    // Listing does not consume them.
    assert_eq!(queue.dead_letters("jobs", 10).await.unwrap(), vec![sent]);
    assert!(queue
        .receive("jobs", 1, Duration::from_millis(300))
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receipt_settles_only_through_the_adapter_that_received_it() {
    let Some(url) = fresh_url() else { return };
    let (a, b) = (
        open(&url, queue::SETTINGS).await,
        open(&url, queue::SETTINGS).await,
    );
    let _cleanup = DeleteNamespace(a.clone());
    a.publish(&message("jobs", "m")).await.unwrap();
    let got = a.receive("jobs", 1, PATIENCE).await.unwrap();
    let refused = b.ack(&got[0]).await;
    assert!(
        matches!(refused, Err(QueueError::InvalidReceipt)),
        "{refused:?}"
    );
    a.ack(&got[0]).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_twice_and_with_new_settings_is_fine() {
    let Some(url) = fresh_url() else { return };
    let queue = open(&url, queue::SETTINGS).await;
    let _cleanup = DeleteNamespace(queue.clone());
    queue.migrate().await.unwrap();
    queue.publish(&message("jobs", "m")).await.unwrap();
    let got = queue.receive("jobs", 1, PATIENCE).await.unwrap();
    queue.nack(&got[0], Duration::ZERO).await.unwrap();

    // A new release with other settings updates the existing consumer and carries on where it was.
    let settings = QueueSettings {
        visibility_timeout: Duration::from_secs(60),
        max_attempts: 5,
    };
    let upgraded = open(&url, settings).await;
    upgraded.migrate().await.unwrap();
    let got = upgraded.receive("jobs", 1, PATIENCE).await.unwrap();
    assert_eq!(got[0].attempt, 2);
    upgraded.ack(&got[0]).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_server_fails_fast_and_says_unavailable() {
    let started = Instant::now();
    // Port 1 on loopback: nothing listens, so the connection is refused at once.
    let result = NatsQueue::from_url("nats://127.0.0.1:1", queue::SETTINGS).await;
    assert!(
        matches!(result, Err(QueueError::Unavailable(_))),
        "{result:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_url_parameters_are_refused_by_name() {
    let result =
        NatsQueue::from_url("nats://127.0.0.1:4222?namespace=a&bogus=1", queue::SETTINGS).await;
    assert!(
        matches!(&result, Err(QueueError::Other(m)) if m.contains("bogus")),
        "{result:?}"
    );
}
