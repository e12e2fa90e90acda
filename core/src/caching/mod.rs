//! Caching as wrappers that implement the port they cache, so no use case holds cache-aside code: the
//! composition root wraps a repository and hands the wrapper out in its place.

mod images;
mod local_copies;
#[cfg(test)]
mod map_cache;
mod original_tiers;
mod posts;
mod users;

pub use images::CachedImageRepository;
pub use local_copies::LocalCopies;
pub use original_tiers::InvalidatingOriginalTiers;
pub use posts::CachedPostRepository;
pub use users::CachedUserRepository;
