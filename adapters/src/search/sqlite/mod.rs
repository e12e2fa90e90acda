//! User search on SQLite, the embedded default: its own file (`search.sqlite` beside `darkroom.sqlite`), so
//! it has its own migrations (`migrations/search_sqlite`, with their own `_sqlx_migrations` table: sqlx keeps
//! one per database, and the main database's migrator would refuse versions it does not know) and cannot
//! see the users table at all. Prefix paths are range scans of `search_terms`; the fuzzy path is an FTS5
//! table with the `trigram` tokenizer.

mod read;
mod write;

use std::path::Path;

use async_trait::async_trait;
use darkroom_core::domain::UserId;
use darkroom_core::ports::{SearchError, UserDocument, UserSearch};
use sqlx::migrate::MigrateError;
use sqlx::sqlite::SqlitePool;

use super::errors::from_db;
use crate::database::sql::SqlBackend;
use crate::database::sqlite::SqliteBackend;

/// Searches are reads that WAL serves beside the one writer; a few connections are plenty.
const FILE_POOL_SIZE: u32 = 4;

/// The user search index in a SQLite file (or in memory).
#[derive(Debug, Clone)]
pub struct SqliteUserSearch {
    pool: SqlitePool,
}

impl SqliteUserSearch {
    /// The file name the composition root puts in the data directory, beside the main database.
    pub const FILE_NAME: &'static str = "search.sqlite";

    /// Opens (creating when missing, with its directory) the index file at `path`, durable like the main
    /// database (WAL, `synchronous = FULL`). Call `migrate` next.
    pub async fn open(path: &Path) -> Result<Self, SearchError> {
        let pool = crate::sqlite::open_file(path, FILE_POOL_SIZE, true)
            .await
            .map_err(|e| SearchError::unavailable_from("cannot open the search index", e))?;
        Ok(Self { pool })
    }

    /// A fresh, private index in memory, on one connection the pool never closes.
    pub async fn in_memory() -> Result<Self, SearchError> {
        let pool = crate::sqlite::open_memory(true)
            .await
            .map_err(|e| SearchError::unavailable_from("cannot open the search index", e))?;
        Ok(Self { pool })
    }

    /// Brings the index's tables up to date with the migrations this adapter owns
    /// (`migrations/search_sqlite`). Idempotent.
    pub async fn migrate(&self) -> Result<(), SearchError> {
        sqlx::migrate!("./migrations/search_sqlite")
            .run(&self.pool)
            .await
            .map_err(|e| match e {
                MigrateError::Execute(e) => sql_error("migrating the search index", e),
                other => SearchError::other_from("migrating the search index", other),
            })
    }
}

#[async_trait]
impl UserSearch for SqliteUserSearch {
    async fn upsert(&self, document: &UserDocument) -> Result<(), SearchError> {
        write::upsert(&self.pool, document)
            .await
            .map_err(|e| sql_error("indexing a user", e))
    }

    async fn remove(&self, id: UserId) -> Result<(), SearchError> {
        write::remove(&self.pool, id)
            .await
            .map_err(|e| sql_error("removing a user from the index", e))
    }

    async fn search(&self, query: &str, limit: u32) -> Result<Vec<UserId>, SearchError> {
        read::search(&self.pool, query, limit).await
    }
}

/// A sqlx error on the index, classified as the main SQLite database classifies its own.
fn sql_error(doing: &str, err: sqlx::Error) -> SearchError {
    from_db(doing, SqliteBackend::db_error(err))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use chrono::Utc;

    use super::*;
    use crate::SqliteDatabase;

    async fn tables(pool: &SqlitePool) -> Vec<String> {
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .fetch_all(pool)
            .await
            .unwrap()
    }

    /// Search never reads the users table: the index is a file of its own, in which there is none to read,
    /// and the database's file knows nothing of the index.
    #[tokio::test]
    async fn the_index_is_a_file_of_its_own_without_a_users_table() {
        let dir = tempfile::tempdir().unwrap();
        let db = SqliteDatabase::open(&dir.path().join("darkroom.sqlite"))
            .await
            .unwrap();
        db.migrate().await.unwrap();
        let path = dir.path().join(SqliteUserSearch::FILE_NAME);
        let search = SqliteUserSearch::open(&path).await.unwrap();
        search.migrate().await.unwrap();
        search.migrate().await.unwrap(); // idempotent

        let ada = UserDocument {
            id: UserId::new(),
            username: "ada".into(),
            display_name: None,
            first_name: Some("Ada".into()),
            last_name: Some("Lovelace".into()),
            updated_at: Utc::now(),
        };
        search.upsert(&ada).await.unwrap();
        assert_eq!(search.search("lovelace", 10).await.unwrap(), [ada.id]);

        let index_tables = tables(&search.pool).await;
        assert!(
            !index_tables.iter().any(|t| t == "users"),
            "{index_tables:?}"
        );
        assert!(
            index_tables
                .iter()
                .all(|t| t.starts_with("search_") || t == "_sqlx_migrations"),
            "{index_tables:?}"
        );
        let db_tables = tables(db.driver().pool()).await;
        assert!(db_tables.iter().any(|t| t == "users"));
        assert!(!db_tables.iter().any(|t| t.starts_with("search_")));

        // Reopened, the file still holds the index.
        search.pool.close().await;
        let reopened = SqliteUserSearch::open(&path).await.unwrap();
        reopened.migrate().await.unwrap();
        assert_eq!(reopened.search("ada", 10).await.unwrap(), [ada.id]);
    }
}
