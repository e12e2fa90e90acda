//! SQLite set-up shared by the embedded database and the embedded queue: how a file or in-memory pool is
//! opened, and which of SQLite's errors mean "not now" rather than "wrong".

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

/// How long a statement waits for another connection's write lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a pool could not be opened: the message names the file, the source is the cause.
#[derive(Debug, thiserror::Error)]
#[error("{what}")]
pub(crate) struct OpenError {
    what: String,
    #[source]
    source: Box<dyn std::error::Error + Send + Sync>,
}

/// Opens (creating when missing, with its directory) the SQLite file at `path`: WAL, so readers run beside
/// the one writer, and `synchronous = FULL`, so a committed write survives a power cut, not only a crash.
pub(crate) async fn open_file(
    path: &Path,
    pool_size: u32,
    foreign_keys: bool,
) -> Result<SqlitePool, OpenError> {
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| OpenError {
            what: format!("cannot create {}", dir.display()),
            source: e.into(),
        })?;
    }
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(foreign_keys)
        .busy_timeout(BUSY_TIMEOUT);
    SqlitePoolOptions::new()
        .max_connections(pool_size)
        .connect_with(options)
        .await
        .map_err(|e| OpenError {
            what: format!("cannot open {}", path.display()),
            source: e.into(),
        })
}

/// A fresh, private database in memory. It lives on exactly one connection that the pool never closes: an
/// in-memory database disappears with its last connection, and one connection needs no shared cache (whose
/// table locks do not honour the busy timeout).
pub(crate) async fn open_memory(foreign_keys: bool) -> Result<SqlitePool, OpenError> {
    let options = SqliteConnectOptions::from_str("sqlite::memory:")
        .map_err(|e| OpenError {
            what: "in-memory options".into(),
            source: e.into(),
        })?
        .foreign_keys(foreign_keys)
        .busy_timeout(BUSY_TIMEOUT);
    SqlitePoolOptions::new()
        .max_connections(1)
        .min_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .connect_with(options)
        .await
        .map_err(|e| OpenError {
            what: "cannot open an in-memory database".into(),
            source: e.into(),
        })
}

/// Whether `err` means the file cannot serve us right now (busy, locked, I/O trouble, disk full, cannot
/// open, or the pool itself), as opposed to a statement or data that is wrong.
pub(crate) fn is_unavailable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Database(e) => {
            // SQLite's extended codes carry the primary code in their low byte.
            let primary = e
                .code()
                .and_then(|code| code.parse::<i32>().ok())
                .map(|code| code & 0xff);
            // BUSY, LOCKED, IOERR, FULL, CANTOPEN.
            matches!(primary, Some(5 | 6 | 10 | 13 | 14))
        }
        _ => crate::sqlx_errors::is_connection_trouble(err),
    }
}
