//! Scheduled passes of the worker role (upload expiry, the retention purge, and the lifecycle passes after
//! them), each run by one replica at a time: a named lease in the database (`LeaseRepository`) says which.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::ServiceError;
use crate::clock::Clock;
use crate::ports::LeaseRepository;

/// A pass and how it is scheduled.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// The lease's name, also the pass's name in logs.
    pub lease: &'static str,
    /// How long between two rounds.
    pub every: Duration,
    /// The time the lease is taken at: the passes' clock, which tests move.
    pub clock: Clock,
}

/// Runs `pass` every `schedule.every` until `stop` turns true, on one replica at a time: each round asks for
/// the lease (for two rounds, renewed by its holder each round), and only its holder passes. A holder that
/// dies hands over once its lease runs out; one that stops releases it. A failed pass is logged and tried
/// again next round: every pass is idempotent, so one cut short leaves nothing wrong.
pub async fn run_scheduled<F, Fut>(
    schedule: Schedule,
    leases: Arc<dyn LeaseRepository>,
    mut stop: watch::Receiver<bool>,
    mut pass: F,
) where
    F: FnMut() -> Fut + Send,
    Fut: Future<Output = Result<usize, ServiceError>> + Send,
{
    let holder = uuid::Uuid::new_v4().to_string();
    let name = schedule.lease;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(schedule.every) => {}
            _ = stop.changed() => {}
        }
        if *stop.borrow() {
            let _ = leases.release_lease(name, &holder).await;
            return;
        }
        let now = schedule.clock.now();
        match leases
            .acquire_lease(name, &holder, now, schedule.every * 2)
            .await
        {
            Ok(true) => {}
            Ok(false) => continue,
            Err(err) => {
                tracing::warn!(pass = name, error = %crate::ports::source::chain(&err), "scheduled pass: lease unavailable");
                continue;
            }
        }
        match pass().await {
            Ok(0) => {}
            Ok(done) => tracing::info!(pass = name, done, "scheduled pass finished"),
            Err(err) => {
                tracing::warn!(pass = name, error = %crate::ports::source::chain(&err), "scheduled pass failed")
            }
        }
    }
}
