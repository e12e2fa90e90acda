//! The outbox relay: moves messages written in database transactions onto the queue, at least once.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{watch, Notify};

use crate::ports::{Database, Message, Queue};

const BATCH: usize = 100;
/// A safety net for writes made by other processes, which cannot notify this one.
const POLL: Duration = Duration::from_millis(500);

/// Relays until `shutdown` turns true. A message is marked relayed only after the queue accepted it, so a
/// crash in between publishes it again; its id lets the queue (or the idempotent consumer) drop the copy.
pub async fn run_relay(
    db: Arc<dyn Database>,
    queue: Arc<dyn Queue>,
    written: Arc<Notify>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let relayed = match relay_once(db.as_ref(), queue.as_ref()).await {
            Ok(n) => n,
            Err(err) => {
                tracing::warn!(error = %err, "outbox relay failed; will retry");
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
                let _ = relay_once(db.as_ref(), queue.as_ref()).await;
                return;
            }
        }
    }
}

/// Relays one batch; returns how many messages went out.
pub async fn relay_once(db: &dyn Database, queue: &dyn Queue) -> Result<usize, String> {
    let pending = db.pending_outbox(BATCH).await.map_err(|e| e.to_string())?;
    let mut done = Vec::with_capacity(pending.len());
    for message in &pending {
        let published = queue
            .publish(&Message {
                id: message.id.to_string(),
                topic: message.topic.clone(),
                payload: message.payload.clone(),
            })
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
        db.mark_outbox_relayed(&done)
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(done.len())
}
