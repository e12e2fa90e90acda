//! The embedded queue: durable jobs in a SQLite file of their own (WAL), so a single binary with no services
//! still gets at-least-once delivery, redelivery after a visibility timeout and dead letters, across restarts.
//!
//! Consumers in this process are woken by a `Notify` when a message is published or nacked; anything else
//! (a visibility timeout running out, another process writing the file) is found by polling.

mod depth;
mod sql;
#[cfg(test)]
mod tests;

use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use darkroom_core::ports::source::chain;
use darkroom_core::ports::{Delivery, Message, Queue, QueueError, QueueSettings};
use sqlx::sqlite::SqlitePool;
use tokio::sync::Notify;

const POOL_SIZE: u32 = 4;
/// How often a waiting `receive` looks again when nothing woke it.
const POLL_INTERVAL: Duration = Duration::from_millis(100);
/// How long an acked message's id keeps de-duplicating re-publishes (an outbox relay that crashed between
/// publishing and marking the row relayed publishes again when it restarts).
const DEDUP_WINDOW: Duration = Duration::from_secs(3600);
/// Acked rows are purged at most this often, from `publish`.
const PURGE_EVERY: Duration = Duration::from_secs(60);

/// A durable queue in a SQLite file.
#[derive(Debug, Clone)]
pub struct EmbeddedQueue {
    pool: SqlitePool,
    settings: QueueSettings,
    wake: Arc<Notify>,
    last_purge: Arc<AtomicI64>,
}

impl EmbeddedQueue {
    /// Opens (creating when missing) the queue file at `path` and brings its schema up to date.
    pub async fn open(path: &Path, settings: QueueSettings) -> Result<Self, QueueError> {
        // `synchronous = FULL`: a publish that returned must survive a power cut, since the outbox row
        // behind it may be gone.
        let pool = crate::sqlite::open_file(path, POOL_SIZE, false)
            .await
            .map_err(|e| QueueError::unavailable_from("cannot open the queue file", e))?;
        Self::start(pool, settings).await
    }

    /// A queue in memory, on one connection the pool never closes (the data lives as long as it does).
    pub async fn in_memory(settings: QueueSettings) -> Result<Self, QueueError> {
        let pool = crate::sqlite::open_memory(false)
            .await
            .map_err(|e| QueueError::unavailable_from("cannot open the in-memory queue", e))?;
        Self::start(pool, settings).await
    }

    async fn start(pool: SqlitePool, settings: QueueSettings) -> Result<Self, QueueError> {
        sqlx::migrate!("./migrations/queue")
            .run(&pool)
            .await
            .map_err(|e| QueueError::other_from("queue migration failed", e))?;
        Ok(Self {
            pool,
            settings,
            wake: Arc::new(Notify::new()),
            last_purge: Arc::new(AtomicI64::new(0)),
        })
    }

    /// Sweeps the topic's exhausted messages into the dead letters, then claims what is visible.
    async fn claim(&self, topic: &str, max: usize) -> Result<Vec<Delivery>, QueueError> {
        let now = now_micros();
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(queue_error)?;
        sql::bury(&mut tx, topic, now, self.settings.max_attempts).await?;
        let until = now.saturating_add(micros(self.settings.visibility_timeout));
        let claimed =
            sql::claim(&mut tx, topic, now, until, max, self.settings.max_attempts).await?;
        tx.commit().await.map_err(queue_error)?;
        Ok(claimed)
    }

    async fn purge_if_due(&self, now: i64) {
        let last = self.last_purge.load(Ordering::Relaxed);
        if now.saturating_sub(last) < micros(PURGE_EVERY)
            || self
                .last_purge
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        match sql::purge_acked(&self.pool, now.saturating_sub(micros(DEDUP_WINDOW))).await {
            Ok(n) if n > 0 => tracing::debug!(purged = n, "purged acked queue messages"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %chain(&e), "could not purge acked queue messages"),
        }
    }
}

#[async_trait]
impl Queue for EmbeddedQueue {
    fn backend(&self) -> &'static str {
        "embedded"
    }

    async fn publish(&self, message: &Message) -> Result<(), QueueError> {
        let now = now_micros();
        sql::insert(&self.pool, message, now).await?;
        self.wake.notify_waiters();
        self.purge_if_due(now).await;
        Ok(())
    }

    async fn receive(
        &self,
        topic: &str,
        max: usize,
        wait: Duration,
    ) -> Result<Vec<Delivery>, QueueError> {
        if max == 0 {
            return Ok(Vec::new());
        }
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            // Registered before looking, so a publish between the look and the wait still wakes us.
            let woken = self.wake.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();

            let claimed = self.claim(topic, max).await?;
            let now = tokio::time::Instant::now();
            if !claimed.is_empty() || now >= deadline {
                return Ok(claimed);
            }
            let _ = tokio::time::timeout((deadline - now).min(POLL_INTERVAL), woken).await;
        }
    }

    async fn extend(&self, delivery: &Delivery) -> Result<(), QueueError> {
        let now = now_micros();
        let until = now.saturating_add(micros(self.settings.visibility_timeout));
        sql::extend(&self.pool, delivery, now, until).await
    }

    async fn ack(&self, delivery: &Delivery) -> Result<(), QueueError> {
        sql::settle(&self.pool, delivery, now_micros(), None).await
    }

    async fn nack(&self, delivery: &Delivery, retry_after: Duration) -> Result<(), QueueError> {
        let now = now_micros();
        sql::settle(
            &self.pool,
            delivery,
            now,
            Some(now.saturating_add(micros(retry_after))),
        )
        .await?;
        self.wake.notify_waiters();
        Ok(())
    }

    async fn dead_letters(&self, topic: &str, limit: usize) -> Result<Vec<Message>, QueueError> {
        // Messages whose last delivery timed out are dead already; bury them so they are listed even when
        // nobody has called `receive` on the topic since.
        let mut conn = self.pool.acquire().await.map_err(queue_error)?;
        sql::bury(&mut conn, topic, now_micros(), self.settings.max_attempts).await?;
        drop(conn);
        sql::dead(&self.pool, topic, limit).await
    }

    async fn ping(&self) -> Result<(), QueueError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
            .map_err(queue_error)
    }
}

fn now_micros() -> i64 {
    Utc::now().timestamp_micros()
}

fn micros(duration: Duration) -> i64 {
    i64::try_from(duration.as_micros()).unwrap_or(i64::MAX)
}

/// Maps a sqlx error to the port's, keeping it as the source: a busy, locked or unreachable file is
/// `Unavailable`.
fn queue_error(err: sqlx::Error) -> QueueError {
    if crate::sqlite::is_unavailable(&err) {
        QueueError::unavailable_from("sqlite", err)
    } else {
        QueueError::other_from("sqlite", err)
    }
}
