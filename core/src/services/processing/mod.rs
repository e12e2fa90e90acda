//! The worker's side: what each job does, and the loop that takes jobs off the queue.

mod formats;
mod handler;
mod late_variants;
mod worker;

pub use formats::VariantFormats;
pub use handler::{JobOutcome, Processor};
pub use worker::{run_worker, WorkerSettings};
