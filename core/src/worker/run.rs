//! The worker loop: one receive loop per topic, all drawing on one budget of slots, each delivery run in a
//! task of its own with its lease kept alive, then acked or nacked; on shutdown, no new receives, and the
//! jobs in hand finish.
//!
//! Fairness: a receive loop first waits for a slot (the semaphore hands them out in the order asked, so no
//! topic's loop waits behind another's twice), takes at most its share of the free slots, and asks its topic
//! for that many messages without waiting. Only when the topic is empty does it wait for a message, and
//! then it holds no slot, so an idle topic never keeps a busy one from working. A message that arrives
//! during that wait is taken with its lease kept alive and runs as soon as a slot frees up: at most one
//! delivery per topic ever waits for a slot.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tracing::Instrument;

use super::heartbeat::Heartbeat;
use super::{telemetry, Attempt, JobHandler, JobOutcome};
use crate::ports::source::chain;
use crate::ports::{Delivery, Queue};
use crate::trace_context;

/// How long an idle receive loop waits for a message before it looks at the shutdown flag again.
const IDLE_WAIT: Duration = Duration::from_secs(1);
/// How long a receive loop waits after the queue failed before it tries again.
const BACKOFF: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, Copy)]
pub struct WorkerSettings {
    /// Jobs run at once, across every topic. Image jobs are CPU-bound: about one per core.
    pub concurrency: usize,
    /// Must match the queue's `max_attempts`, so the last delivery knows it is the last.
    pub max_attempts: u32,
    /// How long a failed job waits before it is tried again.
    pub retry_after: Duration,
    /// The queue's visibility timeout: a job in hand has its lease extended every third of it.
    pub visibility_timeout: Duration,
}

impl WorkerSettings {
    fn heartbeat_every(&self) -> Duration {
        self.visibility_timeout / 3
    }
}

/// What every receive loop and job task of one worker shares.
#[derive(Debug)]
struct Worker {
    queue: Arc<dyn Queue>,
    settings: WorkerSettings,
    slots: Arc<Semaphore>,
    /// The most slots one receive loop takes at a time: the budget split evenly between topics.
    share: usize,
}

/// Runs `handlers` until `shutdown` turns true (or its sender goes), then finishes the jobs in hand and
/// returns. A handler whose topic an earlier one already has is left out, with an error in the log.
pub async fn run_worker(
    queue: Arc<dyn Queue>,
    handlers: Vec<Arc<dyn JobHandler>>,
    settings: WorkerSettings,
    shutdown: watch::Receiver<bool>,
) {
    telemetry::describe();
    let mut topics = BTreeSet::new();
    let handlers: Vec<_> = handlers
        .into_iter()
        .filter(|handler| {
            let fresh = topics.insert(handler.topic());
            if !fresh {
                tracing::error!(
                    topic = handler.topic(),
                    "two job handlers for one topic; the second is left out"
                );
            }
            fresh
        })
        .collect();
    let concurrency = settings.concurrency.max(1);
    let worker = Arc::new(Worker {
        queue,
        settings,
        slots: Arc::new(Semaphore::new(concurrency)),
        share: concurrency.div_ceil(handlers.len().max(1)),
    });
    tracing::info!(
        concurrency,
        backend = worker.queue.backend(),
        topics = ?topics,
        "worker started"
    );
    let mut loops = JoinSet::new();
    for handler in handlers {
        loops.spawn(receive_loop(worker.clone(), handler, shutdown.clone()));
    }
    while loops.join_next().await.is_some() {}
    tracing::info!("worker stopped");
}

/// Whether the worker should stop: `true` was sent, or the sender is gone.
fn stopping(shutdown: &watch::Receiver<bool>) -> bool {
    *shutdown.borrow() || shutdown.has_changed().is_err()
}

/// Resolves once the worker should stop.
async fn stop_requested(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|&stop| stop).await;
}

async fn receive_loop(
    worker: Arc<Worker>,
    handler: Arc<dyn JobHandler>,
    mut shutdown: watch::Receiver<bool>,
) {
    let topic = handler.topic();
    let mut running = JoinSet::new();
    // Whether the topic was empty when last asked: then the loop waits for a message before taking slots.
    let mut idle = false;
    while !stopping(&shutdown) {
        while running.try_join_next().is_some() {}
        if !idle {
            match take_ready(&worker, topic, &mut shutdown).await {
                Taken::Deliveries(ready) => {
                    for (delivery, permit) in ready {
                        running.spawn(run_job(
                            worker.clone(),
                            handler.clone(),
                            delivery,
                            Some(permit),
                        ));
                    }
                    continue;
                }
                Taken::Nothing => idle = true,
                Taken::Failed => continue,
                Taken::Stopping => break,
            }
        }
        // The topic is empty: wait for its next message without holding a slot another topic could use.
        let waited = tokio::select! {
            waited = worker.queue.receive(topic, 1, IDLE_WAIT) => waited,
            _ = stop_requested(&mut shutdown) => break,
        };
        match waited {
            Ok(deliveries) => {
                idle = deliveries.is_empty();
                for delivery in deliveries {
                    running.spawn(run_job(worker.clone(), handler.clone(), delivery, None));
                }
            }
            Err(err) => back_off(topic, &err, &mut shutdown).await,
        }
    }
    if !running.is_empty() {
        tracing::info!(
            topic,
            in_flight = running.len(),
            "worker stopping; finishing jobs in hand"
        );
    }
    while running.join_next().await.is_some() {}
}

