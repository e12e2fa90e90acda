//! The backlog gauges: every `SAMPLE_EVERY`, the depth of each of the product's topics
//! (`queue_depth_messages{topic}`, `queue_oldest_message_age_seconds{topic}`) and the outbox's
//! (`outbox_pending_messages`, `outbox_oldest_message_age_seconds`).
//!
//! The API role samples them (and so the `all` role), not the worker: the queue's age must keep being
//! reported exactly when no worker is left to take jobs (all crash-looping, or the spot capacity reclaimed),
//! and the outbox is the API's relay's to empty. One role, so the series are not doubled by role; API
//! replicas all report the same values, which the alert rules and the dashboard take the `max` of.
//!
//! A backend that cannot tell the age of its oldest message (RabbitMQ, SQS: see their adapters) gets no age
//! series at all, rather than a zero that would keep an alert quiet. A failed sample leaves the last values
//! in place and says so in the log once, until a sample succeeds again.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use darkroom_core::ports::source::chain;
use darkroom_core::ports::{OutboxBacklog, OutboxRepository, QueueDepth, TopicDepth};
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub const QUEUE_DEPTH: &str = "queue_depth_messages";
pub const QUEUE_AGE: &str = "queue_oldest_message_age_seconds";
pub const OUTBOX_PENDING: &str = "outbox_pending_messages";
pub const OUTBOX_AGE: &str = "outbox_oldest_message_age_seconds";

/// As often as a Prometheus scrape usually comes: a sample is a dozen small reads.
const SAMPLE_EVERY: Duration = Duration::from_secs(15);

/// Samples until `stop` turns true; a sample under way is dropped then.
pub fn spawn(
    depth: Arc<dyn QueueDepth>,
    outbox: Arc<dyn OutboxRepository>,
    mut stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    describe();
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(SAMPLE_EVERY);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut health = Health::default();
        loop {
            let sample = async {
                ticks.tick().await;
                sample(depth.as_ref(), outbox.as_ref(), &mut health).await;
            };
            tokio::select! {
                _ = stop.wait_for(|stopped| *stopped) => return,
                () = sample => {}
            }
        }
    })
}

fn describe() {
    metrics::describe_gauge!(
        QUEUE_DEPTH,
        "messages published to a topic and not yet acked or dead-lettered (as the queue backend counts them)"
    );
    metrics::describe_gauge!(
        QUEUE_AGE,
        metrics::Unit::Seconds,
        "how long the oldest undone message of a topic has waited (absent where the backend cannot tell)"
    );
    metrics::describe_gauge!(
        OUTBOX_PENDING,
        "messages written to the outbox and not yet relayed to the queue"
    );
    metrics::describe_gauge!(
        OUTBOX_AGE,
        metrics::Unit::Seconds,
        "how long the oldest message not yet relayed has waited in the outbox"
    );
}

/// Whether the last sample of each source failed, so a lasting failure is logged once.
#[derive(Debug, Default)]
struct Health {
    queue_failing: bool,
    outbox_failing: bool,
}

async fn sample(depth: &dyn QueueDepth, outbox: &dyn OutboxRepository, health: &mut Health) {
    let mut queue_failed = None;
    for topic in darkroom_core::domain::all_topics() {
        match depth.depth(topic).await {
            Ok(found) => record_topic(topic, found),
            Err(e) => queue_failed = Some((topic, chain(&e))),
        }
    }
    match &queue_failed {
        Some((topic, error)) if !health.queue_failing => {
            tracing::warn!(
                topic,
                error = %error,
                "cannot sample the queue's depth; the gauges keep their last values"
            );
        }
        None if health.queue_failing => tracing::info!("sampling the queue's depth again"),
        _ => {}
    }
    health.queue_failing = queue_failed.is_some();

    match outbox.outbox_backlog().await {
        Ok(backlog) => {
            record_outbox(backlog, Utc::now());
            if health.outbox_failing {
                tracing::info!("sampling the outbox's backlog again");
            }
            health.outbox_failing = false;
        }
        Err(e) => {
            if !health.outbox_failing {
                tracing::warn!(error = %chain(&e), "cannot sample the outbox's backlog; the gauges keep their last values");
            }
            health.outbox_failing = true;
        }
    }
}

fn record_topic(topic: &'static str, depth: TopicDepth) {
    metrics::gauge!(QUEUE_DEPTH, "topic" => topic).set(depth.messages as f64);
    if let Some(age) = depth.oldest_age {
        metrics::gauge!(QUEUE_AGE, "topic" => topic).set(age.as_secs_f64());
    }
}

fn record_outbox(backlog: OutboxBacklog, now: DateTime<Utc>) {
    metrics::gauge!(OUTBOX_PENDING).set(backlog.pending as f64);
    metrics::gauge!(OUTBOX_AGE).set(age_seconds(backlog.oldest_created_at, now));
}

/// Seconds since `oldest` (none waiting: zero). A row written by a clock ahead of ours is zero, not negative.
fn age_seconds(oldest: Option<DateTime<Utc>>, now: DateTime<Utc>) -> f64 {
    oldest
        .and_then(|created| (now - created).to_std().ok())
        .map_or(0.0, |age| age.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outbox_age_is_zero_when_empty_or_from_the_future() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        assert_eq!(age_seconds(None, now), 0.0);
        assert_eq!(
            age_seconds(Some(now + chrono::Duration::seconds(5)), now),
            0.0
        );
        assert_eq!(
            age_seconds(Some(now - chrono::Duration::milliseconds(90_500)), now),
            90.5
        );
    }
}
