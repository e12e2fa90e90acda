//! Caching as wrappers that implement the port they cache, so no use case holds cache-aside code: the
//! composition root wraps a repository and hands the wrapper out in its place.

mod images;
mod posts;

pub use images::CachedImageRepository;
pub use posts::CachedPostRepository;
