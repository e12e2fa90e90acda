//! The database port on Postgres, for deployments where several replicas share one database. One file per
//! repository; this one connects, migrates and owns the pool.
//!
//! `schema=NAME` in the URL puts everything this adapter creates and reads in that schema (every pooled
//! connection starts with `search_path` NAME, and `migrate` creates it when missing): several deployments, or
//! every test case, can share one database without seeing each other.

mod errors;
mod images;
mod outbox;
mod rows;
mod sessions;
mod url;
mod users;

use std::time::Duration;

use async_trait::async_trait;
use darkroom_core::ports::{Database, DbError};
use sqlx::migrate::MigrateError;
use sqlx::postgres::{PgConnection, PgPool, PgPoolOptions};
use sqlx::{Connection, Postgres, Transaction};

use self::errors::db_error;
use self::url::PostgresUrl;

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
#[derive(Debug, Clone)]
pub struct PostgresDatabase {
    pool: PgPool,
    schema: Option<String>,
}

impl PostgresDatabase {
    /// Connects to `postgres://user[:password]@host[:port]/database[?schema=NAME&…]`. Any query parameter
    /// sqlx understands (`sslmode`, `application_name`, `options[statement_timeout]`, …) passes through;
    /// unknown ones are refused. One connection is made at once, so that a wrong address, database or
    /// password fails here, within seconds; the pool opens the rest as they are needed. Call `migrate` next.
    pub async fn from_url(url: &str) -> Result<Self, DbError> {
        let url = PostgresUrl::parse(url)?;
        let unreachable = |why: String| {
            DbError::Unavailable(format!(
                "cannot connect to postgres at {}: {why}",
                url.display()
            ))
        };
        match tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect_with(&url.options)).await
        {
            Err(_) => return Err(unreachable(format!("no answer within {CONNECT_TIMEOUT:?}"))),
            Ok(Err(e)) => return Err(unreachable(e.to_string())),
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
        Ok(Self {
            pool,
            schema: url.schema,
        })
    }

    /// Creates the URL's schema when it is missing, then brings it up to date with the migrations this
    /// adapter owns (`migrations/postgres`). Idempotent, and safe for replicas starting together: sqlx
    /// serialises migrators on an advisory lock.
    pub async fn migrate(&self) -> Result<(), DbError> {
        if let Some(schema) = &self.schema {
            let created = sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\""))
                .execute(&self.pool)
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
            .run(&self.pool)
            .await
            .map_err(|e| match e {
                MigrateError::Execute(e) => db_error(e),
                other => DbError::Other(format!("migration failed: {other}")),
            })
    }

    /// Drops the URL's schema and everything in it: test fixtures and tenant teardown. Without `schema=`
    /// in the URL it refuses rather than touch `public`.
    pub async fn drop_schema(&self) -> Result<(), DbError> {
        let schema = self.schema.as_ref().ok_or_else(|| {
            DbError::Other("no schema= in the url: refusing to drop public".into())
        })?;
        sqlx::query(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    /// The schema this handle works in, when its URL named one.
    pub fn schema(&self) -> Option<&str> {
        self.schema.as_deref()
    }

    async fn begin(&self) -> Result<Transaction<'static, Postgres>, DbError> {
        self.pool.begin().await.map_err(db_error)
    }
}

#[async_trait]
impl Database for PostgresDatabase {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn ping(&self) -> Result<(), DbError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
            .map_err(db_error)
    }
}
