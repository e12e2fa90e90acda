//! The four ports. Each is a small dyn-compatible trait used as `Arc<dyn …>`, with a `# Contract` section
//! that every adapter must honour (the contract suites in `tests/` check it), and one backend-neutral error
//! enum. Adapters translate their vendor's errors into these enums themselves.

pub mod cache;
pub mod database;
pub mod queue;
pub mod source;
pub mod storage;

pub use cache::{Cache, CacheError};
pub use database::{
    CreateImageOutcome, Database, DbError, ImageRepository, OutboxRepository, RefreshOutcome,
    SessionRepository, UserRepository,
};
pub use queue::{Delivery, Message, Queue, QueueError, QueueSettings};
pub use source::BoxError;
pub use storage::{BlobKey, BlobMeta, BlobStore, BlobStoreExt, ByteStream, StorageError};
