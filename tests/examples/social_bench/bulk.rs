//! Bulk seeding behind the adapter: a pool of our own on the same database, writing thousands of rows per
//! statement. Only the rows a real deployment would already hold (accounts, the follow graph, old posts
//! and their images) are written this way, because making a million of them one port call at a time would
//! take hours; what a benchmark measures (fan-out, timelines) is always made by the product's code.
//!
//! Values are written as SQL literals both backends read the same way (ids and JSON as quoted text,
//! which Postgres coerces to the column's type; booleans as TRUE/FALSE), so one writer serves both.
//! Only timestamps differ: SQLite keeps integer microseconds, Postgres `timestamptz`.

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use sqlx::Row;
use uuid::Uuid;

/// Rows per INSERT, and INSERTs per transaction.
const ROWS_PER_STATEMENT: usize = 1_000;
const STATEMENTS_PER_TRANSACTION: usize = 10;

#[derive(Debug, Clone)]
pub enum Raw {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Raw {
    /// A pool on the database at `url` (the adapter's URL forms: `sqlite://PATH`, or
    /// `postgres://…[?schema=NAME]`).
    pub async fn open(url: &str) -> anyhow::Result<Self> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            let options = SqliteConnectOptions::new()
                .filename(path)
                .journal_mode(SqliteJournalMode::Wal)
                // The follow graph's foreign keys are checked as the adapter checks them.
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(60));
            let pool = SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(options)
                .await?;
            return Ok(Self::Sqlite(pool));
        }
        let (base, schema) = split_schema(url);
        let mut options = PgConnectOptions::from_str(&base).context("postgres url")?;
        if let Some(schema) = schema {
            options = options.options([("search_path", schema.as_str())]);
        }
        // Seeding only: a crash loses the seed, which is rerun.
        options = options.options([("synchronous_commit", "off")]);
        let pool = PgPoolOptions::new()
            .max_connections(2)
            .connect_with(options)
            .await?;
        Ok(Self::Postgres(pool))
    }

    pub async fn exec(&self, sql: &str) -> anyhow::Result<u64> {
        Ok(match self {
            Self::Sqlite(pool) => sqlx::raw_sql(sql).execute(pool).await?.rows_affected(),
            Self::Postgres(pool) => sqlx::raw_sql(sql).execute(pool).await?.rows_affected(),
        })
    }

    /// The first column of the one row `sql` answers, as a number.
    pub async fn number(&self, sql: &str) -> anyhow::Result<i64> {
        Ok(match self {
            Self::Sqlite(pool) => sqlx::query(sql).fetch_one(pool).await?.try_get(0)?,
            Self::Postgres(pool) => sqlx::query(sql).fetch_one(pool).await?.try_get(0)?,
        })
    }

    /// The first column of the one row `sql` answers, as text.
    pub async fn text(&self, sql: &str) -> anyhow::Result<String> {
        Ok(match self {
            Self::Sqlite(pool) => sqlx::query(sql).fetch_one(pool).await?.try_get(0)?,
            Self::Postgres(pool) => sqlx::query(sql).fetch_one(pool).await?.try_get(0)?,
        })
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Self::Postgres(_))
    }

    pub fn at(&self, at: DateTime<Utc>) -> String {
        match self {
            Self::Sqlite(_) => at.timestamp_micros().to_string(),
            Self::Postgres(_) => quote(&at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)),
        }
    }

    /// Inserts `rows` (each a parenthesised tuple of literals) into `table (columns)`.
    pub async fn insert(
        &self,
        table: &str,
        columns: &str,
        rows: impl IntoIterator<Item = String>,
    ) -> anyhow::Result<u64> {
        let mut batch = String::new();
        let mut statements = 0;
        let mut in_statement = 0;
        let mut written = 0;
        for row in rows {
            if in_statement == 0 {
                batch.push_str(&format!("INSERT INTO {table} ({columns}) VALUES "));
            } else {
                batch.push(',');
            }
            batch.push_str(&row);
            in_statement += 1;
            written += 1;
            if in_statement == ROWS_PER_STATEMENT {
                batch.push_str(";\n");
                in_statement = 0;
                statements += 1;
                if statements == STATEMENTS_PER_TRANSACTION {
                    self.commit(&batch).await?;
                    batch.clear();
                    statements = 0;
                }
            }
        }
        if in_statement > 0 {
            batch.push_str(";\n");
        }
        if !batch.is_empty() {
            self.commit(&batch).await?;
        }
        Ok(written)
    }

    async fn commit(&self, statements: &str) -> anyhow::Result<()> {
        self.exec(&format!("BEGIN;\n{statements}COMMIT;"))
            .await
            .map(|_| ())
    }

    /// Refreshes the planner's statistics after a bulk load, as Postgres' autovacuum would soon do by
    /// itself. SQLite is left as the adapter leaves it (it never runs ANALYZE).
    pub async fn analyze(&self) -> anyhow::Result<()> {
        if self.is_postgres() {
            self.exec("ANALYZE").await?;
        }
        Ok(())
    }
}

/// `'text'`, with quotes doubled.
pub fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

pub fn id(id: Uuid) -> String {
    quote(&id.to_string())
}

/// `TRUE` or `FALSE` (SQLite reads them as 1 and 0).
pub fn boolean(value: bool) -> &'static str {
    if value {
        "TRUE"
    } else {
        "FALSE"
    }
}

/// The URL without our `schema=` parameter, and the schema.
pub fn split_schema(url: &str) -> (String, Option<String>) {
    let Some((base, query)) = url.split_once('?') else {
        return (url.to_owned(), None);
    };
    let mut schema = None;
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| match pair.strip_prefix("schema=") {
            Some(name) => {
                schema = Some(name.to_owned());
                false
            }
            None => true,
        })
        .collect();
    let base = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    (base, schema)
}
