//! Keeps a delivery's lease alive while its handler works: every `every` (a third of the visibility
//! timeout), `Queue::extend` restarts the timeout, so a long job is not handed to another worker, and a
//! worker that dies stops extending and its jobs come back one timeout later.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::telemetry;
use crate::ports::source::chain;
use crate::ports::{Delivery, Queue, QueueError};

/// A running heartbeat. Dropping it (a job task aborted, a handler that panicked) stops it at once.
#[derive(Debug)]
pub(super) struct Heartbeat {
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<bool>>,
}

impl Heartbeat {
    pub fn start(queue: Arc<dyn Queue>, delivery: Delivery, every: Duration) -> Self {
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(beat(queue, delivery, every, stopped));
        Self {
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Stops extending, after any extension in flight (so none races the ack), and tells whether the
    /// lease was still held: `false` when the queue refused an extension as `InvalidReceipt`.
    pub async fn stop(mut self) -> bool {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.task.take() {
            Some(task) => task.await.unwrap_or(true),
            None => true,
        }
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

async fn beat(
    queue: Arc<dyn Queue>,
    delivery: Delivery,
    every: Duration,
    mut stopped: oneshot::Receiver<()>,
) -> bool {
    let every = every.max(Duration::from_millis(10));
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = &mut stopped => return true,
        }
        match queue.extend(&delivery).await {
            Ok(()) => {}
            Err(QueueError::InvalidReceipt) => {
                // Too late (the process stalled past the timeout): another worker may have the message now.
                // The job still runs to its end; its ack will be refused and the redelivery does the rest.
                tracing::warn!(id = %delivery.message.id, topic = %delivery.message.topic, "job lost its lease");
                telemetry::lease_lost(&delivery.message.topic);
                return false;
            }
            Err(err) => {
                // Transient: the next beat tries again, well before the timeout runs out.
                tracing::warn!(id = %delivery.message.id, topic = %delivery.message.topic, error = %chain(&err), "could not extend a job's lease");
            }
        }
    }
}
