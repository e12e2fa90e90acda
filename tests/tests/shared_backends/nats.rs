//! The queue contract suite against NATS JetStream (`DARKROOM_TEST_NATS_URL`), and what the NATS adapter
//! promises beyond it. Every case gets a namespace of its own (two streams), deleted when it ends.

use std::time::{Duration, Instant};

use darkroom_adapters::NatsQueue;
use darkroom_core::ports::{Queue, QueueError, QueueSettings};
use darkroom_tests::contract::queue_depth::DepthFixture;
use darkroom_tests::contract::{queue, Fixture};
use darkroom_tests::services::NATS_URL;

use crate::queue_namespace::{
    self, fresh_url, message, open, NamespacedQueue, RemoveNamespace, PATIENCE,
};

impl NamespacedQueue for NatsQueue {
    const URL_VAR: &'static str = NATS_URL;
    const SUITE: &'static str = "queue_nats";

    async fn connect(url: &str, settings: QueueSettings) -> Result<Self, QueueError> {
        NatsQueue::from_url(url, settings).await
    }

    async fn migrate(&self) -> Result<(), QueueError> {
        NatsQueue::migrate(self).await
    }

    async fn remove_namespace(&self) -> Result<(), QueueError> {
        self.delete_namespace().await
    }
}

async fn nats_queue(settings: QueueSettings) -> Option<Fixture<dyn Queue>> {
    queue_namespace::fixture::<NatsQueue>(settings).await
}

mod contract {
    darkroom_tests::queue_contract_suite!(super::nats_queue);
}

async fn nats_depth(settings: QueueSettings) -> Option<Fixture<DepthFixture>> {
    queue_namespace::depth_fixture::<NatsQueue>(settings).await
}

mod depth_contract {
    darkroom_tests::queue_depth_contract_suite!(super::nats_depth);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn published_messages_survive_a_new_adapter() {
    queue_namespace::published_messages_survive_a_new_adapter::<NatsQueue>().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_deduplicates_ids_across_processes_but_not_across_topics() {
    let Some(url) = fresh_url::<NatsQueue>() else {
        return;
    };
    let (a, b) = (
        open::<NatsQueue>(&url, queue::SETTINGS).await,
        open::<NatsQueue>(&url, queue::SETTINGS).await,
    );
    let _cleanup = RemoveNamespace(a.clone());
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
    let Some(url) = fresh_url::<NatsQueue>() else {
        return;
    };
    let settings = QueueSettings {
        visibility_timeout: Duration::from_secs(30),
        max_attempts: 1,
    };
    let queue = open::<NatsQueue>(&url, settings).await;
    let _cleanup = RemoveNamespace(queue.clone());
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
    let Some(url) = fresh_url::<NatsQueue>() else {
        return;
    };
    let (a, b) = (
        open::<NatsQueue>(&url, queue::SETTINGS).await,
        open::<NatsQueue>(&url, queue::SETTINGS).await,
    );
    let _cleanup = RemoveNamespace(a.clone());
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
    let Some(url) = fresh_url::<NatsQueue>() else {
        return;
    };
    let queue = open::<NatsQueue>(&url, queue::SETTINGS).await;
    let _cleanup = RemoveNamespace(queue.clone());
    queue.migrate().await.unwrap();
    queue.publish(&message("jobs", "m")).await.unwrap();
    let got = queue.receive("jobs", 1, PATIENCE).await.unwrap();
    queue.nack(&got[0], Duration::ZERO).await.unwrap();

    // A new release with other settings updates the existing consumer and carries on where it was.
    let settings = QueueSettings {
        visibility_timeout: Duration::from_secs(60),
        max_attempts: 5,
    };
    let upgraded = open::<NatsQueue>(&url, settings).await;
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
        matches!(result, Err(QueueError::Unavailable { .. })),
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
        matches!(&result, Err(QueueError::Other { message: m, .. }) if m.contains("bogus")),
        "{result:?}"
    );
}
