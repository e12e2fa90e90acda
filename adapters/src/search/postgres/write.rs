//! Indexing a document: one transaction writing the document, then (when it was not older than the stored
//! one) replacing its terms.

use darkroom_core::ports::UserDocument;
use darkroom_core::search::{fuzzy_text, terms};
use sqlx::postgres::PgPool;
use uuid::Uuid;

/// Stores `document` unless the stored one is newer. The conditional upsert locks the document's row until
/// commit, so two upserts of one user take turns, and the terms always belong to the stored document.
pub(super) async fn upsert(pool: &PgPool, document: &UserDocument) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    let stored: Option<Uuid> = sqlx::query_scalar(
        "INSERT INTO search_documents \
         (id, username, display_name, first_name, last_name, updated_at, fuzzy_text) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (id) DO UPDATE SET username = excluded.username, \
         display_name = excluded.display_name, first_name = excluded.first_name, \
         last_name = excluded.last_name, updated_at = excluded.updated_at, \
         fuzzy_text = excluded.fuzzy_text \
         WHERE search_documents.updated_at <= excluded.updated_at \
         RETURNING id",
    )
    .bind(document.id.0)
    .bind(&document.username)
    .bind(&document.display_name)
    .bind(&document.first_name)
    .bind(&document.last_name)
    .bind(document.updated_at)
    .bind(fuzzy_text(document))
    .fetch_optional(&mut *tx)
    .await?;
    if stored.is_none() {
        // The stored document is newer: it and its terms stay.
        return tx.commit().await;
    }
    sqlx::query("DELETE FROM search_terms WHERE user_id = $1")
        .bind(document.id.0)
        .execute(&mut *tx)
        .await?;
    let (kinds, texts): (Vec<i16>, Vec<String>) = terms(document)
        .into_iter()
        .map(|term| (term.kind as i16, term.text))
        .unzip();
    sqlx::query(
        "INSERT INTO search_terms (kind, term, user_id) \
         SELECT kind, term, $3 FROM UNNEST($1::smallint[], $2::text[]) AS t(kind, term)",
    )
    .bind(kinds)
    .bind(texts)
    .bind(document.id.0)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}
