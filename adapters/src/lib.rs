//! Darkroom's port implementations. Each backend lives in the module of the port it serves and sits behind a
//! cargo feature, so a build carries only the vendor crates it was asked for:
//!
//! | port     | module               | feature          | backends                         |
//! |----------|----------------------|------------------|----------------------------------|
//! | storage  | `storage`            | `local-storage`  | local filesystem, in-memory      |
//! | database | `database::sqlite`   | `sqlite`         | SQLite file or in-memory         |
//! | queue    | `queue::embedded`    | `embedded-queue` | durable jobs in a SQLite file    |
//! | cache    | `cache`              | `memory-cache`   | moka (in-process)                |
//!
//! Every adapter translates its vendor's errors into the port's error enum itself; nothing vendor-specific
//! crosses into `darkroom-core`.

#[cfg(feature = "memory-cache")]
pub mod cache;
#[cfg(feature = "sqlite")]
pub mod database;
#[cfg(feature = "embedded-queue")]
pub mod queue;
#[cfg(feature = "local-storage")]
pub mod storage;

#[cfg(feature = "memory-cache")]
pub use cache::MokaCache;
#[cfg(feature = "sqlite")]
pub use database::sqlite::SqliteDatabase;
#[cfg(feature = "embedded-queue")]
pub use queue::embedded::EmbeddedQueue;
#[cfg(feature = "local-storage")]
pub use storage::ObjectStoreBlobs;
