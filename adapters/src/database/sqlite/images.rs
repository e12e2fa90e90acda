//! `ImageRepository` on SQLite. Every write that also asks for background work writes the outbox row in the
//! same transaction, and state changes carry their precondition in the `WHERE` so they are atomic.

use async_trait::async_trait;
use chrono::Utc;
use darkroom_core::domain::{
    merge_variant_files, Cursor, Failure, Image, ImageId, ImagePatch, ImageStatus, LateVariantFile,
    NewImage, OutboxMessage, Page, PageRequest, ProcessedImage, UserId, Variant,
};
use darkroom_core::ports::{CreateImageOutcome, DbError, ImageRepository};
use sqlx::SqliteConnection;

use super::outbox::insert_outbox;
use super::rows::{json, micros, to_json, ImageRow, IMAGE_COLUMNS};
use super::{db_error, SqliteDatabase};

/// One image with its owner's username, read on `conn` (so inside a transaction when there is one).
async fn fetch_image(conn: &mut SqliteConnection, id: ImageId) -> Result<Option<Image>, DbError> {
    let sql = format!(
        "SELECT {IMAGE_COLUMNS} FROM images i JOIN users u ON u.id = i.owner_id WHERE i.id = ?1"
    );
    let row: Option<ImageRow> = sqlx::query_as(&sql)
        .bind(id.0.to_string())
        .fetch_optional(conn)
        .await
        .map_err(db_error)?;
    row.map(Image::try_from).transpose()
}

#[async_trait]
impl ImageRepository for SqliteDatabase {
    async fn create_image(
        &self,
        image: &NewImage,
        job: &OutboxMessage,
    ) -> Result<CreateImageOutcome, DbError> {
        let mut tx = self.write().await?;
        // The conflict target is the partial unique index on (owner_id, idempotency_key): a reused key
        // inserts nothing, while any other violation (a duplicate id) still fails loudly.
        let inserted = sqlx::query(
            "INSERT INTO images (id, owner_id, status, format, bytes, sha256, visibility, original_key, \
                                 idempotency_key, created_at, updated_at) \
             VALUES (?1, ?2, 'processing', ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9) \
             ON CONFLICT (owner_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING",
        )
        .bind(image.id.0.to_string())
        .bind(image.owner_id.0.to_string())
        .bind(image.format.as_str())
        .bind(i64::try_from(image.bytes).map_err(|_| DbError::Other("image too large to record".into()))?)
        .bind(&image.sha256)
        .bind(image.visibility.as_str())
        .bind(&image.original_key)
        .bind(&image.idempotency_key)
        .bind(micros(image.created_at))
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;

        if inserted.rows_affected() == 0 {
            let sql = format!(
                "SELECT {IMAGE_COLUMNS} FROM images i JOIN users u ON u.id = i.owner_id \
                 WHERE i.owner_id = ?1 AND i.idempotency_key = ?2"
            );
            let earlier: Option<ImageRow> = sqlx::query_as(&sql)
                .bind(image.owner_id.0.to_string())
                .bind(&image.idempotency_key)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_error)?;
            // Dropping `tx` rolls back: a replay writes nothing, the outbox row included.
            let earlier = earlier
                .ok_or_else(|| DbError::Other("idempotency conflict without a row".into()))?;
            return Ok(CreateImageOutcome::IdempotentReplay(Box::new(
                earlier.try_into()?,
            )));
        }

