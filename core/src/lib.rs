//! Darkroom's core: the domain, the use cases, the ports the adapters (and the image pipeline) implement.
//!
//! This crate does no I/O of its own. Everything that touches a disk, a socket or a clock-driven loop goes
//! through a port (`ports`), and the composition root in `server/` decides which adapter serves each one.
//! It uses tokio only for `spawn_blocking` (CPU-heavy work: argon2, decoding) and timers.

pub mod caching;
pub mod domain;
pub mod imaging;
pub mod ports;
pub mod services;
pub mod worker;

pub use domain::*;
