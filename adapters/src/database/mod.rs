//! Database port adapters. SQLite is the embedded default; Postgres and DynamoDB will sit beside it, each in a
//! folder of its own with one file per repository.

#[cfg(feature = "dynamodb")]
pub mod dynamodb;
#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(feature = "sqlite")]
pub mod sqlite;
