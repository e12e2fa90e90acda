//! The time limit of one job, checked between its stages.
//!
//! No single stage can be stopped midway without giving up the process (a decoder in C or in Rust runs
//! to completion once called), so each stage is bounded by the limits instead: pixels, frames, scans and
//! memory are all checked before it starts. The deadline stops a job that is slow in total, e.g. on a
//! machine under heavy load, before it goes on to encode every variant.

use std::time::{Duration, Instant};

use super::ImagingError;

#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadline {
    started: Instant,
    limit: Duration,
}

impl Deadline {
    pub fn start(limit: Duration) -> Self {
        Self {
            started: Instant::now(),
            limit,
        }
    }

    /// Fails when the job has run longer than its limit; `stage` names what was just finished.
    pub fn check(&self, stage: &'static str) -> Result<(), ImagingError> {
        let elapsed = self.started.elapsed();
        if elapsed > self.limit {
            return Err(ImagingError::TimedOut {
                stage,
                elapsed_ms: elapsed.as_millis() as u64,
                limit_ms: self.limit.as_millis() as u64,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passes_within_the_limit_and_fails_after_it() {
        assert!(Deadline::start(Duration::from_secs(3600))
            .check("decode")
            .is_ok());
        let err = Deadline::start(Duration::ZERO).check("decode").unwrap_err();
        assert_eq!(err.code(), "processing_timeout");
        assert!(err.to_string().contains("decode"), "{err}");
    }
}
