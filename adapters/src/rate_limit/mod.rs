//! Rate-limit port adapters: in the process (the embedded default, one count per replica) and in Redis
//! (one count shared by every replica, decided atomically by a Lua script).

#[cfg(feature = "memory-cache")]
mod memory;
#[cfg(feature = "redis")]
mod redis;

#[cfg(feature = "memory-cache")]
pub use self::memory::MemoryRateLimiter;
#[cfg(feature = "redis")]
pub use self::redis::RedisRateLimiter;
