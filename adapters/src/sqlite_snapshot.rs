//! Online snapshots of the embedded SQLite files (the database, the search index, the queue) for
//! `darkroom backup`, taken while the server keeps running.

use std::path::Path;
use std::time::Duration;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, SqliteConnection};

/// As long as the server's own connections wait for a lock (crate::sqlite's busy timeout).
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

async fn connect(path: &Path) -> Result<SqliteConnection, sqlx::Error> {
    SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(false)
        .busy_timeout(BUSY_TIMEOUT)
        .connect()
        .await
}

/// Writes a consistent copy of the SQLite file `src` to `dst` (which must not exist) with `VACUUM INTO`:
/// one read transaction, so writers carry on (WAL) and the copy is the database as of one instant,
/// compacted, with no WAL file beside it.
pub async fn vacuum_into(src: &Path, dst: &Path) -> Result<(), sqlx::Error> {
    let mut conn = connect(src).await?;
    let target = dst.to_str().ok_or_else(|| {
        sqlx::Error::Configuration(format!("{} is not UTF-8", dst.display()).into())
    })?;
    sqlx::query("VACUUM INTO ?1")
        .bind(target)
        .execute(&mut conn)
        .await?;
    conn.close().await
}

/// Holds the write lock of the SQLite file it was taken on (`BEGIN IMMEDIATE`, writing nothing) until
/// released or dropped: its writers wait (up to their busy timeout) while readers, `vacuum_into` among
/// them, go on reading the last committed state.
#[derive(Debug)]
pub struct WriteFreeze {
    conn: SqliteConnection,
}

impl WriteFreeze {
    pub async fn take(path: &Path) -> Result<Self, sqlx::Error> {
        let mut conn = connect(path).await?;
        sqlx::query("BEGIN IMMEDIATE").execute(&mut conn).await?;
        Ok(Self { conn })
    }

    pub async fn release(mut self) -> Result<(), sqlx::Error> {
        sqlx::query("ROLLBACK").execute(&mut self.conn).await?;
        self.conn.close().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_snapshot_holds_what_was_committed_and_a_frozen_file_refuses_writers() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("db.sqlite");
        let pool = crate::sqlite::open_file(&src, 1, false).await.unwrap();
        sqlx::query("CREATE TABLE t (v INTEGER)")
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query("INSERT INTO t VALUES (1), (2)")
            .execute(&pool)
            .await
            .unwrap();

        let freeze = WriteFreeze::take(&src).await.unwrap();
        let copy = dir.path().join("copy.sqlite");
        vacuum_into(&src, &copy).await.unwrap();
        let mut other = SqliteConnectOptions::new()
            .filename(&src)
            .busy_timeout(Duration::from_millis(50))
            .connect()
            .await
            .unwrap();
        assert!(sqlx::query("INSERT INTO t VALUES (3)")
            .execute(&mut other)
            .await
            .is_err());
        freeze.release().await.unwrap();
        sqlx::query("INSERT INTO t VALUES (3)")
            .execute(&mut other)
            .await
            .unwrap();

        let mut snapshot = connect(&copy).await.unwrap();
        let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM t")
            .fetch_one(&mut snapshot)
            .await
            .unwrap();
        assert_eq!(n, 2);
        assert!(
            vacuum_into(&src, &copy).await.is_err(),
            "an existing target is kept"
        );
    }
}
