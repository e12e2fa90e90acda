//! What the embedded queue promises beyond the port's contract (the contract itself is checked by the
//! suite in `darkroom-tests`).

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use bytes::Bytes;
use darkroom_core::ports::{Message, Queue, QueueSettings};

use super::EmbeddedQueue;

fn settings() -> QueueSettings {
    QueueSettings {
        visibility_timeout: Duration::from_millis(200),
        max_attempts: 2,
    }
}

fn message(topic: &str, id: &str) -> Message {
    Message {
        id: id.to_owned(),
        topic: topic.to_owned(),
        payload: Bytes::from_static(b"{}"),
    }
}

#[tokio::test]
async fn an_acked_id_published_again_is_still_ignored() {
    let queue = EmbeddedQueue::in_memory(settings()).await.unwrap();
    queue.publish(&message("t", "m1")).await.unwrap();
    let got = queue.receive("t", 10, Duration::ZERO).await.unwrap();
    queue.ack(&got[0]).await.unwrap();
    // The outbox relay crashed after publishing and publishes again: the job must not run twice.
    queue.publish(&message("t", "m1")).await.unwrap();
    assert!(queue
        .receive("t", 10, Duration::from_millis(300))
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn the_same_id_in_two_topics_is_two_messages() {
    let queue = EmbeddedQueue::in_memory(settings()).await.unwrap();
    queue.publish(&message("a", "m")).await.unwrap();
    queue.publish(&message("b", "m")).await.unwrap();
    assert_eq!(
        queue.receive("a", 10, Duration::ZERO).await.unwrap().len(),
        1
    );
    assert_eq!(
        queue.receive("b", 10, Duration::ZERO).await.unwrap().len(),
        1
    );
}

#[tokio::test]
async fn redelivery_state_survives_reopening_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("queue/jobs.db");
    let queue = EmbeddedQueue::open(&path, settings()).await.unwrap();
    queue.publish(&message("t", "m1")).await.unwrap();
    let first = queue.receive("t", 1, Duration::ZERO).await.unwrap();
    assert_eq!(first[0].attempt, 1);
    queue.pool.close().await;
    drop(queue);

    let queue = EmbeddedQueue::open(&path, settings()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(250)).await;
    let second = queue.receive("t", 1, Duration::from_secs(1)).await.unwrap();
    assert_eq!(second[0].attempt, 2, "the attempt count is durable too");
    tokio::time::sleep(Duration::from_millis(250)).await;
    // Two attempts were the limit: the next look buries it instead of delivering it a third time.
    assert!(queue
        .receive("t", 1, Duration::ZERO)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        queue.dead_letters("t", 10).await.unwrap(),
        vec![message("t", "m1")]
    );
    assert_eq!(queue.backend(), "embedded");
    queue.ping().await.unwrap();
}

#[tokio::test]
async fn acked_rows_are_purged_after_the_dedup_window() {
    let queue = EmbeddedQueue::in_memory(settings()).await.unwrap();
    queue.publish(&message("t", "old")).await.unwrap();
    let got = queue.receive("t", 1, Duration::ZERO).await.unwrap();
    queue.ack(&got[0]).await.unwrap();
    let purged = super::sql::purge_acked(&queue.pool, super::now_micros() + 1)
        .await
        .unwrap();
    assert_eq!(purged, 1);
    // Once forgotten, the id is a new message again.
    queue.publish(&message("t", "old")).await.unwrap();
    assert_eq!(
        queue.receive("t", 1, Duration::ZERO).await.unwrap().len(),
        1
    );
}
