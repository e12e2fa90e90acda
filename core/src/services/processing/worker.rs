//! The worker loop: take jobs, run them a few at a time, ack or nack, and stop cleanly.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;

use super::{JobOutcome, Processor};
use crate::domain::{Job, JOBS_TOPIC};
use crate::ports::{Delivery, Queue};

#[derive(Debug, Clone, Copy)]
pub struct WorkerSettings {
    /// Jobs run at once. Image jobs are CPU-bound: about one per core.
    pub concurrency: usize,
    /// Must match the queue's `max_attempts`, so the last delivery knows it is the last.
    pub max_attempts: u32,
    /// How long a failed job waits before it is tried again.
    pub retry_after: Duration,
}

/// Runs until `shutdown` turns true, then finishes the jobs in hand and returns.
pub async fn run_worker(
    queue: Arc<dyn Queue>,
    processor: Processor,
    settings: WorkerSettings,
    mut shutdown: watch::Receiver<bool>,
) {
    let slots = Arc::new(Semaphore::new(settings.concurrency.max(1)));
    let mut running = JoinSet::new();
    tracing::info!(
        concurrency = settings.concurrency,
        backend = queue.backend(),
        "worker started"
    );
    while !*shutdown.borrow() {
        let free = slots.available_permits();
        if free == 0 {
            // Every slot busy: wait for one to free up (or for shutdown).
            tokio::select! {
                _ = running.join_next() => {}
                _ = shutdown.changed() => {}
            }
            continue;
        }
        let received = tokio::select! {
            received = queue.receive(JOBS_TOPIC, free, Duration::from_secs(1)) => received,
            _ = shutdown.changed() => break,
        };
        let deliveries = match received {
            Ok(deliveries) => deliveries,
            Err(err) => {
                tracing::warn!(error = %err, "receiving jobs failed; backing off");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        for delivery in deliveries {
            let Ok(permit) = slots.clone().acquire_owned().await else {
                break;
            };
            let (queue, processor) = (queue.clone(), processor.clone());
            running.spawn(async move {
                settle(queue.as_ref(), &processor, &delivery, settings).await;
                drop(permit);
            });
        }
        while running.try_join_next().is_some() {}
    }
    tracing::info!(
        in_flight = running.len(),
        "worker stopping; finishing jobs in hand"
    );
    while running.join_next().await.is_some() {}
}

async fn settle(
    queue: &dyn Queue,
    processor: &Processor,
    delivery: &Delivery,
    settings: WorkerSettings,
) {
    let job = match Job::from_bytes(&delivery.message.payload) {
        Ok(job) => job,
        Err(err) => {
            // A message nobody can read will never be readable: drop it loudly rather than loop on it.
            tracing::error!(id = %delivery.message.id, error = %err, "unreadable job dropped");
            let _ = queue.ack(delivery).await;
            return;
        }
    };
    let last_attempt = delivery.attempt >= settings.max_attempts;
    let outcome = processor.handle(&job, last_attempt).await;
    let settled = match outcome {
        JobOutcome::Done => queue.ack(delivery).await,
        JobOutcome::Retry(reason) => {
            tracing::warn!(id = %delivery.message.id, attempt = delivery.attempt, %reason, "job will be retried");
            queue.nack(delivery, settings.retry_after).await
        }
    };
    if let Err(err) = settled {
        tracing::warn!(id = %delivery.message.id, error = %err, "could not settle a job; it will be redelivered");
    }
}
