//! The queue contract suite against RabbitMQ (`DARKROOM_TEST_AMQP_URL`), and what the RabbitMQ adapter
//! promises beyond it. Every case gets a namespace of its own; the queues and exchange it declared are
//! deleted when it ends.

use std::time::{Duration, Instant};

use darkroom_adapters::RabbitQueue;
use darkroom_core::ports::source::chain;
use darkroom_core::ports::{Message, Queue, QueueError, QueueSettings};
use darkroom_tests::contract::queue_depth::DepthFixture;
use darkroom_tests::contract::{queue, Fixture};
use darkroom_tests::services::AMQP_URL;

use crate::queue_namespace::{
    self, fresh_url, message, open, NamespacedQueue, RemoveNamespace, PATIENCE,
};

impl NamespacedQueue for RabbitQueue {
    const URL_VAR: &'static str = AMQP_URL;
    const SUITE: &'static str = "queue_rabbitmq";

    async fn connect(url: &str, settings: QueueSettings) -> Result<Self, QueueError> {
        RabbitQueue::from_url(url, settings).await
    }

    async fn migrate(&self) -> Result<(), QueueError> {
        RabbitQueue::migrate(self).await
    }

    async fn remove_namespace(&self) -> Result<(), QueueError> {
        self.delete_declared().await
    }
}

async fn rabbit_queue(settings: QueueSettings) -> Option<Fixture<dyn Queue>> {
    queue_namespace::fixture::<RabbitQueue>(settings).await
}

mod contract {
    darkroom_tests::queue_contract_suite!(super::rabbit_queue);
}

async fn rabbit_depth(settings: QueueSettings) -> Option<Fixture<DepthFixture>> {
    queue_namespace::depth_fixture::<RabbitQueue>(settings).await
}

mod depth_contract {
    darkroom_tests::queue_depth_contract_suite!(super::rabbit_depth);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn published_messages_survive_a_new_adapter() {
    queue_namespace::published_messages_survive_a_new_adapter::<RabbitQueue>().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_publishes_an_id_once_and_another_process_cannot_tell() {
    let Some(url) = fresh_url::<RabbitQueue>() else {
        return;
    };
    let (a, b) = (
        open::<RabbitQueue>(&url, queue::SETTINGS).await,
        open::<RabbitQueue>(&url, queue::SETTINGS).await,
    );
    let _cleanup = RemoveNamespace(a.clone());
    a.publish(&message("jobs", "m1")).await.unwrap();
    a.publish(&message("jobs", "m1")).await.unwrap();
    a.publish(&message("other", "m1")).await.unwrap();
    let got = a.receive("jobs", 10, PATIENCE).await.unwrap();
    assert_eq!(got.len(), 1, "{got:?}");
    a.ack(&got[0]).await.unwrap();
    assert_eq!(a.receive("other", 10, PATIENCE).await.unwrap().len(), 1);
    // The documented limit: RabbitMQ has no de-duplication, and `b` never saw `m1`.
    b.publish(&message("jobs", "m1")).await.unwrap();
    assert_eq!(a.receive("jobs", 10, PATIENCE).await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listing_dead_letters_does_not_consume_them() {
    let Some(url) = fresh_url::<RabbitQueue>() else {
        return;
    };
    let settings = QueueSettings {
        visibility_timeout: Duration::from_secs(30),
        max_attempts: 1,
    };
    let queue = open::<RabbitQueue>(&url, settings).await;
    let _cleanup = RemoveNamespace(queue.clone());
    let sent: Vec<Message> = (0..3).map(|n| message("jobs", &format!("m{n}"))).collect();
    for m in &sent {
        queue.publish(m).await.unwrap();
    }
    for _ in &sent {
        let got = queue.receive("jobs", 1, PATIENCE).await.unwrap();
        // The last attempt: no retry is coming, so the delay is not waited out.
        queue.nack(&got[0], Duration::from_secs(60)).await.unwrap();
    }
    // Dead-lettering is the broker's, asynchronous: give it a moment.
    let deadline = Instant::now() + PATIENCE;
    while queue.dead_letters("jobs", 10).await.unwrap().len() < sent.len()
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(queue.dead_letters("jobs", 10).await.unwrap(), sent);
    assert_eq!(
        queue.dead_letters("jobs", 2).await.unwrap(),
        sent[..2].to_vec()
    );
    assert_eq!(
        queue.dead_letters("jobs", 10).await.unwrap(),
        sent,
        "still there, in order"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receipt_settles_only_through_the_adapter_that_received_it() {
    let Some(url) = fresh_url::<RabbitQueue>() else {
        return;
    };
    let (a, b) = (
        open::<RabbitQueue>(&url, queue::SETTINGS).await,
        open::<RabbitQueue>(&url, queue::SETTINGS).await,
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
async fn migrate_twice_is_fine_and_other_max_attempts_are_refused_by_name() {
    let Some(url) = fresh_url::<RabbitQueue>() else {
        return;
    };
    let queue = open::<RabbitQueue>(&url, queue::SETTINGS).await;
    let _cleanup = RemoveNamespace(queue.clone());
    queue.migrate().await.unwrap();
    let other = RabbitQueue::from_url(
        &url,
        QueueSettings {
            max_attempts: queue::SETTINGS.max_attempts + 1,
            ..queue::SETTINGS
        },
    )
    .await
    .unwrap();
    let refused = other.migrate().await;
    assert!(
        matches!(&refused, Err(e @ QueueError::Other { .. }) if chain(e).contains("x-delivery-limit")),
        "{refused:?}"
    );
    // The refusal cost the other adapter a channel, not its connection.
    other.ping().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_broker_fails_fast_and_says_unavailable() {
    let started = Instant::now();
    // Port 1 on loopback: nothing listens, so the connection is refused at once.
    let result = RabbitQueue::from_url("amqp://guest:guest@127.0.0.1:1/%2f", queue::SETTINGS).await;
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
    let result = RabbitQueue::from_url(
        "amqp://127.0.0.1:5672/%2f?namespace=a&bogus=1",
        queue::SETTINGS,
    )
    .await;
    assert!(
        matches!(&result, Err(QueueError::Other { message: m, .. }) if m.contains("bogus")),
        "{result:?}"
    );
}
