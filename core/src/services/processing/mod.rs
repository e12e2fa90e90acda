//! The image jobs: what each does (`handler.rs`, `late_variants.rs`), and the worker handlers that run them
//! per topic (`jobs.rs`). The loop that takes jobs off the queue is the generic worker's (`crate::worker`).

mod edit;
mod formats;
mod handler;
mod jobs;
mod late_variants;

pub use crate::worker::JobOutcome;
pub use formats::VariantFormats;
pub use handler::Processor;
pub use jobs::{EditImage, EncodeVariants, LegacyJobs, ProcessImage, PurgeImage};
