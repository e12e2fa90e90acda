//! `OutboxRepository` for every SQL backend, and the insert the image repository calls inside its
//! transactions.
//!
//! Relayed rows are deleted rather than flagged: nothing reads them again (the queue de-duplicates by
//! message id), and a table that only holds pending work stays small and fast to scan. A claim is one
//! `UPDATE … RETURNING` that marks rows `claimed_until`: SQLite runs one writer at a time, and Postgres
//! locks the rows with `FOR UPDATE SKIP LOCKED`, so a concurrent claimer steps over them instead of
//! waiting; either way two claimers never take the same row.

use std::time::Duration;

use chrono::{DateTime, Utc};
use darkroom_core::domain::OutboxMessage;
use darkroom_core::ports::{lease_end, DbError, OutboxBacklog, OutboxRepository};
use uuid::Uuid;

use super::backend::for_every_sql_backend;
use super::convert::StoredTime;
use super::queries;
use super::rows::{claimed_messages, outbox_messages, ClaimedRow, OutboxRow};

for_every_sql_backend!(impl {
    /// Writes `job` to the outbox on `conn`, which the caller has inside its transaction.
    pub(super) async fn insert_outbox(
        conn: &mut <B::Db as sqlx::Database>::Connection,
        job: &OutboxMessage,
    ) -> Result<(), DbError> {
        sqlx::query(queries::INSERT_OUTBOX)
            .bind(B::id(job.id))
            .bind(job.topic.clone())
            .bind(job.payload.to_vec())
            .bind(B::at(job.created_at))
            .execute(conn)
            .await
            .map_err(B::db_error)?;
        Ok(())
    }
});

/// A row count as SQL's `LIMIT` takes it.
fn limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

for_every_sql_backend!(impl OutboxRepository {
    async fn pending_outbox(&self, max: usize) -> Result<Vec<OutboxMessage>, DbError> {
        let rows: Vec<OutboxRow<B::Id, B::At>> = sqlx::query_as(queries::PENDING_OUTBOX)
            .bind(limit(max))
            .fetch_all(self.driver().pool())
            .await
            .map_err(B::db_error)?;
        outbox_messages(rows)
    }

    async fn claim_outbox(
        &self,
        max: usize,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> Result<Vec<OutboxMessage>, DbError> {
        let rows: Vec<ClaimedRow<B::Id, B::At>> = sqlx::query_as(&B::DIALECT.claim_outbox())
            .bind(B::at(now))
            .bind(B::at(lease_end(now, lease)))
            .bind(limit(max))
            .fetch_all(self.driver().pool())
            .await
            .map_err(B::db_error)?;
        claimed_messages(rows)
    }

    async fn mark_outbox_relayed(&self, ids: &[Uuid]) -> Result<(), DbError> {
        if ids.is_empty() {
            return Ok(());
        }
        // One statement whatever the number of ids: they travel as one parameter.
        sqlx::query(B::DIALECT.delete_outbox)
            .bind(B::id_list(ids)?)
            .execute(self.driver().pool())
            .await
            .map_err(B::db_error)?;
        Ok(())
    }

    async fn outbox_backlog(&self) -> Result<OutboxBacklog, DbError> {
        let (pending, oldest): (i64, Option<B::At>) = sqlx::query_as(queries::OUTBOX_BACKLOG)
            .fetch_one(self.driver().pool())
            .await
            .map_err(B::db_error)?;
        Ok(OutboxBacklog {
            pending: u64::try_from(pending).unwrap_or(0),
            oldest_created_at: oldest.map(StoredTime::into_time).transpose()?,
        })
    }
});
