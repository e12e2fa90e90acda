//! Darkroom's core: the domain, the use cases, and the ports the adapters and the image pipeline implement.
//!
//! This crate does no I/O of its own and links no image codec. Everything that touches a disk, a socket, a
//! codec or a clock-driven loop goes through a port, and the composition root in `server/` decides which
//! adapter serves each one. It uses tokio only for `spawn_blocking` (CPU-heavy work: argon2, decoding),
//! timers and the worker's tasks.
//!
//! - [`domain`]: newtypes parsed once at the edge, images and variants, jobs and their topics.
//! - [`ports`]: the traits backends implement — one repository per aggregate under `ports::database`,
//!   storage, queue, cache, and the image pipeline — each with a `# Contract` and one error enum that keeps
//!   its cause.
//! - [`services`]: the use cases (auth, images, ingest, the outbox relay, the image jobs), each holding only
//!   the repositories and ports it uses.
//! - [`worker`]: one worker for every kind of job — a `JobHandler` per topic, one concurrency budget, leases
//!   kept alive by a heartbeat.
//! - [`search`]: the user search policy every search adapter shares (normal form, index terms, ranking).
//! - [`caching`]: port wrappers that add caching, so no use case does cache-aside itself.
//! - [`trace_context`]: the W3C trace context carried in job and event payloads, so one upload is one trace
//!   across the API, the outbox relay and the worker.
//! - [`imaging`]: the image policy (limits, variant sizes, render plans, sniffing); the pixels are in the
//!   `darkroom-imaging` crate.

pub mod caching;
pub mod clock;
pub mod domain;
pub mod imaging;
pub mod ports;
pub mod search;
pub mod services;
pub mod trace_context;
pub mod transform;
pub mod worker;

pub use domain::*;
