//! `OutboxRepository` on SQLite, and the insert the other repositories call inside their transactions.
//!
//! Relayed rows are deleted rather than flagged: nothing reads them again (the queue de-duplicates by
//! message id), and a table that only holds pending work stays small and fast to scan.

use async_trait::async_trait;
use bytes::Bytes;
use darkroom_core::domain::OutboxMessage;
use darkroom_core::ports::{DbError, OutboxRepository};
use sqlx::SqliteConnection;
use uuid::Uuid;

use super::rows::{micros, timestamp, uuid};
use super::{db_error, SqliteDatabase};

/// Writes `job` to the outbox on `conn`, which the caller has inside its transaction.
pub(super) async fn insert_outbox(
    conn: &mut SqliteConnection,
    job: &OutboxMessage,
) -> Result<(), DbError> {
    sqlx::query("INSERT INTO outbox (id, topic, payload, created_at) VALUES (?1, ?2, ?3, ?4)")
        .bind(job.id.to_string())
        .bind(&job.topic)
        .bind(job.payload.as_ref())
        .bind(micros(job.created_at))
        .execute(conn)
        .await
        .map_err(db_error)?;
    Ok(())
}

#[async_trait]
impl OutboxRepository for SqliteDatabase {
    async fn pending_outbox(&self, limit: usize) -> Result<Vec<OutboxMessage>, DbError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows: Vec<(String, String, Vec<u8>, i64)> = sqlx::query_as(
            "SELECT id, topic, payload, created_at FROM outbox ORDER BY created_at, seq LIMIT ?1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.into_iter()
            .map(|(id, topic, payload, created_at)| {
                Ok(OutboxMessage {
                    id: uuid(&id)?,
                    topic,
                    payload: Bytes::from(payload),
                    created_at: timestamp(created_at)?,
                })
            })
            .collect()
    }

    async fn mark_outbox_relayed(&self, ids: &[Uuid]) -> Result<(), DbError> {
        if ids.is_empty() {
            return Ok(());
        }
        // One statement whatever the number of ids: they travel as one JSON array, which sidesteps
        // SQLite's limit on bound parameters.
        let ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
        let ids = serde_json::to_string(&ids)
            .map_err(|e| DbError::Other(format!("cannot encode ids: {e}")))?;
        sqlx::query("DELETE FROM outbox WHERE id IN (SELECT value FROM json_each(?1))")
            .bind(ids)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(())
    }
}
