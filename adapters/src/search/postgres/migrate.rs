//! The index's migrations, with a runner of their own: the tables live in the database adapter's schema,
//! where sqlx's one `_sqlx_migrations` table belongs to the database adapter (whose migrator refuses
//! versions it does not know), so these are recorded in `search_migrations` instead.

use sqlx::postgres::PgPool;
use sqlx::{Postgres, Transaction};

/// Oldest first: version, description, SQL. A version, once released, never changes.
const MIGRATIONS: &[(i64, &str, &str)] = &[(
    20260201000001,
    "user search",
    include_str!("../../../migrations/search_postgres/20260201000001_user_search.sql"),
)];

/// One advisory lock for every search migrator of the database, whatever its schema: `pg_trgm` is
/// installed once per database, and two `CREATE EXTENSION IF NOT EXISTS` racing make one fail.
const LOCK_KEY: i64 = 0x6461_726b_7372_6368;

/// Puts the schema `pg_trgm` lives in at the end of the `search_path`, for the rest of the migration's
/// transaction, so the migrations name its operator classes unqualified whichever schema holds it.
const TRGM_ON_SEARCH_PATH: &str = "SELECT set_config('search_path', \
     current_setting('search_path') || coalesce(', ' || (SELECT quote_ident(n.nspname) \
     FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'), ''), \
     true)";

/// Creates `schema` (the database URL's) when missing; then, in one transaction (Postgres's DDL is
/// transactional, so a migration is applied completely, and recorded, or not at all), installs `pg_trgm`
/// in `public` when no schema has it and applies the migrations not yet applied.
pub(super) async fn migrate(pool: &PgPool, schema: Option<&str>) -> Result<(), sqlx::Error> {
    if let Some(schema) = schema {
        create_schema(pool, schema).await?;
    }
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(LOCK_KEY)
        .execute(&mut *tx)
        .await?;
    // In `public`, never in a tenant's schema: dropping that schema would drop the extension, and with it
    // every other schema's trigram indexes.
    sqlx::query("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public")
        .execute(&mut *tx)
        .await?;
    sqlx::query(TRGM_ON_SEARCH_PATH).execute(&mut *tx).await?;
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS search_migrations (version BIGINT PRIMARY KEY, \
         description TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
    )
    .execute(&mut *tx)
    .await?;
    let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM search_migrations")
        .fetch_all(&mut *tx)
        .await?;
    for &(version, description, sql) in MIGRATIONS {
        if !applied.contains(&version) {
            apply(&mut tx, version, description, sql).await?;
        }
    }
    tx.commit().await
}

/// Creates the URL's schema unless it exists: otherwise the tables would land in the next schema of the
/// path. The name was checked when the URL was parsed (lowercase letters, digits, `_`).
async fn create_schema(pool: &PgPool, schema: &str) -> Result<(), sqlx::Error> {
    let created = sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\""))
        .execute(pool)
        .await;
    match created {
        // The database adapter's migrator, or another replica, creating it at the same moment: the loser
        // is told it exists, as it wanted.
        Err(sqlx::Error::Database(e)) if matches!(e.code().as_deref(), Some("23505" | "42P06")) => {
            Ok(())
        }
        other => other.map(|_| ()),
    }
}

async fn apply(
    tx: &mut Transaction<'static, Postgres>,
    version: i64,
    description: &str,
    sql: &str,
) -> Result<(), sqlx::Error> {
    sqlx::raw_sql(sql).execute(&mut **tx).await?;
    sqlx::query("INSERT INTO search_migrations (version, description) VALUES ($1, $2)")
        .bind(version)
        .bind(description)
        .execute(&mut **tx)
        .await?;
    tracing::info!(version, description, "applied search migration");
    Ok(())
}

/// The schema `pg_trgm` lives in, quoted for SQL; `None` when the database does not have it.
pub(super) async fn trgm_schema(pool: &PgPool) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT quote_ident(n.nspname) FROM pg_extension e \
         JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'",
    )
    .fetch_optional(pool)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_only_grow() {
        assert!(MIGRATIONS.windows(2).all(|pair| pair[0].0 < pair[1].0));
        assert!(MIGRATIONS.iter().all(|(_, _, sql)| !sql.trim().is_empty()));
    }
}
