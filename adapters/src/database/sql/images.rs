//! `ImageRepository` for every SQL backend. Every write that also asks for background work writes the
//! outbox row in the same transaction, and state changes carry their precondition in the `WHERE` so they
//! are atomic. A read that a write follows runs in a write transaction and, where the backend locks rows,
//! locks the image's (`Dialect::for_update`).

use chrono::{DateTime, Utc};
use darkroom_core::domain::{
    merge_variant_files, Cursor, Failure, Image, ImageId, ImagePatch, ImageStatus, LateVariantFile,
    NewImage, OutboxMessage, Page, PageRequest, ProcessedImage, UserId, Variant,
};
use darkroom_core::ports::{CreateImageOutcome, DbError, ImageRepository};

use super::backend::for_every_sql_backend;
use super::convert::{json, signed, to_json, StoredId};
use super::rows::{images, ImageRow};
use super::{page, queries};

for_every_sql_backend!(impl {
    /// One image with its owner's username, read on `conn` (so inside a transaction when there is one),
    /// its row locked until that transaction ends when `lock` is set.
    async fn fetch_image(
        conn: &mut <B::Db as sqlx::Database>::Connection,
        id: ImageId,
        lock: bool,
    ) -> Result<Option<Image>, DbError> {
        let rest = if lock { B::DIALECT.for_update_of_image } else { "" };
        let row: Option<ImageRow<B::Id, B::At>> =
            sqlx::query_as(&B::DIALECT.images_where("i.id = $1", rest))
                .bind(B::id(id.0))
                .fetch_optional(conn)
                .await
                .map_err(B::db_error)?;
        row.map(Image::try_from).transpose()
    }

    /// A page of `owner`'s live images, newest first, only those tagged `tag` (by the owner or
    /// automatically) when given. The tag is a filter on the owner's (created_at, id) index range, so the
    /// keyset is the same with or without it.
    async fn owner_page(
        &self,
        owner: UserId,
        tag: Option<&str>,
        request: PageRequest,
    ) -> Result<Page<Image>, DbError> {
        // One row more than the page tells whether another page follows without a count. The row
        // comparison is the keyset (exact: both backends keep the microseconds a cursor carries), written
        // only when there is a cursor so that it becomes an index condition rather than a filter.
        let fetch = i64::from(request.limit) + 1;
        let mut condition = "i.owner_id = $1 AND i.deleted_at IS NULL".to_owned();
        if request.after.is_some() {
            condition.push_str(" AND (i.created_at, i.id) < ($3, $4)");
        }
        if tag.is_some() {
            let param = if request.after.is_some() { 5 } else { 3 };
            condition = format!("{condition} AND {}", B::DIALECT.has_tag(param));
        }
        let sql = B::DIALECT.images_where(&condition, queries::NEWEST_FIRST);
        let mut query = sqlx::query_as::<_, ImageRow<B::Id, B::At>>(&sql)
            .bind(B::id(owner.0))
            .bind(fetch);
        if let Some(after) = request.after {
            query = query.bind(B::at(after.created_at)).bind(B::id(after.id));
        }
        if let Some(tag) = tag {
            query = query.bind(tag.to_owned());
        }
        let rows = query
            .fetch_all(self.driver().pool())
            .await
            .map_err(B::db_error)?;
        Ok(page(images(rows)?, request.limit, |image| Cursor {
            created_at: image.created_at,
            id: image.id.0,
        }))
    }

    /// Runs `statement` (a soft delete or a restore: `$1` the image, `$2` a time) and reads the image it
    /// changed in the same transaction, so the answer is exactly what it wrote; `None` when it changed
    /// nothing (its condition did not hold), so of two concurrent calls only one answers `Some`.
    async fn mark_image(
        &self,
        id: ImageId,
        statement: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<Image>, DbError> {
        let mut tx = self.driver().begin_write().await.map_err(B::db_error)?;
        let marked = sqlx::query(statement)
            .bind(B::id(id.0))
            .bind(B::at(at))
            .execute(&mut *tx)
            .await
            .map_err(B::db_error)?;
        if B::rows_affected(&marked) == 0 {
            return Ok(None);
        }
        let image = Self::fetch_image(&mut tx, id, false).await?;
        tx.commit().await.map_err(B::db_error)?;
        Ok(image)
    }
});

for_every_sql_backend!(impl ImageRepository {
    async fn create_image(
        &self,
        image: &NewImage,
        job: &OutboxMessage,
    ) -> Result<CreateImageOutcome, DbError> {
        let mut tx = self.driver().begin_write().await.map_err(B::db_error)?;
        let derivation = image.derivation.as_ref();
        let operations = derivation.map(|d| to_json(&d.operations)).transpose()?;
        let inserted = sqlx::query(&B::DIALECT.insert_image())
            .bind(B::id(image.id.0))
            .bind(B::id(image.owner_id.0))
            .bind(image.format.as_str().to_owned())
            .bind(signed(image.bytes, "image")?)
            .bind(image.sha256.clone())
            .bind(image.visibility.as_str().to_owned())
            .bind(image.original_key.clone())
            .bind(image.idempotency_key.clone())
            .bind(B::at(image.created_at))
            .bind(derivation.map(|d| B::id(d.source_image_id.0)))
            .bind(operations)
            .execute(&mut *tx)
            .await
            .map_err(B::db_error)?;

        if B::rows_affected(&inserted) == 0 {
            let sql = B::DIALECT.images_where("i.owner_id = $1 AND i.idempotency_key = $2", "");
            let earlier: Option<ImageRow<B::Id, B::At>> = sqlx::query_as(&sql)
                .bind(B::id(image.owner_id.0))
                .bind(image.idempotency_key.clone())
                .fetch_optional(&mut *tx)
                .await
                .map_err(B::db_error)?;
            // Dropping `tx` rolls back: a replay writes nothing, the outbox row included.
            let earlier =
                earlier.ok_or_else(|| DbError::other("idempotency conflict without a row"))?;
            return Ok(CreateImageOutcome::IdempotentReplay(Box::new(
                earlier.try_into()?,
            )));
        }

        Self::insert_outbox(&mut tx, job).await?;
        tx.commit().await.map_err(B::db_error)?;
        Ok(CreateImageOutcome::Created)
    }

    async fn images_by_ids(&self, ids: &[ImageId]) -> Result<Vec<Image>, DbError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<uuid::Uuid> = ids.iter().map(|id| id.0).collect();
        let rows: Vec<ImageRow<B::Id, B::At>> =
            sqlx::query_as(&B::DIALECT.images_where(&B::DIALECT.in_list("i.id", 1), ""))
                .bind(B::id_list(&ids)?)
                .fetch_all(self.driver().pool())
                .await
                .map_err(B::db_error)?;
        images(rows)
    }

    async fn image(&self, id: ImageId) -> Result<Option<Image>, DbError> {
        let mut conn = self.driver().pool().acquire().await.map_err(B::db_error)?;
        Self::fetch_image(&mut conn, id, false).await
    }

    async fn images_by_owner(
        &self,
        owner: UserId,
        request: PageRequest,
    ) -> Result<Page<Image>, DbError> {
        self.owner_page(owner, None, request).await
    }

    async fn images_by_owner_with_tag(
        &self,
        owner: UserId,
        tag: &str,
        request: PageRequest,
    ) -> Result<Page<Image>, DbError> {
        self.owner_page(owner, Some(tag), request).await
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
        // The update and the read of its result in one transaction: the read sees this update and no
        // later one (the row stays locked, or the database's write lock held, until the commit).
        let mut tx = self.driver().begin_write().await.map_err(B::db_error)?;
        let updated = sqlx::query(&B::DIALECT.update_image())
            .bind(B::id(id.0))
            .bind(patch.visibility.map(|v| v.as_str().to_owned()))
            .bind(set_alt)
            .bind(alt)
            .bind(tags)
            .bind(B::at(Utc::now()))
            .execute(&mut *tx)
            .await
            .map_err(B::db_error)?;
        if B::rows_affected(&updated) == 0 {
            return Ok(None);
        }
        let image = Self::fetch_image(&mut tx, id, false).await?;
        tx.commit().await.map_err(B::db_error)?;
        Ok(image)
    }

    async fn complete_processing(
        &self,
        id: ImageId,
        result: &ProcessedImage,
    ) -> Result<bool, DbError> {
        let done = sqlx::query(&B::DIALECT.complete_processing())
            .bind(B::id(id.0))
            .bind(i64::from(result.width))
            .bind(i64::from(result.height))
            .bind(result.blurhash.clone())
            .bind(result.dominant_color.clone())
            .bind(to_json(&result.variants)?)
            .bind(result.public_original_key.clone())
            .bind(B::at(Utc::now()))
            .bind(to_json(&result.auto_tags)?)
            .bind(result.capture.camera_make.clone())
            .bind(result.capture.camera_model.clone())
            .bind(result.capture.taken_at_text())
            .bind(result.public_original_sha256.clone())
            .execute(self.driver().pool())
            .await
            .map_err(B::db_error)?;
        Ok(B::rows_affected(&done) == 1)
    }

    async fn record_original(
        &self,
        id: ImageId,
        bytes: u64,
        sha256: &str,
    ) -> Result<bool, DbError> {
        let done = sqlx::query(&B::DIALECT.record_original())
            .bind(B::id(id.0))
            .bind(signed(bytes, "image")?)
            .bind(sha256.to_owned())
            .bind(B::at(Utc::now()))
            .execute(self.driver().pool())
            .await
            .map_err(B::db_error)?;
        Ok(B::rows_affected(&done) == 1)
    }

    async fn fail_processing(&self, id: ImageId, failure: &Failure) -> Result<bool, DbError> {
        let done = sqlx::query(&B::DIALECT.fail_processing())
            .bind(B::id(id.0))
            .bind(failure.code.clone())
            .bind(failure.message.clone())
            .bind(B::at(Utc::now()))
            .execute(self.driver().pool())
            .await
            .map_err(B::db_error)?;
        Ok(B::rows_affected(&done) == 1)
    }

    async fn delete_image(
        &self,
        id: ImageId,
        at: DateTime<Utc>,
    ) -> Result<Option<Image>, DbError> {
        self.mark_image(id, queries::SOFT_DELETE_IMAGE, at).await
    }

    async fn restore_image(
        &self,
        id: ImageId,
        deleted_since: DateTime<Utc>,
    ) -> Result<Option<Image>, DbError> {
        self.mark_image(id, queries::RESTORE_IMAGE, deleted_since).await
    }

    async fn deleted_images(
        &self,
        deleted_before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<ImageId>, DbError> {
        let rows: Vec<(B::Id,)> = sqlx::query_as(queries::DELETED_IMAGES)
            .bind(B::at(deleted_before))
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(self.driver().pool())
            .await
            .map_err(B::db_error)?;
        rows.into_iter()
            .map(|(id,)| id.into_uuid().map(ImageId))
            .collect()
    }

    async fn purge_image(
        &self,
        id: ImageId,
        deleted_before: DateTime<Utc>,
    ) -> Result<bool, DbError> {
        let done = sqlx::query(queries::PURGE_IMAGE)
            .bind(B::id(id.0))
            .bind(B::at(deleted_before))
            .execute(self.driver().pool())
            .await
            .map_err(B::db_error)?;
        Ok(B::rows_affected(&done) == 1)
    }

    async fn add_variant_files(
        &self,
        id: ImageId,
        files: &[LateVariantFile],
    ) -> Result<bool, DbError> {
        // The read holds the row (or the write lock) until the write: concurrent additions serialise.
        let mut tx = self.driver().begin_write().await.map_err(B::db_error)?;
        let row: Option<(String, String)> = sqlx::query_as(&B::DIALECT.variants_for_update())
            .bind(B::id(id.0))
            .fetch_optional(&mut *tx)
            .await
            .map_err(B::db_error)?;
        let Some((status, variants)) = row else {
            return Ok(false);
        };
        if status != ImageStatus::Ready.as_str() {
            return Ok(false);
        }
        let mut variants: Vec<Variant> = json(&variants)?;
        if merge_variant_files(&mut variants, files) {
            sqlx::query(&B::DIALECT.set_variants())
                .bind(B::id(id.0))
                .bind(to_json(&variants)?)
                .bind(B::at(Utc::now()))
                .execute(&mut *tx)
                .await
                .map_err(B::db_error)?;
            tx.commit().await.map_err(B::db_error)?;
        }
        Ok(true)
    }
});
