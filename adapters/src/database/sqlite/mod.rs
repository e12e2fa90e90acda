//! The database port on SQLite: the embedded default, a file in the data directory (or memory, for tests).
//! One file per repository; this one connects, migrates and maps errors.

mod images;
mod outbox;
mod rows;
mod sessions;
mod users;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use darkroom_core::ports::{Database, DbError};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};

/// How long a statement waits for another connection's write lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// WAL lets readers run beside the one writer, so a handful of connections serves reads in parallel; more
/// would only queue on the write lock.
const FILE_POOL_SIZE: u32 = 8;

/// Darkroom's metadata in SQLite.
#[derive(Debug, Clone)]
pub struct SqliteDatabase {
    pool: SqlitePool,
}

impl SqliteDatabase {
    /// Opens (creating when missing, with its directory) the database file at `path`. Call `migrate` next.
    pub async fn open(path: &Path) -> Result<Self, DbError> {
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                DbError::Unavailable(format!("cannot create {}: {e}", dir.display()))
            })?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // A committed upload or account must survive a power cut, not only a crash of the process.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let pool = SqlitePoolOptions::new()
            .max_connections(FILE_POOL_SIZE)
            .connect_with(options)
            .await
            .map_err(|e| DbError::Unavailable(format!("cannot open {}: {e}", path.display())))?;
        Ok(Self { pool })
    }

    /// A fresh, private database in memory. It lives on exactly one connection that the pool never closes:
    /// an in-memory database disappears with its last connection, and one connection needs no shared cache
    /// (whose table locks do not honour the busy timeout).
    pub async fn in_memory() -> Result<Self, DbError> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")
            .map_err(|e| DbError::Other(format!("in-memory options: {e}")))?
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await
            .map_err(|e| DbError::Unavailable(format!("cannot open in-memory database: {e}")))?;
        Ok(Self { pool })
    }

    /// Brings the schema up to date with the migrations this adapter owns (`migrations/sqlite`).
    pub async fn migrate(&self) -> Result<(), DbError> {
        sqlx::migrate!("./migrations/sqlite")
            .run(&self.pool)
            .await
            .map_err(|e| DbError::Other(format!("migration failed: {e}")))
    }

    /// A write transaction that holds the write lock from its first statement. A plain (deferred) `BEGIN`
    /// that reads and then writes fails at once with `SQLITE_BUSY` when another writer committed in
    /// between; `IMMEDIATE` waits for the lock up front, under the busy timeout.
    async fn write(&self) -> Result<Transaction<'static, Sqlite>, DbError> {
        self.pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db_error)
    }
}

#[async_trait]
impl Database for SqliteDatabase {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn ping(&self) -> Result<(), DbError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
            .map_err(db_error)
    }
}

/// Maps a sqlx error to the port's. Unique violations name the rule they broke: the column for `users`
/// (`username`, `email`, as the contract asks), `table.column` elsewhere.
pub(crate) fn db_error(err: sqlx::Error) -> DbError {
    match &err {
        sqlx::Error::Database(e) if e.is_unique_violation() => {
            DbError::AlreadyExists(violated_rule(e.message()))
        }
        sqlx::Error::Database(e) => {
            // SQLite's extended codes carry the primary code in their low byte.
            let primary = e
                .code()
                .and_then(|code| code.parse::<i32>().ok())
                .map(|code| code & 0xff);
            match primary {
                // BUSY, LOCKED, IOERR, FULL, CANTOPEN: the database cannot serve us right now.
                Some(5 | 6 | 10 | 13 | 14) => {
                    DbError::Unavailable(format!("sqlite: {}", e.message()))
                }
                _ => DbError::Other(format!("sqlite: {}", e.message())),
            }
        }
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::WorkerCrashed => DbError::Unavailable(err.to_string()),
        _ => DbError::Other(err.to_string()),
    }
}

/// "UNIQUE constraint failed: images.owner_id, images.idempotency_key" → "images.idempotency_key".
fn violated_rule(message: &str) -> String {
    let columns = message
        .rsplit_once(": ")
        .map_or(message, |(_, columns)| columns);
    let last = columns.rsplit(", ").next().unwrap_or(columns).trim();
    match last.split_once('.') {
        Some(("users", column)) => column.to_owned(),
        _ => last.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn unique_violations_name_their_rule() {
        assert_eq!(
            violated_rule("UNIQUE constraint failed: users.username"),
            "username"
        );
        assert_eq!(
            violated_rule("UNIQUE constraint failed: users.email"),
            "email"
        );
        assert_eq!(
            violated_rule("UNIQUE constraint failed: images.owner_id, images.idempotency_key"),
            "images.idempotency_key"
        );
        assert_eq!(
            violated_rule("UNIQUE constraint failed: outbox.id"),
            "outbox.id"
        );
    }

    #[tokio::test]
    async fn a_file_database_survives_reopening() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("nested/darkroom.db");
        let db = SqliteDatabase::open(&path).await.unwrap();
        db.migrate().await.unwrap();
        sqlx::query(
            "INSERT INTO outbox (id, topic, payload, created_at) VALUES ('x', 't', x'00', 1)",
        )
        .execute(&db.pool)
        .await
        .unwrap();
        db.pool.close().await;

        let db = SqliteDatabase::open(&path).await.unwrap();
        db.migrate().await.unwrap(); // idempotent
        let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM outbox")
            .fetch_one(&db.pool)
            .await
            .unwrap();
        assert_eq!(n, 1);
        let (mode,): (String,) = sqlx::query_as("PRAGMA journal_mode")
            .fetch_one(&db.pool)
            .await
            .unwrap();
        assert_eq!(mode, "wal");
        let (fk,): (i64,) = sqlx::query_as("PRAGMA foreign_keys")
            .fetch_one(&db.pool)
            .await
            .unwrap();
        assert_eq!(fk, 1);
        db.ping().await.unwrap();
        assert_eq!(db.backend(), "sqlite");
    }
}