        insert_outbox(&mut tx, job).await?;
        tx.commit().await.map_err(db_error)?;
        Ok(CreateImageOutcome::Created)
    }

    async fn image(&self, id: ImageId) -> Result<Option<Image>, DbError> {
        let mut conn = self.pool.acquire().await.map_err(db_error)?;
        fetch_image(&mut conn, id).await
    }

    async fn images_by_owner(
        &self,
        owner: UserId,
        page: PageRequest,
    ) -> Result<Page<Image>, DbError> {
        // One row more than the page tells whether another page follows without a count.
        let fetch = i64::from(page.limit) + 1;
        let base = format!(
            "SELECT {IMAGE_COLUMNS} FROM images i JOIN users u ON u.id = i.owner_id WHERE i.owner_id = ?1"
        );
        let order = "ORDER BY i.created_at DESC, i.id DESC LIMIT ?2";
        let rows: Vec<ImageRow> = match page.after {
            None => {
                sqlx::query_as(&format!("{base} {order}"))
                    .bind(owner.0.to_string())
                    .bind(fetch)
                    .fetch_all(&self.pool)
                    .await
            }
            Some(after) => {
                sqlx::query_as(&format!(
                    "{base} AND (i.created_at, i.id) < (?3, ?4) {order}"
                ))
                .bind(owner.0.to_string())
                .bind(fetch)
                .bind(micros(after.created_at))
                .bind(after.id.to_string())
                .fetch_all(&self.pool)
                .await
            }
        }
        .map_err(db_error)?;

        let mut items = rows
            .into_iter()
            .map(Image::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        let more = items.len() > page.limit as usize;
        items.truncate(page.limit as usize);
        let next = if more {
            items.last().map(|last| Cursor {
                created_at: last.created_at,
                id: last.id.0,
            })
        } else {
            None
        };
        Ok(Page { items, next })
    }

    async fn update_image(
        &self,
        id: ImageId,
        patch: &ImagePatch,
    ) -> Result<Option<Image>, DbError> {
        if *patch == ImagePatch::default() {
            return self.image(id).await;
        }
        let (set_alt, alt) = match &patch.alt_text {
            Some(alt) => (true, alt.clone()),
            None => (false, None),
        };
        let tags = patch.tags.as_ref().map(to_json).transpose()?;
        let mut tx = self.write().await?;
        let updated = sqlx::query(
            "UPDATE images SET visibility = COALESCE(?2, visibility), \
                               alt_text = CASE WHEN ?3 THEN ?4 ELSE alt_text END, \
                               tags = COALESCE(?5, tags), \
                               updated_at = MAX(?6, created_at) \
             WHERE id = ?1",
        )
        .bind(id.0.to_string())
        .bind(patch.visibility.map(|v| v.as_str()))
        .bind(set_alt)
        .bind(alt)
        .bind(tags)
        .bind(micros(Utc::now()))
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        if updated.rows_affected() == 0 {
            return Ok(None);
        }
        let image = fetch_image(&mut tx, id).await?;
        tx.commit().await.map_err(db_error)?;
        Ok(image)
    }

    async fn complete_processing(
        &self,
        id: ImageId,
        result: &ProcessedImage,
    ) -> Result<bool, DbError> {
        let done = sqlx::query(
            "UPDATE images SET status = 'ready', width = ?2, height = ?3, blurhash = ?4, \
                               dominant_color = ?5, variants = ?6, public_original_key = ?7, failure_code = NULL, \
                               failure_message = NULL, updated_at = MAX(?8, created_at) \
             WHERE id = ?1 AND status = 'processing'",
        )
        .bind(id.0.to_string())
        .bind(result.width)
        .bind(result.height)
        .bind(&result.blurhash)
        .bind(&result.dominant_color)
        .bind(to_json(&result.variants)?)
        .bind(&result.public_original_key)
        .bind(micros(Utc::now()))
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(done.rows_affected() == 1)
    }

    async fn fail_processing(&self, id: ImageId, failure: &Failure) -> Result<bool, DbError> {
        let done = sqlx::query(
            "UPDATE images SET status = 'failed', failure_code = ?2, failure_message = ?3, \
                               updated_at = MAX(?4, created_at) \
             WHERE id = ?1 AND status = 'processing'",
        )
        .bind(id.0.to_string())
        .bind(&failure.code)
        .bind(&failure.message)
        .bind(micros(Utc::now()))
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(done.rows_affected() == 1)
    }

    async fn delete_image(
        &self,
        id: ImageId,
        job: &OutboxMessage,
    ) -> Result<Option<Image>, DbError> {
        // BEGIN IMMEDIATE holds the write lock, so the image read here is the one the DELETE removes.
        let mut tx = self.write().await?;
        let Some(image) = fetch_image(&mut tx, id).await? else {
            return Ok(None);
        };
        sqlx::query("DELETE FROM images WHERE id = ?1")
            .bind(id.0.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        insert_outbox(&mut tx, job).await?;
        tx.commit().await.map_err(db_error)?;
        Ok(Some(image))
    }
    async fn add_variant_files(
        &self,
        id: ImageId,
        files: &[LateVariantFile],
    ) -> Result<bool, DbError> {
        // BEGIN IMMEDIATE holds the write lock from the read to the write: nothing changes in between.
        let mut tx = self.write().await?;
        let row: Option<(String, String)> =
            sqlx::query_as("SELECT status, variants FROM images WHERE id = ?1")
                .bind(id.0.to_string())
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_error)?;
        let Some((status, variants)) = row else {
            return Ok(false);
        };
        if status != ImageStatus::Ready.as_str() {
            return Ok(false);
        }
        let mut variants: Vec<Variant> = json(&variants)?;
        if merge_variant_files(&mut variants, files) {
            sqlx::query(
                "UPDATE images SET variants = ?2, updated_at = MAX(?3, created_at) WHERE id = ?1",
            )
            .bind(id.0.to_string())
            .bind(to_json(&variants)?)
            .bind(micros(Utc::now()))
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
            tx.commit().await.map_err(db_error)?;
        }
        Ok(true)
    }
}
