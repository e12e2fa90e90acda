//! Cache port adapters: moka in the process (the embedded default); Redis, shared by replicas, later.

#[cfg(feature = "memory-cache")]
pub(crate) mod moka;
#[cfg(feature = "redis")]
pub mod redis;

#[cfg(feature = "memory-cache")]
pub use self::moka::MokaCache;
#[cfg(feature = "redis")]
pub use self::redis::RedisCache;
#[cfg(all(feature = "redis", feature = "memory-cache"))]
pub use self::redis::TwoLevelCache;
