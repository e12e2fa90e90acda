//! The database port on SQLite: the embedded default, a file in the data directory (or memory, for tests).
//! The repositories are the shared SQL ones (`database::sql`); this backend contributes how SQLite stores
//! ids (text) and timestamps (integer microseconds), its write transactions, its errors, and its
//! migrations. The pool set-up is shared with the embedded queue (`crate::sqlite`).

mod errors;

use std::path::Path;

use chrono::{DateTime, Utc};
use darkroom_core::ports::DbError;
use sqlx::sqlite::SqlitePool;
use sqlx::{Pool, Sqlite, Transaction};
use uuid::Uuid;

use crate::database::sql::{Dialect, SqlBackend, SqlDatabase};

/// WAL lets readers run beside the one writer, so a handful of connections serves reads in parallel; more
/// would only queue on the write lock.
const FILE_POOL_SIZE: u32 = 8;

/// Darkroom's metadata in SQLite.
pub type SqliteDatabase = SqlDatabase<SqliteBackend>;

/// The SQLite side of `SqliteDatabase`: its pool.
#[derive(Debug, Clone)]
pub struct SqliteBackend {
    pool: SqlitePool,
}

impl SqlBackend for SqliteBackend {
    type Db = Sqlite;
    /// UUIDs as lowercase hyphenated text, so text order is UUID order (keyset pagination relies on it).
    type Id = String;
    /// Microseconds since the epoch: exact, and the precision cursors carry.
    type At = i64;
    /// A JSON array, which `json_each` unpacks: one parameter whatever the number of ids, so SQLite's
    /// limit on bound parameters never bites.
    type IdList = String;

    const NAME: &'static str = "sqlite";
    const DIALECT: Dialect = crate::database::sql::queries::SQLITE;

    fn id(id: Uuid) -> String {
        id.to_string()
    }

    fn at(at: DateTime<Utc>) -> i64 {
        at.timestamp_micros()
    }

    fn id_list(ids: &[Uuid]) -> Result<String, DbError> {
        let ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
        serde_json::to_string(&ids).map_err(DbError::other)
    }

    fn pool(&self) -> &Pool<Sqlite> {
        &self.pool
    }

    /// A write transaction that holds the write lock from its first statement. A plain (deferred) `BEGIN`
    /// that reads and then writes fails at once with `SQLITE_BUSY` when another writer committed in
    /// between; `IMMEDIATE` waits for the lock up front, under the busy timeout. Holding the one write
    /// lock is also what makes a read-then-write atomic here, where Postgres locks rows instead.
    async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>, sqlx::Error> {
        self.pool.begin_with("BEGIN IMMEDIATE").await
    }

    fn rows_affected(done: &sqlx::sqlite::SqliteQueryResult) -> u64 {
        done.rows_affected()
    }

    fn db_error(err: sqlx::Error) -> DbError {
        errors::db_error(err)
    }
}

impl SqliteDatabase {
    /// Opens (creating when missing, with its directory) the database file at `path`. Call `migrate` next.
    /// Commits are durable against power cuts (`synchronous = FULL`): an upload or account that was
    /// answered for must not vanish.
    pub async fn open(path: &Path) -> Result<Self, DbError> {
        let pool = crate::sqlite::open_file(path, FILE_POOL_SIZE, true)
            .await
            .map_err(DbError::unavailable)?;
        Ok(Self::new(SqliteBackend { pool }))
    }

    /// A fresh, private database in memory, on one connection the pool never closes.
    pub async fn in_memory() -> Result<Self, DbError> {
        let pool = crate::sqlite::open_memory(true)
            .await
            .map_err(DbError::unavailable)?;
        Ok(Self::new(SqliteBackend { pool }))
    }

    /// Brings the schema up to date with the migrations this adapter owns (`migrations/sqlite`).
    pub async fn migrate(&self) -> Result<(), DbError> {
        sqlx::migrate!("./migrations/sqlite")
            .run(self.driver().pool())
            .await
            .map_err(|e| match e {
                sqlx::migrate::MigrateError::Execute(e) => errors::db_error(e),
                other => DbError::other(other),
            })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use darkroom_core::ports::DatabaseHealth;

    use super::*;

    #[tokio::test]
    async fn a_file_database_survives_reopening() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("nested/darkroom.db");
        let db = SqliteDatabase::open(&path).await.unwrap();
        db.migrate().await.unwrap();
        sqlx::query(
            "INSERT INTO outbox (id, topic, payload, created_at) VALUES ('x', 't', x'00', 1)",
        )
        .execute(db.driver().pool())
        .await
        .unwrap();
        db.driver().pool().close().await;

        let db = SqliteDatabase::open(&path).await.unwrap();
        db.migrate().await.unwrap(); // idempotent
        let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM outbox")
            .fetch_one(db.driver().pool())
            .await
            .unwrap();
        assert_eq!(n, 1);
        let (mode,): (String,) = sqlx::query_as("PRAGMA journal_mode")
            .fetch_one(db.driver().pool())
            .await
            .unwrap();
        assert_eq!(mode, "wal");
        let (fk,): (i64,) = sqlx::query_as("PRAGMA foreign_keys")
            .fetch_one(db.driver().pool())
            .await
            .unwrap();
        assert_eq!(fk, 1);
        db.ping().await.unwrap();
        assert_eq!(db.backend(), "sqlite");
    }
}
