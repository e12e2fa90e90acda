//! `TimelineRepository` for every SQL backend: `timelines` says whose timeline is stored (and whether
//! completely), `timeline_entries` holds them, keyed by (owner, created_at, post) so that a page is one
//! range of the key and a redelivered write conflicts and is skipped.
//!
//! The fan-out's writes are set-based: one statement adds a post to every listed owner whose timeline
//! exists, and a back-fill or build writes all its entries in one statement, from one JSON parameter.

use darkroom_core::domain::{Cursor, PageRequest, PostId, TimelineEntry, UserId};
use darkroom_core::ports::{DbError, StoredTimelinePage, TimelineRepository};

use super::backend::for_every_sql_backend;
use super::convert::to_json;
use super::social_rows::{timeline_rows, EntryJson, TimelineRow};
use super::{after_cursor, fetch_for, page};

const UPSERT_TIMELINE: &str = "INSERT INTO timelines (owner_id, complete) VALUES ($1, $2) \
     ON CONFLICT (owner_id) DO UPDATE SET complete = excluded.complete";

const DELETE_ENTRIES: &str = "DELETE FROM timeline_entries WHERE owner_id = $1";

const DELETE_TIMELINE: &str = "DELETE FROM timelines WHERE owner_id = $1";

const REMOVE_POST: &str = "DELETE FROM timeline_entries WHERE post_id = $1";

/// Scans one owner's entries (at most the cap) for the author's.
const REMOVE_AUTHOR: &str = "DELETE FROM timeline_entries WHERE owner_id = $1 AND author_id = $2";

/// Deletes the entries of `$1` from the (`$2` + 1)-th newest on; none when there are no more than `$2`.
const TRIM: &str = "DELETE FROM timeline_entries WHERE owner_id = $1 AND (created_at, post_id) <= \
     (SELECT created_at, post_id FROM timeline_entries WHERE owner_id = $1 \
      ORDER BY created_at DESC, post_id DESC LIMIT 1 OFFSET $2)";

const MARK_INCOMPLETE: &str = "UPDATE timelines SET complete = false WHERE owner_id = $1";

/// The entries in parameter `$2` (see `Dialect::entries_from_json`) into `$1`'s timeline, each at most
/// once; only when that timeline exists if `only_existing`.
fn insert_entries(entries: &str, only_existing: bool) -> String {
    let condition = if only_existing {
        "EXISTS (SELECT 1 FROM timelines WHERE owner_id = $1)"
    } else {
        // SQLite needs a WHERE to tell an upsert's ON from a join's.
        "TRUE"
    };
    format!(
        "INSERT INTO timeline_entries (owner_id, created_at, post_id, author_id) \
         SELECT $1, e.created_at, e.post_id, e.author_id FROM ({entries}) e WHERE {condition} \
         ON CONFLICT DO NOTHING"
    )
}

fn entries_json(entries: &[TimelineEntry]) -> Result<String, DbError> {
    to_json(&entries.iter().map(EntryJson::from).collect::<Vec<_>>())
}

for_every_sql_backend!(impl {
    /// Writes `entries` into `owner`'s timeline on `conn` and answers how many were new.
    async fn insert_entries(
        conn: &mut <B::Db as sqlx::Database>::Connection,
        owner: UserId,
        entries: &[TimelineEntry],
        only_existing: bool,
    ) -> Result<u64, DbError> {
        if entries.is_empty() {
            return Ok(0);
        }
        let sql = insert_entries(&B::DIALECT.entries_from_json(2), only_existing);
        let done = sqlx::query(&sql)
            .bind(B::id(owner.0))
            .bind(entries_json(entries)?)
            .execute(conn)
            .await
            .map_err(B::db_error)?;
        Ok(B::rows_affected(&done))
    }

    /// Runs `sql` with `owner` as `$1` (and `other`, when given, as `$2`) and answers the rows it changed.
    async fn delete_where(&self, sql: &str, owner: uuid::Uuid, other: Option<uuid::Uuid>) -> Result<u64, DbError> {
        let mut query = sqlx::query(sql).bind(B::id(owner));
        if let Some(other) = other {
            query = query.bind(B::id(other));
        }
        let done = query.execute(self.driver().pool()).await.map_err(B::db_error)?;
        Ok(B::rows_affected(&done))
    }
});

