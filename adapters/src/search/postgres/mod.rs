//! User search on Postgres: two tables beside the database's own (same pool, same schema), with their own
//! migrations table (`migrate.rs`). Prefix paths are range scans of `search_terms` (`COLLATE "C"`); the
//! fuzzy path is `pg_trgm`'s `<%` (word similarity) on a GIN index, with a threshold low enough for the
//! typos the query allows (`read.rs`).
//!
//! `pg_trgm` is created in `public` when the database has it nowhere (it is a trusted extension: the
//! database owner may create it; otherwise an operator runs `CREATE EXTENSION pg_trgm` once). Whichever
//! schema holds it, the adapter finds it, and names it in its statements (`read::CANDIDATES`).

mod migrate;
mod read;
mod write;

use async_trait::async_trait;
use darkroom_core::domain::UserId;
use darkroom_core::ports::{SearchError, UserDocument, UserSearch};
use sqlx::postgres::PgPool;
use tokio::sync::OnceCell;

use super::errors::from_db;
use crate::database::postgres::{PostgresBackend, PostgresDatabase};
use crate::database::sql::SqlBackend;

/// The user search index in the Postgres database (and schema) of a `PostgresDatabase`.
#[derive(Debug, Clone)]
pub struct PostgresUserSearch {
    pool: PgPool,
    schema: Option<String>,
    /// `read::CANDIDATES` with `pg_trgm`'s schema filled in, once it is known.
    candidates: OnceCell<String>,
}

impl PostgresUserSearch {
    /// The index in `database`'s schema, on its pool (no connections of its own). Call `migrate` next.
    pub fn new(database: &PostgresDatabase) -> Self {
        Self {
            pool: database.driver().pool().clone(),
            schema: database.schema().map(str::to_owned),
            candidates: OnceCell::new(),
        }
    }

    /// The index in the database a `postgres://…[?schema=NAME]` URL names (the database adapter's URL), on
    /// a pool of its own: for a composition root that holds the URL rather than the database. Call
    /// `migrate` next.
    pub async fn from_url(url: &str) -> Result<Self, SearchError> {
        let database = PostgresDatabase::from_url(url)
            .await
            .map_err(|e| from_db("connecting the search index", e))?;
        Ok(Self::new(&database))
    }

    /// Creates the schema when missing and `pg_trgm` when the database has it nowhere, then brings the
    /// index's tables up to date with the migrations this adapter owns (`migrations/search_postgres`).
    /// Idempotent, and safe for replicas starting together (an advisory lock serialises them).
    pub async fn migrate(&self) -> Result<(), SearchError> {
        migrate::migrate(&self.pool, self.schema.as_deref())
            .await
            .map_err(|e| sql_error("migrating the search index", e))
    }

    /// The candidates statement, naming the schema `pg_trgm` is in (looked up on first use: an extension
    /// does not move while it has indexes).
    async fn candidates(&self) -> Result<&str, SearchError> {
        let statement = self
            .candidates
            .get_or_try_init(|| async {
                let schema = migrate::trgm_schema(&self.pool)
                    .await
                    .map_err(|e| sql_error("looking up pg_trgm", e))?
                    .ok_or_else(|| {
                        SearchError::other("pg_trgm is not installed: run the search migration")
                    })?;
                Ok::<_, SearchError>(read::CANDIDATES.replace("{trgm}", &schema))
            })
            .await?;
        Ok(statement)
    }
}

#[async_trait]
impl UserSearch for PostgresUserSearch {
    async fn upsert(&self, document: &UserDocument) -> Result<(), SearchError> {
        write::upsert(&self.pool, document)
            .await
            .map_err(|e| sql_error("indexing a user", e))
    }

    async fn remove(&self, id: UserId) -> Result<(), SearchError> {
        // The terms go with the document (ON DELETE CASCADE).
        sqlx::query("DELETE FROM search_documents WHERE id = $1")
            .bind(id.0)
            .execute(&self.pool)
            .await
            .map(|_| ())
            .map_err(|e| sql_error("removing a user from the index", e))
    }

    async fn search(&self, query: &str, limit: u32) -> Result<Vec<UserId>, SearchError> {
        let candidates = self.candidates().await?;
        read::search(&self.pool, candidates, query, limit)
            .await
            .map_err(|e| sql_error("searching users", e))
    }
}

/// A sqlx error on the index, classified as the Postgres database classifies its own.
fn sql_error(doing: &str, err: sqlx::Error) -> SearchError {
    from_db(doing, PostgresBackend::db_error(err))
}
