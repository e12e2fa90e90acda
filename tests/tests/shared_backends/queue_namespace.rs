//! One fixture for the queue suites on servers every case shares (NATS, RabbitMQ): each case connects in a
//! namespace of its own, and what it created there is removed when the case ends.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use darkroom_core::ports::{Message, Queue, QueueDepth, QueueError, QueueSettings};
use darkroom_tests::contract::queue_depth::DepthFixture;
use darkroom_tests::contract::{queue, Fixture};
use darkroom_tests::services::{require, unique_name};

/// Long enough for a server to hand over a message that is there, generous for slow CI.
pub const PATIENCE: Duration = Duration::from_secs(5);

/// A queue adapter that lives in a namespace named by its URL's `namespace` parameter.
pub trait NamespacedQueue: Queue + Sized + 'static {
    /// The `DARKROOM_TEST_*` variable naming the server.
    const URL_VAR: &'static str;
    /// The suite's name in skip reports.
    const SUITE: &'static str;

    async fn connect(url: &str, settings: QueueSettings) -> Result<Self, QueueError>;

    async fn migrate(&self) -> Result<(), QueueError>;

    /// Removes what this adapter created in its namespace.
    async fn remove_namespace(&self) -> Result<(), QueueError>;
}

/// Removes the namespace when the case ends (when the fixture, or the guard itself, goes).
pub struct RemoveNamespace<Q: NamespacedQueue>(pub Arc<Q>);

impl<Q: NamespacedQueue> Drop for RemoveNamespace<Q> {
    fn drop(&mut self) {
        let queue = self.0.clone();
        let cleanup = async move {
            if let Err(e) = queue.remove_namespace().await {
                eprintln!("could not remove the test's {} namespace: {e}", Q::SUITE);
            }
        };
        // The suites run on a multi-threaded runtime: block this worker while another drives the calls.
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            tokio::task::block_in_place(|| handle.block_on(cleanup));
        }
    }
}

/// The server URL with a fresh namespace, or `None` (skip) when no server is configured.
pub fn fresh_url<Q: NamespacedQueue>() -> Option<String> {
    let url = require(Q::URL_VAR, Q::SUITE)?;
    let joiner = if url.contains('?') { '&' } else { '?' };
    Some(format!("{url}{joiner}namespace={}", unique_name("q")))
}

/// Connects to `url` and migrates.
pub async fn open<Q: NamespacedQueue>(url: &str, settings: QueueSettings) -> Arc<Q> {
    let queue = Q::connect(url, settings).await.unwrap();
    queue.migrate().await.unwrap();
    Arc::new(queue)
}

/// The contract suite's factory: a queue in a fresh namespace, removed with the fixture.
pub async fn fixture<Q: NamespacedQueue>(settings: QueueSettings) -> Option<Fixture<dyn Queue>> {
    let queue = open::<Q>(&fresh_url::<Q>()?, settings).await;
    let port: Arc<dyn Queue> = queue.clone();
    Some(Fixture::with_guard(port, RemoveNamespace(queue)))
}

/// The depth suite's factory: the same, seen through both of the adapter's ports.
pub async fn depth_fixture<Q: NamespacedQueue + QueueDepth>(
    settings: QueueSettings,
) -> Option<Fixture<DepthFixture>> {
    let queue = open::<Q>(&fresh_url::<Q>()?, settings).await;
    Some(Fixture::with_guard(
        Arc::new(DepthFixture::of(queue.clone())),
        RemoveNamespace(queue),
    ))
}

pub fn message(topic: &str, id: &str) -> Message {
    Message {
        id: id.to_owned(),
        topic: topic.to_owned(),
        payload: Bytes::from_static(b"{\"kind\":\"process_image\"}"),
    }
}

/// What one adapter published, a new adapter on the same namespace receives.
pub async fn published_messages_survive_a_new_adapter<Q: NamespacedQueue>() {
    let Some(url) = fresh_url::<Q>() else { return };
    let last = Mutex::new(None);
    let (url, last_ref) = (&url, &last);
    queue::published_messages_survive_reopening(move || async move {
        let queue = open::<Q>(url, queue::SETTINGS).await;
        *last_ref.lock().unwrap() = Some(queue.clone());
        let port: Arc<dyn Queue> = queue;
        port
    })
    .await;
    let _cleanup = last.lock().unwrap().take().map(RemoveNamespace);
}
