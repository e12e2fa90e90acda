//! The embedded queue's statements. Each state change is one conditional `UPDATE` (claims run inside a
//! `BEGIN IMMEDIATE` transaction), so SQLite's single writer makes every transition atomic.

use bytes::Bytes;
use darkroom_core::ports::{Delivery, Message, QueueError};
use sqlx::{SqliteConnection, SqlitePool};

use super::queue_error;

/// Moves the messages of `topic` that are due again but already had `max_attempts` deliveries to the
/// dead letters: they must not be delivered again.
pub(super) async fn bury(
    conn: &mut SqliteConnection,
    topic: &str,
    now: i64,
    max_attempts: u32,
) -> Result<(), QueueError> {
    sqlx::query(
        "UPDATE queue_messages SET state = 'dead', receipt = NULL, settled_at = ?2 \
         WHERE topic = ?1 AND state = 'ready' AND visible_at <= ?2 AND attempt >= ?3",
    )
    .bind(topic)
    .bind(now)
    .bind(max_attempts)
    .execute(conn)
    .await
    .map_err(queue_error)?;
    Ok(())
}

/// Claims up to `max` visible messages of `topic`: each becomes invisible until `invisible_until`, counts
/// one more attempt and gets a fresh random receipt, which invalidates any earlier one.
pub(super) async fn claim(
    conn: &mut SqliteConnection,
    topic: &str,
    now: i64,
    invisible_until: i64,
    max: usize,
    max_attempts: u32,
) -> Result<Vec<Delivery>, QueueError> {
    let rows: Vec<(i64, String, Vec<u8>, i64, String)> = sqlx::query_as(
        "UPDATE queue_messages \
         SET attempt = attempt + 1, visible_at = ?3, receipt = lower(hex(randomblob(16))) \
         WHERE rowid IN (SELECT rowid FROM queue_messages \
                         WHERE topic = ?1 AND state = 'ready' AND visible_at <= ?2 AND attempt < ?5 \
                         ORDER BY visible_at, rowid LIMIT ?4) \
         RETURNING rowid, id, payload, attempt, receipt",
    )
    .bind(topic)
    .bind(now)
    .bind(invisible_until)
    .bind(i64::try_from(max).unwrap_or(i64::MAX))
    .bind(max_attempts)
    .fetch_all(conn)
    .await
    .map_err(queue_error)?;

    let mut rows = rows;
    // RETURNING comes in no promised order; hand messages out oldest first.
    rows.sort_by_key(|row| row.0);
    rows.into_iter()
        .map(|(_, id, payload, attempt, receipt)| {
            Ok(Delivery {
                message: Message {
                    id,
                    topic: topic.to_owned(),
                    payload: Bytes::from(payload),
                },
                attempt: u32::try_from(attempt)
                    .map_err(|e| QueueError::other_from(format!("corrupt attempt {attempt}"), e))?,
                receipt,
            })
        })
        .collect()
}

/// Settles a delivery: `ack` (`visible_at` is `None`) or `nack` (visible again at `visible_at`). Only the
/// current receipt of a message that is still ready counts; anything else is `InvalidReceipt`.
pub(super) async fn settle(
    pool: &SqlitePool,
    delivery: &Delivery,
    now: i64,
    visible_at: Option<i64>,
) -> Result<(), QueueError> {
    let sql = match visible_at {
        // The payload goes at once; the row stays (without it) so that its id is still de-duplicated.
        None => {
            "UPDATE queue_messages SET state = 'acked', payload = x'', receipt = NULL, settled_at = ?4 \
             WHERE topic = ?1 AND id = ?2 AND receipt = ?3 AND state = 'ready'"
        }
        // Clearing the receipt makes the nacked delivery's handle stale at once.
        Some(_) => {
            "UPDATE queue_messages SET visible_at = ?4, receipt = NULL \
             WHERE topic = ?1 AND id = ?2 AND receipt = ?3 AND state = 'ready'"
        }
    };
    let done = sqlx::query(sql)
        .bind(&delivery.message.topic)
        .bind(&delivery.message.id)
        .bind(&delivery.receipt)
        .bind(visible_at.unwrap_or(now))
        .execute(pool)
        .await
        .map_err(queue_error)?;
    if done.rows_affected() == 0 {
        return Err(QueueError::InvalidReceipt);
    }
    Ok(())
}

/// Pushes the end of a delivery's lease to `until`. Only the current receipt of a message still in hand
/// (not settled, its lease not yet over at `now`) counts; anything else is `InvalidReceipt`.
pub(super) async fn extend(
    pool: &SqlitePool,
    delivery: &Delivery,
    now: i64,
    until: i64,
) -> Result<(), QueueError> {
    let done = sqlx::query(
        "UPDATE queue_messages SET visible_at = ?5 \
         WHERE topic = ?1 AND id = ?2 AND receipt = ?3 AND state = 'ready' AND visible_at > ?4",
    )
    .bind(&delivery.message.topic)
    .bind(&delivery.message.id)
    .bind(&delivery.receipt)
    .bind(now)
    .bind(until)
    .execute(pool)
    .await
    .map_err(queue_error)?;
    if done.rows_affected() == 0 {
        return Err(QueueError::InvalidReceipt);
    }
    Ok(())
}

/// Stores a message unless its id is already known in its topic (waiting, dead, or recently acked).
pub(super) async fn insert(
    pool: &SqlitePool,
    message: &Message,
    now: i64,
) -> Result<(), QueueError> {
    sqlx::query(
        "INSERT INTO queue_messages (topic, id, payload, visible_at, created_at) VALUES (?1, ?2, ?3, ?4, ?4) \
         ON CONFLICT (topic, id) DO NOTHING",
    )
    .bind(&message.topic)
    .bind(&message.id)
    .bind(message.payload.as_ref())
    .bind(now)
    .execute(pool)
    .await
    .map_err(queue_error)?;
    Ok(())
}

/// The dead letters of `topic`, in the order they died.
pub(super) async fn dead(
    pool: &SqlitePool,
    topic: &str,
    limit: usize,
) -> Result<Vec<Message>, QueueError> {
    let rows: Vec<(String, Vec<u8>)> = sqlx::query_as(
        "SELECT id, payload FROM queue_messages WHERE topic = ?1 AND state = 'dead' \
         ORDER BY settled_at, rowid LIMIT ?2",
    )
    .bind(topic)
    .bind(i64::try_from(limit).unwrap_or(i64::MAX))
    .fetch_all(pool)
    .await
    .map_err(queue_error)?;
    Ok(rows
        .into_iter()
        .map(|(id, payload)| Message {
            id,
            topic: topic.to_owned(),
            payload: Bytes::from(payload),
        })
        .collect())
}

/// Forgets acked messages settled before `before`: past that their ids are no longer de-duplicated.
pub(super) async fn purge_acked(pool: &SqlitePool, before: i64) -> Result<u64, QueueError> {
    let done = sqlx::query("DELETE FROM queue_messages WHERE state = 'acked' AND settled_at < ?1")
        .bind(before)
        .execute(pool)
        .await
        .map_err(queue_error)?;
    Ok(done.rows_affected())
}