/// What one look at a topic with slots in hand found.
enum Taken {
    /// Deliveries, each with the slot it runs in.
    Deliveries(Vec<(Delivery, OwnedSemaphorePermit)>),
    Nothing,
    /// The queue failed (and the loop backed off).
    Failed,
    Stopping,
}

/// Waits for a slot, takes up to the loop's share of the free ones, and asks the topic for as many
/// messages as it holds slots, without waiting. Slots nothing came for are given back.
async fn take_ready(
    worker: &Worker,
    topic: &'static str,
    shutdown: &mut watch::Receiver<bool>,
) -> Taken {
    // With every slot busy, nothing more is taken off the queue.
    let first = tokio::select! {
        permit = worker.slots.clone().acquire_owned() => match permit {
            Ok(permit) => permit,
            Err(_) => return Taken::Stopping,
        },
        _ = stop_requested(shutdown) => return Taken::Stopping,
    };
    let mut permits = vec![first];
    while permits.len() < worker.share {
        match worker.slots.clone().try_acquire_owned() {
            Ok(permit) => permits.push(permit),
            Err(_) => break,
        }
    }
    match worker
        .queue
        .receive(topic, permits.len(), Duration::ZERO)
        .await
    {
        Ok(ready) if ready.is_empty() => Taken::Nothing,
        Ok(ready) => Taken::Deliveries(ready.into_iter().zip(permits).collect()),
        Err(err) => {
            drop(permits);
            back_off(topic, &err, shutdown).await;
            Taken::Failed
        }
    }
}

async fn back_off(
    topic: &str,
    err: &crate::ports::QueueError,
    shutdown: &mut watch::Receiver<bool>,
) {
    tracing::warn!(topic, error = %chain(err), "receiving jobs failed; backing off");
    tokio::select! {
        _ = tokio::time::sleep(BACKOFF) => {}
        _ = stop_requested(shutdown) => {}
    }
}

/// Runs one delivery: its lease kept alive from the moment it is in hand (waiting for a slot included),
/// then handled, then settled.
async fn run_job(
    worker: Arc<Worker>,
    handler: Arc<dyn JobHandler>,
    delivery: Delivery,
    permit: Option<OwnedSemaphorePermit>,
) {
    let heartbeat = Heartbeat::start(
        worker.queue.clone(),
        delivery.clone(),
        worker.settings.heartbeat_every(),
    );
    let _permit = match permit {
        Some(permit) => permit,
        None => match worker.slots.clone().acquire_owned().await {
            Ok(permit) => permit,
            // The budget is gone with the worker: leave the delivery to its timeout.
            Err(_) => return,
        },
    };
    let topic = handler.topic();
    let attempt = Attempt {
        number: delivery.attempt,
        max: worker.settings.max_attempts,
    };
    telemetry::started(topic);
    let span = job_span(topic, &delivery);
    let started = Instant::now();
    let outcome = handler
        .handle(&delivery.message, attempt)
        .instrument(span.clone())
        .await;
    telemetry::finished(topic, &outcome, started.elapsed());
    if matches!(outcome, JobOutcome::Retry(_)) && attempt.is_last() {
        telemetry::dead_lettered(topic);
    }
    // Stopped before settling, so that no extension races the ack.
    heartbeat.stop().await;
    settle(worker.queue.as_ref(), &delivery, outcome, worker.settings)
        .instrument(span)
        .await;
}

/// The span of one delivery's handling, a child of the span that published the message (the outbox
/// relay's, for jobs written with a request) when the message carries its context; none unless traces are
/// exported.
fn job_span(topic: &'static str, delivery: &Delivery) -> tracing::Span {
    if !trace_context::enabled() {
        return tracing::Span::none();
    }
    let span = tracing::info_span!(
        "job",
        otel.name = %format_args!("process {topic}"),
        otel.kind = "consumer",
        messaging.destination.name = topic,
        messaging.message.id = %delivery.message.id,
        attempt = delivery.attempt,
    );
    trace_context::continue_from(&span, &delivery.message.payload);
    span
}

async fn settle(
    queue: &dyn Queue,
    delivery: &Delivery,
    outcome: JobOutcome,
    settings: WorkerSettings,
) {
    let (id, topic) = (&delivery.message.id, &delivery.message.topic);
    let settled = match outcome {
        JobOutcome::Done => queue.ack(delivery).await,
        JobOutcome::Retry(reason) => {
            tracing::warn!(%id, %topic, attempt = delivery.attempt, %reason, "job will be retried");
            queue.nack(delivery, settings.retry_after).await
        }
    };
    if let Err(err) = settled {
        tracing::warn!(%id, %topic, error = %chain(&err), "could not settle a job; it will be redelivered");
    }
}