for_every_sql_backend!(impl TimelineRepository {
    async fn add_to_timelines(
        &self,
        owners: &[UserId],
        entry: &TimelineEntry,
    ) -> Result<u64, DbError> {
        if owners.is_empty() {
            return Ok(0);
        }
        let owners: Vec<uuid::Uuid> = owners.iter().map(|id| id.0).collect();
        // One statement for the whole batch: the owners whose timeline exists, by its key.
        let sql = format!(
            "INSERT INTO timeline_entries (owner_id, created_at, post_id, author_id) \
             SELECT t.owner_id, $2, $3, $4 FROM timelines t WHERE {} \
             ON CONFLICT DO NOTHING",
            B::DIALECT.in_list("t.owner_id", 1)
        );
        let done = sqlx::query(&sql)
            .bind(B::id_list(&owners)?)
            .bind(B::at(entry.created_at))
            .bind(B::id(entry.post_id.0))
            .bind(B::id(entry.author_id.0))
            .execute(self.driver().pool())
            .await
            .map_err(B::db_error)?;
        Ok(B::rows_affected(&done))
    }

    async fn add_entries(&self, owner: UserId, entries: &[TimelineEntry]) -> Result<u64, DbError> {
        let mut conn = self.driver().pool().acquire().await.map_err(B::db_error)?;
        Self::insert_entries(&mut conn, owner, entries, true).await
    }

    async fn remove_post(&self, post: PostId) -> Result<u64, DbError> {
        self.delete_where(REMOVE_POST, post.0, None).await
    }

    async fn remove_author(&self, owner: UserId, author: UserId) -> Result<u64, DbError> {
        self.delete_where(REMOVE_AUTHOR, owner.0, Some(author.0)).await
    }

    async fn timeline(
        &self,
        owner: UserId,
        request: PageRequest,
    ) -> Result<Option<StoredTimelinePage>, DbError> {
        // One statement for the timeline's flag and its page: no rows at all means no timeline; a
        // timeline without entries on this page is one row of nulls.
        let after = after_cursor(request.after.is_some(), "created_at, post_id", "<", 3);
        let sql = format!(
            "SELECT t.complete, e.post_id, e.author_id, e.created_at FROM timelines t \
             LEFT JOIN (SELECT post_id, author_id, created_at FROM timeline_entries \
                        WHERE owner_id = $1{after} \
                        ORDER BY created_at DESC, post_id DESC LIMIT $2) e ON TRUE \
             WHERE t.owner_id = $1 ORDER BY e.created_at DESC, e.post_id DESC"
        );
        let mut query = sqlx::query_as(&sql)
            .bind(B::id(owner.0))
            .bind(fetch_for(request.limit));
        if let Some(after) = request.after {
            query = query.bind(B::at(after.created_at)).bind(B::id(after.id));
        }
        let rows: Vec<TimelineRow<B::Id, B::At>> = query
            .fetch_all(self.driver().pool())
            .await
            .map_err(B::db_error)?;
        Ok(timeline_rows(rows)?.map(|(entries, complete)| StoredTimelinePage {
            page: page(entries, request.limit, |entry| Cursor {
                created_at: entry.created_at,
                id: entry.post_id.0,
            }),
            complete,
        }))
    }

    async fn build_timeline(
        &self,
        owner: UserId,
        entries: &[TimelineEntry],
        complete: bool,
    ) -> Result<(), DbError> {
        let mut tx = self.driver().begin_write().await.map_err(B::db_error)?;
        sqlx::query(UPSERT_TIMELINE)
            .bind(B::id(owner.0))
            .bind(complete)
            .execute(&mut *tx)
            .await
            .map_err(B::db_error)?;
        sqlx::query(DELETE_ENTRIES)
            .bind(B::id(owner.0))
            .execute(&mut *tx)
            .await
            .map_err(B::db_error)?;
        // The fan-out may add one of these meanwhile: a conflict skips it rather than failing the build.
        Self::insert_entries(&mut tx, owner, entries, false).await?;
        tx.commit().await.map_err(B::db_error)
    }

    async fn trim_timeline(&self, owner: UserId, cap: u32) -> Result<u64, DbError> {
        let mut tx = self.driver().begin_write().await.map_err(B::db_error)?;
        let trimmed = sqlx::query(TRIM)
            .bind(B::id(owner.0))
            .bind(i64::from(cap))
            .execute(&mut *tx)
            .await
            .map_err(B::db_error)?;
        let trimmed = B::rows_affected(&trimmed);
        if trimmed > 0 {
            sqlx::query(MARK_INCOMPLETE)
                .bind(B::id(owner.0))
                .execute(&mut *tx)
                .await
                .map_err(B::db_error)?;
        }
        tx.commit().await.map_err(B::db_error)?;
        Ok(trimmed)
    }

    async fn drop_timeline(&self, owner: UserId) -> Result<(), DbError> {
        // The timeline first: from its commit on, the fan-out skips this owner. Entries a concurrent
        // fan-out adds after the delete below are never read (there is no timeline), and a build deletes
        // them before writing its own.
        let mut tx = self.driver().begin_write().await.map_err(B::db_error)?;
        for sql in [DELETE_TIMELINE, DELETE_ENTRIES] {
            sqlx::query(sql)
                .bind(B::id(owner.0))
                .execute(&mut *tx)
                .await
                .map_err(B::db_error)?;
        }
        tx.commit().await.map_err(B::db_error)
    }
});
