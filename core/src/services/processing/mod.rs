//! The worker's side: what each job does, and the loop that takes jobs off the queue.

mod handler;
mod worker;

pub use handler::{JobOutcome, Processor};
pub use worker::{run_worker, WorkerSettings};
