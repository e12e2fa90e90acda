//! The queue contract suite against RabbitMQ (`DARKROOM_TEST_AMQP_URL`), and what the RabbitMQ adapter
//! promises beyond it. Every case gets a namespace of its own; the queues and exchange it declared are
//! deleted when it ends.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use darkroom_adapters::RabbitQueue;
use darkroom_core::ports::{Message, Queue, QueueError, QueueSettings};
use darkroom_tests::contract::{queue, Fixture};
use darkroom_tests::services::{require, unique_name, AMQP_URL};

/// Deletes what the case declared when the fixture goes.
struct DeleteDeclared(Arc<RabbitQueue>);

impl Drop for DeleteDeclared {
    fn drop(&mut self) {
        let queue = self.0.clone();
        let cleanup = async move {
            if let Err(e) = queue.delete_declared().await {
                eprintln!("could not delete the test's rabbitmq queues: {e}");
            }
        };
        // The suites run on a multi-threaded runtime: block this worker while another drives the calls.
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            tokio::task::block_in_place(|| handle.block_on(cleanup));
        }
    }
}

/// The broker URL with a fresh namespace, or `None` (skip) when no broker is configured.
fn fresh_url() -> Option<String> {
    let url = require(AMQP_URL, "queue_rabbitmq")?;
    let joiner = if url.contains('?') { '&' } else { '?' };
    Some(format!("{url}{joiner}namespace={}", unique_name("q")))
}

async fn open(url: &str, settings: QueueSettings) -> Arc<RabbitQueue> {
    let queue = RabbitQueue::from_url(url, settings).await.unwrap();
    queue.migrate().await.unwrap();
    Arc::new(queue)
}

async fn rabbit_queue(settings: QueueSettings) -> Option<Fixture<dyn Queue>> {
    let queue = open(&fresh_url()?, settings).await;
    let port: Arc<dyn Queue> = queue.clone();
    Some(Fixture::with_guard(port, DeleteDeclared(queue)))
}

mod contract {
    darkroom_tests::queue_contract_suite!(super::rabbit_queue);
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
    let _cleanup = last.lock().unwrap().take().map(DeleteDeclared);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_publishes_an_id_once_and_another_process_cannot_tell() {
    let Some(url) = fresh_url() else { return };
    let (a, b) = (
        open(&url, queue::SETTINGS).await,
        open(&url, queue::SETTINGS).await,
    );
    let _cleanup = DeleteDeclared(a.clone());
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
    let Some(url) = fresh_url() else { return };
    let settings = QueueSettings {
        visibility_timeout: Duration::from_secs(30),
        max_attempts: 1,
    };
    let queue = open(&url, settings).await;
    let _cleanup = DeleteDeclared(queue.clone());
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
    let Some(url) = fresh_url() else { return };
    let (a, b) = (
        open(&url, queue::SETTINGS).await,
        open(&url, queue::SETTINGS).await,
    );
    let _cleanup = DeleteDeclared(a.clone());
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
    let Some(url) = fresh_url() else { return };
    let queue = open(&url, queue::SETTINGS).await;
    let _cleanup = DeleteDeclared(queue.clone());
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
        matches!(&refused, Err(QueueError::Other(m)) if m.contains("x-delivery-limit")),
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
    let result = RabbitQueue::from_url(
        "amqp://127.0.0.1:5672/%2f?namespace=a&bogus=1",
        queue::SETTINGS,
    )
    .await;
    assert!(
        matches!(&result, Err(QueueError::Other(m)) if m.contains("bogus")),
        "{result:?}"
    );
}
