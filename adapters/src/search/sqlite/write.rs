//! Indexing and forgetting a document: one write transaction each, so the document, its terms and its
//! fuzzy text always change together.

use darkroom_core::domain::UserId;
use darkroom_core::ports::UserDocument;
use darkroom_core::search::{fuzzy_text, terms};
use sqlx::sqlite::SqlitePool;
use sqlx::{Sqlite, Transaction};

/// Stores `document` unless the stored one is newer. `BEGIN IMMEDIATE` takes the write lock up front, so
/// the read of the stored `updated_at` and the writes that depend on it cannot interleave with another
/// upsert of the same user.
pub(super) async fn upsert(pool: &SqlitePool, document: &UserDocument) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let id = document.id.0.to_string();
    let updated_at = document.updated_at.timestamp_micros();
    let stored: Option<(i64, i64)> =
        sqlx::query_as("SELECT seq, updated_at FROM search_documents WHERE id = ?")
            .bind(&id)
            .fetch_optional(&mut *tx)
            .await?;
    let seq = match stored {
        Some((_, stored_at)) if stored_at > updated_at => return tx.commit().await,
        Some((seq, _)) => {
            sqlx::query(
                "UPDATE search_documents SET username = ?, display_name = ?, first_name = ?, \
                 last_name = ?, updated_at = ? WHERE seq = ?",
            )
            .bind(&document.username)
            .bind(&document.display_name)
            .bind(&document.first_name)
            .bind(&document.last_name)
            .bind(updated_at)
            .bind(seq)
            .execute(&mut *tx)
            .await?;
            forget_terms(&mut tx, seq).await?;
            seq
        }
        None => {
            sqlx::query_scalar(
                "INSERT INTO search_documents \
                 (id, username, display_name, first_name, last_name, updated_at) \
                 VALUES (?, ?, ?, ?, ?, ?) RETURNING seq",
            )
            .bind(&id)
            .bind(&document.username)
            .bind(&document.display_name)
            .bind(&document.first_name)
            .bind(&document.last_name)
            .bind(updated_at)
            .fetch_one(&mut *tx)
            .await?
        }
    };
    for term in terms(document) {
        sqlx::query("INSERT INTO search_terms (kind, term, seq) VALUES (?, ?, ?)")
            .bind(term.kind as i64)
            .bind(&term.text)
            .bind(seq)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("INSERT INTO search_fuzzy (rowid, text) VALUES (?, ?)")
        .bind(seq)
        .bind(fuzzy_text(document))
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}

/// Forgets `id`'s document, terms and fuzzy text; an unknown id changes nothing.
pub(super) async fn remove(pool: &SqlitePool, id: UserId) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let seq: Option<i64> =
        sqlx::query_scalar("DELETE FROM search_documents WHERE id = ? RETURNING seq")
            .bind(id.0.to_string())
            .fetch_optional(&mut *tx)
            .await?;
    if let Some(seq) = seq {
        // The terms go with the document (ON DELETE CASCADE); the FTS table has no foreign keys.
        sqlx::query("DELETE FROM search_fuzzy WHERE rowid = ?")
            .bind(seq)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await
}

/// Drops what the document at `seq` was found by, before its new terms are written.
async fn forget_terms(tx: &mut Transaction<'static, Sqlite>, seq: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM search_terms WHERE seq = ?")
        .bind(seq)
        .execute(&mut **tx)
        .await?;
    sqlx::query("DELETE FROM search_fuzzy WHERE rowid = ?")
        .bind(seq)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
