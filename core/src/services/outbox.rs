//! The outbox relay: moves messages written in database transactions onto the queue, at least once. Every
//! API replica runs one; each claims the rows it relays, so replicas share the work instead of publishing
//! the same rows over and over.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::{watch, Notify};
use tracing::Instrument;

use crate::domain::OutboxMessage;
use crate::ports::source::chain;
use crate::ports::{DbError, Message, OutboxRepository, Queue};
use crate::trace_context;

const BATCH: usize = 100;
/// A safety net for writes made by other processes, which cannot notify this one.
const POLL: Duration = Duration::from_millis(500);
/// How long a claim keeps other relays off its rows. Long enough to publish a batch; short enough that the
/// rows of a relay that died, or could not publish, go out soon after through another.
const LEASE: Duration = Duration::from_secs(15);

/// Relays until `shutdown` turns true. A message is marked relayed only after the queue accepted it, so a
/// crash in between publishes it again; its id lets the queue (or the idempotent consumer) drop the copy.
pub async fn run_relay(
    outbox: Arc<dyn OutboxRepository>,
    queue: Arc<dyn Queue>,
    written: Arc<Notify>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let relayed = match relay_once(outbox.as_ref(), queue.as_ref()).await {
            Ok(n) => n,
            Err(err) => {
                tracing::warn!(error = %chain(&err), "outbox relay failed; will retry");
                0
            }
        };
        if *shutdown.borrow() {
            return;
        }
        if relayed == BATCH {
            continue;
        }
        tokio::select! {
            _ = written.notified() => {}
            _ = tokio::time::sleep(POLL) => {}
            _ = shutdown.changed() => {
                // One last pass so that work accepted before the stop is not left waiting for the next start.
                let _ = relay_once(outbox.as_ref(), queue.as_ref()).await;
                return;
            }
        }
    }
}

/// Claims one batch and relays it; returns how many messages went out. Messages it could not publish stay
/// claimed until the lease runs out, then any relay (this one included) takes them again.
pub async fn relay_once(
    outbox: &dyn OutboxRepository,
    queue: &dyn Queue,
) -> Result<usize, DbError> {
    let claimed = outbox.claim_outbox(BATCH, LEASE, Utc::now()).await?;
    let mut done = Vec::with_capacity(claimed.len());
    for message in &claimed {
        let span = relay_span(message);
        // The message hands on the relay's context, so the worker's span is the relay's child.
        let payload = trace_context::restamp(&span, message.payload.clone());
        let published = queue
            .publish(&Message {
                id: message.id.to_string(),
                topic: message.topic.clone(),
                payload,
            })
            .instrument(span)
            .await;
        match published {
            Ok(()) => done.push(message.id),
            Err(err) => {
                tracing::warn!(id = %message.id, error = %err, "publishing from the outbox failed");
                break;
            }
        }
    }
    if !done.is_empty() {
        outbox.mark_outbox_relayed(&done).await?;
    }
    Ok(done.len())
}

/// The span of one message's relay, a child of the span that wrote the row; none unless traces are exported.
fn relay_span(message: &OutboxMessage) -> tracing::Span {
    if !trace_context::enabled() {
        return tracing::Span::none();
    }
    let span = tracing::info_span!(
        "outbox relay",
        otel.name = %format_args!("publish {}", message.topic),
        otel.kind = "producer",
        messaging.destination.name = %message.topic,
        messaging.message.id = %message.id,
    );
    trace_context::continue_from(&span, &message.payload);
    span
}
