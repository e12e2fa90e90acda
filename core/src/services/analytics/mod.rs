//! Metadata for analysts: each ready image's metadata appended to gzip newline-delimited JSON batches
//! under `analytics/date=YYYY-MM-DD/` in a storage of its own (`analytics_url`), ready for Athena, DuckDB,
//! BigQuery or Power BI to read where it lies.
//!
//! The upload job announces each image that becomes ready (`ImageReady`, on `image.ready`); the exporter
//! (`exporter.rs`, on the worker role) receives those facts, reads each image as it is now, gathers one
//! line per image into a batch (`batch.rs`) and writes the batch when it is big or old enough; only then
//! does it ack the facts. So every ready image reaches a batch at least once, and never twice in one batch
//! (a fact announced twice while a batch is open is one line). A crash before the write leaves the facts
//! unacked: they come back and go into the next batch.
//!
//! Why gzip NDJSON and not Parquet: every engine analysts use reads it as it is (Athena, DuckDB's
//! `read_json`, BigQuery, Power BI), appending needs no schema evolution, and it costs `flate2`, which the
//! build has already; the `parquet` crate with Arrow would add some sixty crates and minutes of build for
//! files of a few thousand rows, which engines scan in milliseconds either way.

mod batch;
mod exporter;
mod record;

use std::time::Duration;

pub use batch::{gzip, object_key, Batch};
pub use exporter::Exporter;
pub use record::Record;

/// When a batch is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportSettings {
    /// At the latest this long after its first fact arrived (`analytics_flush_secs`).
    pub flush_after: Duration,
    /// As soon as it holds this many lines (`analytics_batch_records`).
    pub max_records: usize,
    /// As soon as its lines, before compression, reach this many bytes (`analytics_batch_bytes`).
    pub max_bytes: usize,
}

impl Default for ExportSettings {
    fn default() -> Self {
        Self {
            flush_after: Duration::from_secs(60),
            max_records: 10_000,
            max_bytes: 16 * 1024 * 1024,
        }
    }
}
