//! Database port adapters: SQLite (the embedded default), Postgres and DynamoDB, each in a folder of its own.
//! DynamoDB has one file per repository; the two SQL adapters share theirs (`sql`, one file per repository),
//! each adding only what differs (a `SqlBackend`).

#[cfg(feature = "dynamodb")]
pub mod dynamodb;
#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub mod sql;
#[cfg(feature = "sqlite")]
pub mod sqlite;

#[cfg(any(feature = "postgres", feature = "dynamodb"))]
mod context;
