//! `DARKROOM_DATABASE_URL`: `sqlite://PATH`, `sqlite::memory:`, `postgres://…`, `dynamodb://TABLE?region=…&endpoint=…`.
//! One adapter serves every repository (and the health check); the services each take the ones they use.

use std::sync::Arc;

use anyhow::bail;
use darkroom_core::ports::Repositories;

#[allow(unused_imports)]
use super::not_built;

pub async fn connect(url: &str, migrate: bool) -> anyhow::Result<Repositories> {
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
async fn sqlite(url: &str, migrate: bool) -> anyhow::Result<Repositories> {
    use darkroom_adapters::database::sqlite::SqliteDatabase;
    let db = match url.strip_prefix("sqlite://") {
        Some(path) => SqliteDatabase::open(std::path::Path::new(path)).await?,
        None if url == "sqlite::memory:" => SqliteDatabase::in_memory().await?,
        None => bail!("expected sqlite://PATH or sqlite::memory:"),
    };
    if migrate {
        db.migrate().await?;
    }
    Ok(Repositories::of(Arc::new(db)))
}

#[cfg(not(feature = "sqlite"))]
async fn sqlite(_url: &str, _migrate: bool) -> anyhow::Result<Repositories> {
    Err(not_built("a sqlite database", "sqlite"))
}

#[cfg(feature = "postgres")]
async fn postgres(url: &str, migrate: bool) -> anyhow::Result<Repositories> {
    use darkroom_adapters::database::postgres::PostgresDatabase;
    let db = PostgresDatabase::from_url(url).await?;
    if migrate {
        db.migrate().await?;
    }
    Ok(Repositories::of(Arc::new(db)))
}

#[cfg(not(feature = "postgres"))]
async fn postgres(_url: &str, _migrate: bool) -> anyhow::Result<Repositories> {
    Err(not_built("a postgres database", "postgres"))
}

#[cfg(feature = "dynamodb")]
async fn dynamodb(url: &str, migrate: bool) -> anyhow::Result<Repositories> {
    use darkroom_adapters::database::dynamodb::DynamoDatabase;
    let db = DynamoDatabase::from_url(url).await?;
    if migrate {
        db.migrate().await?;
    }
    Ok(Repositories::of(Arc::new(db)))
}

#[cfg(not(feature = "dynamodb"))]
async fn dynamodb(_url: &str, _migrate: bool) -> anyhow::Result<Repositories> {
    Err(not_built("a dynamodb database", "dynamodb"))
}
