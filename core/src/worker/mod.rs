//! One worker for every kind of job: a set of handlers, one per queue topic, run under one concurrency
//! budget, each delivery in hand kept invisible to other workers by a heartbeat until it is settled.
//!
//! - `handler`: the `JobHandler` trait a kind of job implements, and what it tells the worker.
//! - `run`: `run_worker`, the receive loops (one per topic, fair to each other) and settling.
//! - `heartbeat`: extends the lease of a delivery while its handler works.
//! - `telemetry`: the per-topic metrics.

mod handler;
mod heartbeat;
mod run;
mod telemetry;
#[cfg(test)]
mod tests;

pub use handler::{Attempt, JobHandler, JobOutcome};
pub use run::{run_worker, WorkerSettings};
