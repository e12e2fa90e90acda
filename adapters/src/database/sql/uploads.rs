//! `UploadRepository` for every SQL backend: an upload row and its parts, the parts' rows cascading with it.
//! A part is written only while its upload is `open`, in one statement (`INSERT … SELECT … WHERE EXISTS`),
//! and a status moves only from the one the caller expects (`UPDATE … WHERE status = $from`).

use chrono::{DateTime, Utc};
use darkroom_core::domain::{ImageId, Upload, UploadId, UploadPart, UploadStatus, UserId};
use darkroom_core::ports::{DbError, UploadRepository};

use super::backend::for_every_sql_backend;
use super::convert::{signed, text_enum, unsigned, StoredId, StoredTime};

const COLUMNS: &str = "id, owner_id, image_id, storage_upload_id, blob_key, size, content_type, \
     visibility, status, expires_at, created_at";

const INSERT_UPLOAD: &str =
    "INSERT INTO uploads (id, owner_id, image_id, storage_upload_id, blob_key, \
     size, content_type, visibility, status, expires_at, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";

const PUT_PART: &str =
    "INSERT INTO upload_parts (upload_id, number, size, etag, checksum, storage_tag) \
     SELECT $1, $2, $3, $4, $5, $6 WHERE EXISTS \
     (SELECT 1 FROM uploads WHERE id = $1 AND status = 'open') \
     ON CONFLICT (upload_id, number) DO UPDATE SET size = excluded.size, etag = excluded.etag, \
     checksum = excluded.checksum, storage_tag = excluded.storage_tag";

const PARTS: &str = "SELECT number, size, etag, checksum, storage_tag FROM upload_parts \
     WHERE upload_id = $1 ORDER BY number";

#[derive(Debug, sqlx::FromRow)]
pub struct UploadRow<Id, At> {
    id: Id,
    owner_id: Id,
    image_id: Id,
    storage_upload_id: String,
    blob_key: String,
    size: Option<i64>,
    content_type: Option<String>,
    visibility: String,
    status: String,
    expires_at: At,
    created_at: At,
}

impl<Id: StoredId, At: StoredTime> TryFrom<UploadRow<Id, At>> for Upload {
    type Error = DbError;

    fn try_from(row: UploadRow<Id, At>) -> Result<Self, DbError> {
        Ok(Upload {
            id: UploadId(row.id.into_uuid()?),
            owner_id: UserId(row.owner_id.into_uuid()?),
            image_id: ImageId(row.image_id.into_uuid()?),
            storage_upload_id: row.storage_upload_id,
            key: row.blob_key,
            size: row.size.map(unsigned).transpose()?,
            content_type: row.content_type,
            visibility: text_enum(&row.visibility)?,
            status: text_enum(&row.status)?,
            expires_at: row.expires_at.into_time()?,
            created_at: row.created_at.into_time()?,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct UploadPartRow {
    number: i64,
    size: i64,
    etag: String,
    checksum: Option<String>,
    storage_tag: String,
}

impl TryFrom<UploadPartRow> for UploadPart {
    type Error = DbError;

    fn try_from(row: UploadPartRow) -> Result<Self, DbError> {
        Ok(UploadPart {
            number: unsigned(row.number)?,
            size: unsigned(row.size)?,
            etag: row.etag,
            checksum: row.checksum,
            storage_tag: row.storage_tag,
        })
    }
}

fn uploads<Id: StoredId, At: StoredTime>(
    rows: Vec<UploadRow<Id, At>>,
) -> Result<Vec<Upload>, DbError> {
    rows.into_iter().map(Upload::try_from).collect()
}

for_every_sql_backend!(impl UploadRepository {
    async fn create_upload(&self, upload: &Upload) -> Result<(), DbError> {
        sqlx::query(INSERT_UPLOAD)
            .bind(B::id(upload.id.0))
            .bind(B::id(upload.owner_id.0))
            .bind(B::id(upload.image_id.0))
            .bind(upload.storage_upload_id.clone())
            .bind(upload.key.clone())
            .bind(upload.size.map(|size| signed(size, "upload")).transpose()?)
            .bind(upload.content_type.clone())
            .bind(upload.visibility.as_str().to_owned())
            .bind(upload.status.as_str().to_owned())
            .bind(B::at(upload.expires_at))
            .bind(B::at(upload.created_at))
            .execute(self.driver().pool())
            .await
            .map_err(B::db_error)?;
        Ok(())
    }

    async fn upload(&self, id: UploadId) -> Result<Option<Upload>, DbError> {
        let row: Option<UploadRow<B::Id, B::At>> =
            sqlx::query_as(&format!("SELECT {COLUMNS} FROM uploads WHERE id = $1"))
                .bind(B::id(id.0))
                .fetch_optional(self.driver().pool())
                .await
                .map_err(B::db_error)?;
        row.map(Upload::try_from).transpose()
    }

    async fn upload_parts(&self, id: UploadId) -> Result<Vec<UploadPart>, DbError> {
        let rows: Vec<UploadPartRow> = sqlx::query_as(PARTS)
            .bind(B::id(id.0))
            .fetch_all(self.driver().pool())
            .await
            .map_err(B::db_error)?;
        rows.into_iter().map(UploadPart::try_from).collect()
    }

    async fn put_upload_part(&self, id: UploadId, part: &UploadPart) -> Result<bool, DbError> {
        let done = sqlx::query(PUT_PART)
            .bind(B::id(id.0))
            .bind(i64::from(part.number))
            .bind(signed(part.size, "part")?)
            .bind(part.etag.clone())
            .bind(part.checksum.clone())
            .bind(part.storage_tag.clone())
            .execute(self.driver().pool())
            .await
            .map_err(B::db_error)?;
        Ok(B::rows_affected(&done) == 1)
    }

    async fn set_upload_status(
        &self,
        id: UploadId,
        from: UploadStatus,
        to: UploadStatus,
    ) -> Result<bool, DbError> {
        let done = sqlx::query("UPDATE uploads SET status = $2 WHERE id = $1 AND status = $3")
            .bind(B::id(id.0))
            .bind(to.as_str().to_owned())
            .bind(from.as_str().to_owned())
            .execute(self.driver().pool())
            .await
            .map_err(B::db_error)?;
        Ok(B::rows_affected(&done) == 1)
    }

    async fn delete_upload(&self, id: UploadId) -> Result<bool, DbError> {
        // The parts go with it (ON DELETE CASCADE); deleting them first keeps that true without the pragma.
        let mut tx = self.driver().begin_write().await.map_err(B::db_error)?;
        sqlx::query("DELETE FROM upload_parts WHERE upload_id = $1")
            .bind(B::id(id.0))
            .execute(&mut *tx)
            .await
            .map_err(B::db_error)?;
        let done = sqlx::query("DELETE FROM uploads WHERE id = $1")
            .bind(B::id(id.0))
            .execute(&mut *tx)
            .await
            .map_err(B::db_error)?;
        tx.commit().await.map_err(B::db_error)?;
        Ok(B::rows_affected(&done) == 1)
    }

    async fn expired_uploads(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Upload>, DbError> {
        let rows: Vec<UploadRow<B::Id, B::At>> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM uploads WHERE expires_at < $1 \
             ORDER BY expires_at, id LIMIT $2"
        ))
        .bind(B::at(now))
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(self.driver().pool())
        .await
        .map_err(B::db_error)?;
        uploads(rows)
    }
});
