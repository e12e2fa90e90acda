//! The transactional outbox, relayed to the queue.

use std::fmt::Debug;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::DbError;
use crate::domain::OutboxMessage;

/// The transactional outbox, relayed to the queue by every API replica at once.
///
/// # Contract
/// - `pending_outbox` returns the messages not yet relayed, claimed or not, oldest first. It only reads.
/// - `claim_outbox` returns up to `limit` pending messages, oldest first, that no live claim holds, and holds
///   them until `now + lease`: of two concurrent claimers, each gets rows the other did not. A claim that
///   ran out (a relay died, or gave up on a publish) leaves its rows claimable again.
/// - `mark_outbox_relayed` removes the messages for good, claimed or not; they are never pending, nor
///   claimable, again. Unknown or already relayed ids are ignored.
/// - `outbox_backlog` counts every pending message (claimed or not) and gives the `created_at` of the
///   oldest one, `None` when there is none. It only reads, and answers from the database whatever the size
///   of the backlog (a count, not a listing).
#[async_trait]
pub trait OutboxRepository: Send + Sync + Debug {
    async fn pending_outbox(&self, limit: usize) -> Result<Vec<OutboxMessage>, DbError>;
    async fn claim_outbox(
        &self,
        limit: usize,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> Result<Vec<OutboxMessage>, DbError>;
    async fn mark_outbox_relayed(&self, ids: &[Uuid]) -> Result<(), DbError>;
    async fn outbox_backlog(&self) -> Result<OutboxBacklog, DbError>;
}

/// What waits in the outbox to be relayed (`outbox_pending_messages`, `outbox_oldest_message_age_seconds`):
/// a relay that stopped, or a queue that refuses publishes, shows here first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OutboxBacklog {
    pub pending: u64,
    pub oldest_created_at: Option<DateTime<Utc>>,
}

/// The instant a claim made at `now` for `lease` runs out (saturating: a huge lease never wraps).
pub fn lease_end(now: DateTime<Utc>, lease: Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(lease)
        .ok()
        .and_then(|lease| now.checked_add_signed(lease))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}
