//! `OutboxRepository` on Postgres, and the insert the other repositories call inside their transactions.
//!
//! Relayed rows are deleted rather than flagged: nothing reads them again (the queue de-duplicates by
//! message id), and a table that only holds pending work stays small and fast to scan.

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use darkroom_core::domain::OutboxMessage;
use darkroom_core::ports::{DbError, OutboxRepository};
use sqlx::PgConnection;
use uuid::Uuid;

use super::errors::db_error;
use super::PostgresDatabase;

/// Writes `job` to the outbox on `conn`, which the caller has inside its transaction.
pub(super) async fn insert_outbox(
    conn: &mut PgConnection,
    job: &OutboxMessage,
) -> Result<(), DbError> {
    sqlx::query("INSERT INTO outbox (id, topic, payload, created_at) VALUES ($1, $2, $3, $4)")
        .bind(job.id)
        .bind(&job.topic)
        .bind(job.payload.as_ref())
        .bind(job.created_at)
        .execute(conn)
        .await
        .map_err(db_error)?;
    Ok(())
}

#[async_trait]
impl OutboxRepository for PostgresDatabase {
    async fn pending_outbox(&self, limit: usize) -> Result<Vec<OutboxMessage>, DbError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows: Vec<(Uuid, String, Vec<u8>, DateTime<Utc>)> = sqlx::query_as(
            "SELECT id, topic, payload, created_at FROM outbox ORDER BY created_at, seq LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(rows
            .into_iter()
            .map(|(id, topic, payload, created_at)| OutboxMessage {
                id,
                topic,
                payload: Bytes::from(payload),
                created_at,
            })
            .collect())
    }

    async fn mark_outbox_relayed(&self, ids: &[Uuid]) -> Result<(), DbError> {
        if ids.is_empty() {
            return Ok(());
        }
        // One statement whatever the number of ids: they travel as one uuid[] parameter.
        sqlx::query("DELETE FROM outbox WHERE id = ANY($1)")
            .bind(ids)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(())
    }
}
