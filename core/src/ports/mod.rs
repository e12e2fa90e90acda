//! The ports (the database one a set of repository traits). Each is a small dyn-compatible trait used as `Arc<dyn …>`, with a `# Contract` section
//! that every adapter must honour (the contract suites in `tests/` check it), and one backend-neutral error
//! enum. Adapters translate their vendor's errors into these enums themselves.

pub mod cache;
pub mod database;
pub mod multipart;
pub mod pipeline;
pub mod queue;
pub mod queue_depth;
pub mod rate_limit;
pub mod search;
pub mod source;
pub mod storage;
pub mod storage_classes;
pub mod sweep;

pub use cache::{Cache, CacheError, FILL_GUARD};
pub use database::{
    lease_end, CommentRepository, Conflict, CreateImageOutcome, DatabaseHealth, DbError,
    FollowOutcome, FollowRepository, ImageRepository, LeaseRepository, LikeRepository, LiveSession,
    NotificationRepository, OriginalTierRepository, OutboxBacklog, OutboxRepository,
    PostRepository, RefreshOutcome, Repositories, SecondFactorRepository, SessionRepository,
    StoredTimelinePage, StoredTotp, TimelineRepository, UploadRepository, UserRepository,
};
pub use multipart::{MultipartStore, PartReceipt};
pub use pipeline::ImagePipeline;
pub use queue::{Delivery, Message, Queue, QueueError, QueueSettings};
pub use queue_depth::{QueueDepth, TopicDepth};
pub use rate_limit::{Decision, Quota, RateLimitError, RateLimiter};
pub use search::{SearchError, UserDocument, UserSearch};
pub use source::BoxError;
pub use storage::{BlobKey, BlobMeta, BlobStore, BlobStoreExt, ByteStream, StorageError};
pub use storage_classes::{Retrieval, StorageClassStore};
pub use sweep::{DatedBlob, Leftover, LeftoverKind, StorageSweep};
