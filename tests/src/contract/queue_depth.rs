//! The `QueueDepth` contract suite: `queue_depth_contract_suite!(factory)` or `(factory, settings)`,
//! `factory` being an async fn taking `QueueSettings` and returning `Fixture<DepthFixture>`: one adapter
//! seen as both its ports, so a case publishes and receives through the queue and counts through the depth.
//!
//! Backends may count approximately (SQS), so every count is awaited for a while rather than read once.

#![allow(clippy::unwrap_used)]

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use darkroom_core::ports::{Delivery, Message, Queue, QueueDepth, QueueSettings, TopicDepth};
use tokio::time::Instant;

use super::unique;

/// One queue adapter through both of its ports.
pub struct DepthFixture {
    pub queue: Arc<dyn Queue>,
    pub depth: Arc<dyn QueueDepth>,
}

impl DepthFixture {
    pub fn of<Q: Queue + QueueDepth + 'static>(adapter: Arc<Q>) -> Self {
        Self {
            queue: adapter.clone(),
            depth: adapter,
        }
    }
}

impl fmt::Debug for DepthFixture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DepthFixture")
            .field("backend", &self.queue.backend())
            .finish_non_exhaustive()
    }
}

/// Expands to one `#[tokio::test]` per depth case, each calling `$factory(settings).await` for a queue.
#[macro_export]
macro_rules! queue_depth_contract_suite {
    (@cases $factory:path, $settings:expr; $($case:ident),+ $(,)?) => {
        $(
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let settings = $settings;
                let Some(fixture) = $crate::contract::IntoFixture::into_fixture($factory(settings).await) else { return };
                $crate::contract::queue_depth::$case(&fixture.port).await;
            }
        )+
    };
    ($factory:path) => {
        $crate::queue_depth_contract_suite!($factory, $crate::contract::queue_depth::SETTINGS);
    };
    ($factory:path, $settings:expr) => {
        $crate::queue_depth_contract_suite!(@cases $factory, $settings;
            depth_counts_published_messages_until_they_are_acked,
            depth_only_reads,
            topics_are_counted_apart,
        );
    };
}

/// How many messages the counting case publishes.
const N: usize = 3;

/// Long enough for an approximate backend to catch up, generous for slow CI.
const PATIENCE: Duration = Duration::from_secs(10);

fn message(topic: &str) -> Message {
    Message {
        id: unique("msg"),
        topic: topic.to_owned(),
        payload: Bytes::from_static(b"{\"kind\":\"depth\"}"),
    }
}

/// The topic's depth once `done` holds of it, or the last one seen when `PATIENCE` ran out.
async fn depth_until(
    fixture: &DepthFixture,
    topic: &str,
    done: impl Fn(&TopicDepth) -> bool,
) -> TopicDepth {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let depth = fixture.depth.depth(topic).await.unwrap();
        if done(&depth) || Instant::now() >= deadline {
            return depth;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Receives `n` deliveries of `topic` (a backend may hand them over a few at a time).
async fn receive_all(queue: &dyn Queue, topic: &str, n: usize) -> Vec<Delivery> {
    let mut got = Vec::new();
    let deadline = Instant::now() + PATIENCE;
    while got.len() < n && Instant::now() < deadline {
        got.extend(
            queue
                .receive(topic, n - got.len(), Duration::from_secs(2))
                .await
                .unwrap(),
        );
    }
    assert_eq!(got.len(), n, "expected {n} deliveries of {topic}");
    got
}

pub async fn depth_counts_published_messages_until_they_are_acked(fixture: &DepthFixture) {
    let topic = unique("depth");
    for _ in 0..N {
        fixture.queue.publish(&message(&topic)).await.unwrap();
    }
    let published = Instant::now();
    let counted = depth_until(fixture, &topic, |d| d.messages >= N as u64).await;
    assert!(counted.messages >= N as u64, "{counted:?}");

    // Where the backend dates its messages, the oldest has waited at least as long as we did since.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let later = fixture.depth.depth(&topic).await.unwrap();
    if let Some(age) = later.oldest_age {
        assert!(
            age >= published
                .elapsed()
                .saturating_sub(Duration::from_millis(50)),
            "{later:?} after {:?}",
            published.elapsed()
        );
        assert!(age < Duration::from_secs(600), "{later:?}");
    }

    for delivery in receive_all(fixture.queue.as_ref(), &topic, N).await {
        fixture.queue.ack(&delivery).await.unwrap();
    }
    let drained = depth_until(fixture, &topic, |d| d.messages == 0).await;
    assert_eq!(drained.messages, 0, "{drained:?}");
    if let Some(age) = drained.oldest_age {
        assert_eq!(age, Duration::ZERO, "nothing waits: {drained:?}");
    }
    // Whether it can date messages is the backend's, not the moment's.
    assert_eq!(drained.oldest_age.is_some(), later.oldest_age.is_some());
}

pub async fn depth_only_reads(fixture: &DepthFixture) {
    let topic = unique("depth");
    // A topic nobody used holds nothing, and asking makes nothing appear.
    let fresh = fixture.depth.depth(&topic).await.unwrap();
    assert_eq!(fresh.messages, 0, "{fresh:?}");
    let nothing = fixture
        .queue
        .receive(&topic, 10, Duration::from_millis(300))
        .await
        .unwrap();
    assert!(nothing.is_empty(), "{nothing:?}");

    let sent = message(&topic);
    fixture.queue.publish(&sent).await.unwrap();
    for _ in 0..3 {
        fixture.depth.depth(&topic).await.unwrap();
    }
    // Counting neither took the message nor counted a delivery of it.
    let got = receive_all(fixture.queue.as_ref(), &topic, 1).await;
    assert_eq!((got[0].message.clone(), got[0].attempt), (sent, 1));
    fixture.queue.ack(&got[0]).await.unwrap();
}

pub async fn topics_are_counted_apart(fixture: &DepthFixture) {
    let (a, b) = (unique("depth"), unique("depth"));
    for topic in [&a, &a, &b] {
        fixture.queue.publish(&message(topic)).await.unwrap();
    }
    let depth_a = depth_until(fixture, &a, |d| d.messages == 2).await;
    let depth_b = depth_until(fixture, &b, |d| d.messages == 1).await;
    assert_eq!((depth_a.messages, depth_b.messages), (2, 1));
    for (topic, n) in [(&a, 2), (&b, 1)] {
        for delivery in receive_all(fixture.queue.as_ref(), topic, n).await {
            fixture.queue.ack(&delivery).await.unwrap();
        }
    }
}

/// Settings the suite runs with: nothing here waits on a timeout, so a long one, lest a slow receive of
/// several messages see the first come back before it acks them.
pub const SETTINGS: QueueSettings = QueueSettings {
    visibility_timeout: Duration::from_secs(30),
    max_attempts: 3,
};
