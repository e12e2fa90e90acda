//! `ImageRepository` on Postgres. Every write that also asks for background work writes the outbox row in the
//! same transaction, and state changes carry their precondition in the `WHERE` so they are atomic. Writes
//! that return the image do it with `RETURNING`, joined to the owner's username, in the same statement.

use async_trait::async_trait;
use chrono::Utc;
use darkroom_core::domain::{
    merge_variant_files, Cursor, Failure, Image, ImageId, ImagePatch, ImageStatus, LateVariantFile,
    NewImage, OutboxMessage, Page, PageRequest, ProcessedImage, UserId, Variant,
};
use darkroom_core::ports::{CreateImageOutcome, DbError, ImageRepository};

use super::errors::db_error;
use super::outbox::insert_outbox;
use super::rows::{json, signed, to_json, ImageRow, IMAGE_COLUMNS};
use super::PostgresDatabase;

#[async_trait]
impl ImageRepository for PostgresDatabase {
    async fn create_image(
        &self,
        image: &NewImage,
        job: &OutboxMessage,
    ) -> Result<CreateImageOutcome, DbError> {
        let mut tx = self.begin().await?;
        // The conflict target is the partial unique index on (owner_id, idempotency_key): a reused key
        // inserts nothing (waiting, if another transaction is inserting it right now, for that one to
        // finish), while any other violation (a duplicate id) still fails loudly.
        let inserted = sqlx::query(
            "INSERT INTO images (id, owner_id, status, format, bytes, sha256, visibility, original_key, \
                                 idempotency_key, created_at, updated_at) \
             VALUES ($1, $2, 'processing', $3, $4, $5, $6, $7, $8, $9, $9) \
             ON CONFLICT (owner_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING",
        )
        .bind(image.id.0)
        .bind(image.owner_id.0)
        .bind(image.format.as_str())
        .bind(signed(image.bytes, "image")?)
        .bind(&image.sha256)
        .bind(image.visibility.as_str())
        .bind(&image.original_key)
        .bind(&image.idempotency_key)
        .bind(image.created_at)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;

        if inserted.rows_affected() == 0 {
            let sql = format!(
                "SELECT {IMAGE_COLUMNS} FROM images i JOIN users u ON u.id = i.owner_id \
                 WHERE i.owner_id = $1 AND i.idempotency_key = $2"
            );
            let earlier: Option<ImageRow> = sqlx::query_as(&sql)
                .bind(image.owner_id.0)
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
        let sql = format!(
            "SELECT {IMAGE_COLUMNS} FROM images i JOIN users u ON u.id = i.owner_id WHERE i.id = $1"
        );
        let row: Option<ImageRow> = sqlx::query_as(&sql)
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        row.map(Image::try_from).transpose()
    }

    async fn images_by_owner(
        &self,
        owner: UserId,
        page: PageRequest,
    ) -> Result<Page<Image>, DbError> {
        // One row more than the page tells whether another page follows without a count. The row
        // comparison is the keyset (exact: timestamptz keeps the microseconds a cursor carries), written
        // only when there is a cursor so that it becomes an index condition rather than a filter.
        let fetch = i64::from(page.limit) + 1;
        let base = format!(
            "SELECT {IMAGE_COLUMNS} FROM images i JOIN users u ON u.id = i.owner_id WHERE i.owner_id = $1"
        );
        let order = "ORDER BY i.created_at DESC, i.id DESC LIMIT $2";
        let rows: Vec<ImageRow> = match page.after {
            None => {
                sqlx::query_as(&format!("{base} {order}"))
                    .bind(owner.0)
                    .bind(fetch)
                    .fetch_all(&self.pool)
                    .await
            }
            Some(after) => {
                sqlx::query_as(&format!(
                    "{base} AND (i.created_at, i.id) < ($3, $4) {order}"
                ))
                .bind(owner.0)
                .bind(fetch)
                .bind(after.created_at)
                .bind(after.id)
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
        let sql = format!(
            "UPDATE images i SET visibility = COALESCE($2, i.visibility), \
                                 alt_text = CASE WHEN $3 THEN $4 ELSE i.alt_text END, \
                                 tags = COALESCE($5::jsonb, i.tags), \
                                 updated_at = GREATEST($6, i.created_at) \
             FROM users u WHERE i.id = $1 AND u.id = i.owner_id \
             RETURNING {IMAGE_COLUMNS}"
        );
        let row: Option<ImageRow> = sqlx::query_as(&sql)
            .bind(id.0)
            .bind(patch.visibility.map(|v| v.as_str()))
            .bind(set_alt)
            .bind(alt)
            .bind(tags)
            .bind(Utc::now())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        row.map(Image::try_from).transpose()
    }

    async fn complete_processing(
        &self,
        id: ImageId,
        result: &ProcessedImage,
    ) -> Result<bool, DbError> {
        let done = sqlx::query(
            "UPDATE images SET status = 'ready', width = $2, height = $3, blurhash = $4, \
                               dominant_color = $5, variants = $6::jsonb, public_original_key = $7, \
                               failure_code = NULL, failure_message = NULL, \
                               updated_at = GREATEST($8, created_at) \
             WHERE id = $1 AND status = 'processing'",
        )
        .bind(id.0)
        .bind(i64::from(result.width))
        .bind(i64::from(result.height))
        .bind(&result.blurhash)
        .bind(&result.dominant_color)
        .bind(to_json(&result.variants)?)
        .bind(&result.public_original_key)
        .bind(Utc::now())
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(done.rows_affected() == 1)
    }

    async fn fail_processing(&self, id: ImageId, failure: &Failure) -> Result<bool, DbError> {
        let done = sqlx::query(
            "UPDATE images SET status = 'failed', failure_code = $2, failure_message = $3, \
                               updated_at = GREATEST($4, created_at) \
             WHERE id = $1 AND status = 'processing'",
        )
        .bind(id.0)
        .bind(&failure.code)
        .bind(&failure.message)
        .bind(Utc::now())
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
        let mut tx = self.begin().await?;
        // DELETE … RETURNING hands back the row it removed (a concurrent delete makes one of the two find
        // nothing), so the image returned is exactly the one deleted.
        let sql = format!(
            "DELETE FROM images i USING users u WHERE i.id = $1 AND u.id = i.owner_id \
             RETURNING {IMAGE_COLUMNS}"
        );
        let deleted: Option<ImageRow> = sqlx::query_as(&sql)
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_error)?;
        let Some(deleted) = deleted else {
            return Ok(None);
        };
        let image = Image::try_from(deleted)?;
        insert_outbox(&mut tx, job).await?;
        tx.commit().await.map_err(db_error)?;
        Ok(Some(image))
    }
    async fn add_variant_files(
        &self,
        id: ImageId,
        files: &[LateVariantFile],
    ) -> Result<bool, DbError> {
        let mut tx = self.begin().await?;
        // FOR UPDATE holds the row from the read to the write, so concurrent additions serialise.
        let row: Option<(String, String)> =
            sqlx::query_as("SELECT status, variants::text FROM images WHERE id = $1 FOR UPDATE")
                .bind(id.0)
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
                "UPDATE images SET variants = $2::jsonb, updated_at = GREATEST($3, created_at) \
                 WHERE id = $1",
            )
            .bind(id.0)
            .bind(to_json(&variants)?)
            .bind(Utc::now())
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
            tx.commit().await.map_err(db_error)?;
        }
        Ok(true)
    }
}
