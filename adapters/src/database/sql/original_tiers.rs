//! `OriginalTierRepository` for every SQL backend: two columns of `images` (`original_read_at`,
//! `original_archived_at`), each write one conditional `UPDATE`. The pass's listing walks a partial index
//! of the hot originals by last read (see the migration).

use chrono::{DateTime, Utc};
use darkroom_core::domain::ImageId;
use darkroom_core::ports::{DbError, OriginalTierRepository};

use super::backend::for_every_sql_backend;
use super::convert::StoredId;

/// An image's last read: noted, or its upload.
const LAST_READ: &str = "COALESCE(original_read_at, created_at)";

/// "Image may move to the archive tier", for reads before `$READ`.
fn archivable(read_before: &str) -> String {
    format!(
        "original_archived_at IS NULL AND deleted_at IS NULL AND status <> 'processing' \
         AND {LAST_READ} < {read_before}"
    )
}

for_every_sql_backend!(impl OriginalTierRepository {
    async fn note_original_read(&self, id: ImageId, at: DateTime<Utc>) -> Result<bool, DbError> {
        let sql = format!("UPDATE images SET original_read_at = $2 WHERE id = $1 AND {LAST_READ} < $2");
        let done = sqlx::query(&sql)
            .bind(B::id(id.0))
            .bind(B::at(at))
            .execute(self.driver().pool())
            .await
            .map_err(B::db_error)?;
        Ok(B::rows_affected(&done) == 1)
    }

    async fn originals_to_archive(
        &self,
        read_before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<ImageId>, DbError> {
        let sql = format!(
            "SELECT id FROM images WHERE {} ORDER BY {LAST_READ}, id LIMIT $2",
            archivable("$1")
        );
        let rows: Vec<(B::Id,)> = sqlx::query_as(&sql)
            .bind(B::at(read_before))
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(self.driver().pool())
            .await
            .map_err(B::db_error)?;
        rows.into_iter()
            .map(|(id,)| id.into_uuid().map(ImageId))
            .collect()
    }

    async fn mark_original_archived(
        &self,
        id: ImageId,
        read_before: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<bool, DbError> {
        let sql = format!(
            "UPDATE images SET original_archived_at = $3 WHERE id = $1 AND {}",
            archivable("$2")
        );
        let done = sqlx::query(&sql)
            .bind(B::id(id.0))
            .bind(B::at(read_before))
            .bind(B::at(at))
            .execute(self.driver().pool())
            .await
            .map_err(B::db_error)?;
        Ok(B::rows_affected(&done) == 1)
    }

    async fn mark_original_hot(&self, id: ImageId, at: DateTime<Utc>) -> Result<bool, DbError> {
        let done = sqlx::query(
            "UPDATE images SET original_archived_at = NULL, original_read_at = $2 \
             WHERE id = $1 AND original_archived_at IS NOT NULL",
        )
        .bind(B::id(id.0))
        .bind(B::at(at))
        .execute(self.driver().pool())
        .await
        .map_err(B::db_error)?;
        Ok(B::rows_affected(&done) == 1)
    }
});
