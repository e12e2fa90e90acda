//! Darkroom's port implementations. Each backend lives in the module of the port it serves and sits behind a
//! cargo feature, so a build carries only the vendor crates it was asked for:
//!
//! | port     | module               | feature          | backends                                   |
//! |----------|----------------------|------------------|--------------------------------------------|
//! | storage  | `storage`            | `local-storage`  | local filesystem, in-memory                |
//! | storage  | `storage::s3`        | `s3`             | S3 and S3-compatible stores (MinIO, R2, …) |
//! | database | `database::sqlite`   | `sqlite`         | SQLite file or in-memory                   |
//! | database | `database::postgres` | `postgres`       | Postgres                                   |
//! | database | `database::dynamodb` | `dynamodb`       | DynamoDB, single-table                     |
//! | queue    | `queue::embedded`    | `embedded-queue` | durable jobs in a SQLite file              |
//! | queue    | `queue::nats`        | `nats`           | NATS JetStream                             |
//! | queue    | `queue::rabbitmq`    | `rabbitmq`       | RabbitMQ (quorum queues)                   |
//! | queue    | `queue::sqs`         | `sqs`            | Amazon SQS                                 |
//! | cache    | `cache`              | `memory-cache`   | moka (in-process)                          |
//! | cache    | `cache::redis`       | `redis`          | Redis; moka in front of Redis (two-level)  |
//! | rate limit | `rate_limit`       | `memory-cache`   | in-process GCRA                            |
//! | rate limit | `rate_limit`       | `redis`          | GCRA in a Lua script, shared by replicas   |
//! | search   | `search::sqlite`     | `sqlite`         | its own SQLite file, FTS5 trigrams         |
//! | search   | `search::postgres`   | `postgres`       | the database's schema, `pg_trgm`           |
//! | search   | `search::dynamodb`   | `dynamodb`       | the database's table, `SEARCH#` items      |
//!
//! The SQLite and Postgres repositories are written once, in `database::sql`, over a `SqlBackend` that says
//! only what differs between the two (id and time types, a few dialect words, error codes); `sqlite.rs` is
//! the pool set-up and error classes the SQLite database and the embedded queue share, `aws.rs` the region,
//! endpoint and SDK config DynamoDB and SQS share. Each database adapter owns its migrations
//! (`adapters/migrations/`).
//!
//! Every adapter translates its vendor's errors into the port's error enum itself, keeping the vendor error
//! as the source for the log; nothing vendor-specific crosses into `darkroom-core`.

#[cfg(any(feature = "dynamodb", feature = "sqs", feature = "s3"))]
mod aws;
#[cfg(any(feature = "memory-cache", feature = "redis"))]
pub mod cache;
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "dynamodb"))]
pub mod database;
#[cfg(any(feature = "dynamodb", feature = "sqs", feature = "s3"))]
pub mod iam;
#[cfg(any(
    feature = "embedded-queue",
    feature = "nats",
    feature = "rabbitmq",
    feature = "sqs"
))]
pub mod queue;
#[cfg(any(feature = "memory-cache", feature = "redis"))]
pub mod rate_limit;
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "dynamodb"))]
pub mod search;
#[cfg(any(feature = "sqlite", feature = "embedded-queue"))]
mod sqlite;
#[cfg(any(feature = "sqlite", feature = "embedded-queue"))]
pub mod sqlite_snapshot;
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "embedded-queue"))]
mod sqlx_errors;
#[cfg(any(feature = "local-storage", feature = "s3"))]
pub mod storage;

#[cfg(feature = "memory-cache")]
pub use cache::MokaCache;
#[cfg(feature = "redis")]
pub use cache::RedisCache;
#[cfg(all(feature = "redis", feature = "memory-cache"))]
pub use cache::TwoLevelCache;
#[cfg(feature = "dynamodb")]
pub use database::dynamodb::DynamoDatabase;
#[cfg(feature = "postgres")]
pub use database::postgres::PostgresDatabase;
#[cfg(feature = "sqlite")]
pub use database::sqlite::SqliteDatabase;
#[cfg(feature = "embedded-queue")]
pub use queue::embedded::EmbeddedQueue;
#[cfg(feature = "nats")]
pub use queue::nats::NatsQueue;
#[cfg(feature = "rabbitmq")]
pub use queue::rabbitmq::RabbitQueue;
#[cfg(feature = "sqs")]
pub use queue::sqs::SqsQueue;
#[cfg(feature = "dynamodb")]
pub use search::DynamoUserSearch;
#[cfg(feature = "postgres")]
pub use search::PostgresUserSearch;
#[cfg(feature = "sqlite")]
pub use search::SqliteUserSearch;
#[cfg(any(feature = "local-storage", feature = "s3"))]
pub use storage::ObjectStoreBlobs;
