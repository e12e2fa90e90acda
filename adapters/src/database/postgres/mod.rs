//! The database port on Postgres, for deployments where several replicas share one database. The
//! repositories are the shared SQL ones (`database::sql`); this backend contributes Postgres's native ids
//! and timestamps, its errors, the pool, the schema and its migrations.
//!
//! `schema=NAME` in the URL puts everything this adapter creates and reads in that schema (every pooled
//! connection starts with `search_path` NAME, and `migrate` creates it when missing): several deployments, or
//! every test case, can share one database without seeing each other.

mod errors;
mod url;

use std::time::Duration;

use chrono::{DateTime, Utc};
use darkroom_core::ports::DbError;
use sqlx::migrate::MigrateError;
use sqlx::postgres::{PgConnection, PgPool, PgPoolOptions};
use sqlx::{Connection, Pool, Postgres, Transaction};
use uuid::Uuid;

use self::errors::db_error;
use self::url::PostgresUrl;
use crate::database::context::context;
use crate::database::sql::{Dialect, SqlBackend, SqlDatabase};

/// Connections per replica. Every request holds one for a statement or a short transaction, so a handful
/// serves a busy API; ten replicas of ten stay well under Postgres's default `max_connections` of 100.
const POOL_SIZE: u32 = 10;
/// How long a request waits for a free (or new) connection before the database counts as unavailable.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections idle longer than this are pinged before use (a restart or a NAT may have dropped them); busy
/// ones are not, which saves a round trip per request. sqlx also checks each connection it gets back.
const PING_IF_IDLE_FOR: Duration = Duration::from_secs(30);
/// How long the first connection may take: a wrong or unreachable host must fail the start, not hang it.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Darkroom's metadata in Postgres.
pub type PostgresDatabase = SqlDatabase<PostgresBackend>;

/// The Postgres side of `PostgresDatabase`: its pool, and the schema it works in.
#[derive(Debug, Clone)]
pub struct PostgresBackend {
    pool: PgPool,
    schema: Option<String>,
}

impl SqlBackend for PostgresBackend {
    type Db = Postgres;
    /// `uuid`: Postgres orders them bytewise, as Rust's `Uuid` does, which keyset pagination relies on.
    type Id = Uuid;
    /// `timestamptz`, which keeps exactly the microseconds cursors carry.
    type At = DateTime<Utc>;
    /// A `uuid[]`, for `= ANY($1)`.
    type IdList = Vec<Uuid>;

    const NAME: &'static str = "postgres";
    const DIALECT: Dialect = crate::database::sql::queries::POSTGRES;

    fn id(id: Uuid) -> Uuid {
        id
    }

    fn at(at: DateTime<Utc>) -> DateTime<Utc> {
        at
    }

    fn id_list(ids: &[Uuid]) -> Result<Vec<Uuid>, DbError> {
        Ok(ids.to_vec())
    }

    fn pool(&self) -> &Pool<Postgres> {
        &self.pool
    }

    /// A plain (READ COMMITTED) transaction: the statements lock the rows they read for a later write
    /// (`FOR UPDATE`), and conditional updates re-check their `WHERE` against rows committed meanwhile.
    async fn begin_write(&self) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
        self.pool.begin().await
    }

    fn rows_affected(done: &sqlx::postgres::PgQueryResult) -> u64 {
        done.rows_affected()
    }

    fn db_error(err: sqlx::Error) -> DbError {
        db_error(err)
    }
}

impl PostgresDatabase {
    /// Connects to `postgres://user[:password]@host[:port]/database[?schema=NAME&…]`. Any query parameter
    /// sqlx understands (`sslmode`, `application_name`, `options[statement_timeout]`, …) passes through;
    /// unknown ones are refused. One connection is made at once, so that a wrong address, database or
    /// password fails here, within seconds; the pool opens the rest as they are needed. Call `migrate` next.
    pub async fn from_url(url: &str) -> Result<Self, DbError> {
        let url = PostgresUrl::parse(url)?;
        let unreachable = format!("cannot connect to postgres at {}", url.display());
        match tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect_with(&url.options)).await
        {
            Err(_) => {
                return Err(DbError::unavailable(format!(
                    "{unreachable}: no answer within {CONNECT_TIMEOUT:?}"
                )))
            }
            Ok(Err(e)) => return Err(DbError::Unavailable(context(unreachable, e))),
            Ok(Ok(probe)) => {
                // The probe only proved the address and credentials; the pool makes its own connections.
                let _ = probe.close().await;
            }
        }
        let pool = PgPoolOptions::new()
            .max_connections(POOL_SIZE)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for >= PING_IF_IDLE_FOR {
                        conn.ping().await?;
                    }
                    Ok(true)
                })
            })
            .connect_lazy_with(url.options);
        tracing::debug!(
            schema = url.schema.as_deref().unwrap_or("public"),
            "postgres pool ready"
        );
        Ok(Self::new(PostgresBackend {
            pool,
            schema: url.schema,
        }))
    }

    /// Creates the URL's schema when it is missing, then brings it up to date with the migrations this
    /// adapter owns (`migrations/postgres`). Idempotent, and safe for replicas starting together: sqlx
    /// serialises migrators on an advisory lock.
    pub async fn migrate(&self) -> Result<(), DbError> {
        if let Some(schema) = &self.driver().schema {
            let created = sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\""))
                .execute(self.driver().pool())
                .await;
            match created {
                Ok(_) => {}
                // Two replicas racing on IF NOT EXISTS: the loser is told the schema exists, as it wanted.
                Err(sqlx::Error::Database(e))
                    if matches!(e.code().as_deref(), Some("23505" | "42P06")) => {}
                Err(e) => return Err(db_error(e)),
            }
        }
        sqlx::migrate!("./migrations/postgres")
            .run(self.driver().pool())
            .await
            .map_err(|e| match e {
                MigrateError::Execute(e) => db_error(e),
                other => DbError::Other(context("migration failed", other)),
            })
    }

    /// Drops the URL's schema and everything in it: test fixtures and tenant teardown. Without `schema=`
    /// in the URL it refuses rather than touch `public`.
    pub async fn drop_schema(&self) -> Result<(), DbError> {
        let schema = self
            .driver()
            .schema
            .as_ref()
            .ok_or_else(|| DbError::other("no schema= in the url: refusing to drop public"))?;
        sqlx::query(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
            .execute(self.driver().pool())
            .await
            .map_err(db_error)?;
        Ok(())
    }

    /// The schema this handle works in, when its URL named one.
    pub fn schema(&self) -> Option<&str> {
        self.driver().schema.as_deref()
    }
}
