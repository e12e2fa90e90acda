//! Database port adapters. SQLite is the embedded default; Postgres and DynamoDB will sit beside it, each in a
//! folder of its own with one file per repository.

pub mod sqlite;
