//! `DARKROOM_DATABASE_URL`: `sqlite://PATH`, `sqlite::memory:`, `postgres://…`, `dynamodb://TABLE?region=…&endpoint=…`.
//! One adapter serves every repository (and the health check); the services each take the ones they use.
//! The user search index lives with the database's backend: a `search.sqlite` file beside the SQLite
//! database, tables of its own in the Postgres schema (`pg_trgm`), items under `SEARCH#` keys in the
//! DynamoDB table. It shares the database's connection pool or client.

use std::sync::Arc;

use anyhow::bail;
use darkroom_core::ports::{Repositories, UserSearch};

#[allow(unused_imports)]
use super::not_built;

/// The database's repositories and the search index beside them.
#[derive(Debug)]
pub struct Database {
    pub repositories: Repositories,
    pub search: Arc<dyn UserSearch>,
}

pub async fn connect(url: &str, migrate: bool) -> anyhow::Result<Database> {
    match super::scheme(url) {
        "sqlite" => sqlite(url, migrate).await,
        "postgres" | "postgresql" => postgres(url, migrate).await,
        "dynamodb" => dynamodb(url, migrate).await,
        other => bail!(
            "unknown database scheme `{other}` (expected sqlite://, postgres:// or dynamodb://)"
        ),
    }
}

#[cfg(feature = "sqlite")]
async fn sqlite(url: &str, migrate: bool) -> anyhow::Result<Database> {
    use darkroom_adapters::database::sqlite::SqliteDatabase;
    use darkroom_adapters::SqliteUserSearch;
    let (db, search) = match url.strip_prefix("sqlite://") {
        Some(path) => {
            let path = std::path::Path::new(path);
            // The index keeps a file of its own, with its own migrations, beside the database.
            let index = path.with_file_name(SqliteUserSearch::FILE_NAME);
            (
                SqliteDatabase::open(path).await?,
                SqliteUserSearch::open(&index).await?,
            )
        }
        None if url == "sqlite::memory:" => (
            SqliteDatabase::in_memory().await?,
            SqliteUserSearch::in_memory().await?,
        ),
        None => bail!("expected sqlite://PATH or sqlite::memory:"),
    };
    if migrate {
        db.migrate().await?;
        search.migrate().await?;
    }
    Ok(Database {
        repositories: Repositories::of(Arc::new(db)),
        search: Arc::new(search),
    })
}

#[cfg(not(feature = "sqlite"))]
async fn sqlite(_url: &str, _migrate: bool) -> anyhow::Result<Database> {
    Err(not_built("a sqlite database", "sqlite"))
}

#[cfg(feature = "postgres")]
async fn postgres(url: &str, migrate: bool) -> anyhow::Result<Database> {
    use darkroom_adapters::database::postgres::PostgresDatabase;
    use darkroom_adapters::PostgresUserSearch;
    let db = PostgresDatabase::from_url(url).await?;
    let search = PostgresUserSearch::new(&db);
    if migrate {
        db.migrate().await?;
        search.migrate().await?;
    }
    Ok(Database {
        repositories: Repositories::of(Arc::new(db)),
        search: Arc::new(search),
    })
}

#[cfg(not(feature = "postgres"))]
async fn postgres(_url: &str, _migrate: bool) -> anyhow::Result<Database> {
    Err(not_built("a postgres database", "postgres"))
}

#[cfg(feature = "dynamodb")]
async fn dynamodb(url: &str, migrate: bool) -> anyhow::Result<Database> {
    use darkroom_adapters::database::dynamodb::DynamoDatabase;
    use darkroom_adapters::DynamoUserSearch;
    let db = DynamoDatabase::from_url(url).await?;
    if migrate {
        db.migrate().await?;
    }
    // The index's items live in the database's table: `migrate` above made everything it needs.
    let search = DynamoUserSearch::new(&db);
    Ok(Database {
        repositories: Repositories::of(Arc::new(db)),
        search: Arc::new(search),
    })
}

#[cfg(not(feature = "dynamodb"))]
async fn dynamodb(_url: &str, _migrate: bool) -> anyhow::Result<Database> {
    Err(not_built("a dynamodb database", "dynamodb"))
}
