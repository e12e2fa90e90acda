//! Caching as wrappers that implement the port they cache, so no use case holds cache-aside code: the
//! composition root wraps a repository and hands the wrapper out in its place.
//!
//! Every wrapper reads through on a miss and fills with `SourceRead`, so a read that raced with a write
//! never leaves the value from before the write behind (see `ports::FILL_GUARD`).

mod images;
mod local_copies;
#[cfg(test)]
mod map_cache;
mod original_tiers;
mod posts;
mod source_read;
mod timelines;
mod users;

pub use images::CachedImageRepository;
pub use local_copies::LocalCopies;
pub use original_tiers::InvalidatingOriginalTiers;
pub use posts::CachedPostRepository;
pub(crate) use source_read::SourceRead;
pub use timelines::CachedTimelineRepository;
pub use users::CachedUserRepository;
