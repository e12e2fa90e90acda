//! The image jobs as worker handlers, one per topic: the upload job (`image.process`), the formats made
//! after `ready` (`image.encode`, apart so that slow AVIF encodes never hold up uploads), and the purge of
//! a deleted image's blobs (`image.purge`), edits (`image.edit`); plus the topic the first three shared
//! before (`jobs`), still drained.
//!
//! Each handler decides what a failure means on the last attempt; the job bodies are `Processor`'s.

use std::sync::Arc;

use async_trait::async_trait;

use super::Processor;
use crate::domain::{Failure, ImageId, Job, OutputFormat, JOBS_TOPIC};
use crate::ports::Message;
use crate::worker::{Attempt, JobHandler, JobOutcome};

impl Processor {
    /// The handlers of every image job topic, sharing this processor.
    pub fn handlers(self) -> Vec<Arc<dyn JobHandler>> {
        let processor = Arc::new(self);
        vec![
            Arc::new(ProcessImage(processor.clone())),
            Arc::new(EncodeVariants(processor.clone())),
            Arc::new(PurgeImage(processor.clone())),
            Arc::new(EditImage(processor.clone())),
            Arc::new(LegacyJobs(processor)),
        ]
    }
}

/// Validates, decodes and derives the variants of an uploaded image. On its last attempt, a failure fails
/// the image, so that none stays `processing` forever.
#[derive(Debug, Clone)]
pub struct ProcessImage(pub Arc<Processor>);

/// Adds a late format (AVIF) to the variants of a ready image. On its last attempt it gives up and leaves
/// the image as it is: ready, and served in its other formats.
#[derive(Debug, Clone)]
pub struct EncodeVariants(pub Arc<Processor>);

/// Deletes every blob of an image that no longer exists (jobs queued before deletes were soft).
#[derive(Debug, Clone)]
pub struct PurgeImage(pub Arc<Processor>);

/// Renders an edit's result and processes it. On its last attempt, a failure fails the image, as for
/// uploads.
#[derive(Debug, Clone)]
pub struct EditImage(pub Arc<Processor>);

/// Jobs of every kind on the topic they all shared before each had its own (queued by an older release).
#[derive(Debug, Clone)]
pub struct LegacyJobs(pub Arc<Processor>);

#[async_trait]
impl JobHandler for ProcessImage {
    fn topic(&self) -> &'static str {
        Job::PROCESS_TOPIC
    }

    async fn handle(&self, message: &Message, attempt: Attempt) -> JobOutcome {
        match read(message) {
            Some(Job::ProcessImage { image_id }) => process(&self.0, image_id, attempt).await,
            job => misrouted(&self.0, message, job, attempt).await,
        }
    }
}

#[async_trait]
impl JobHandler for EncodeVariants {
    fn topic(&self) -> &'static str {
        Job::ENCODE_TOPIC
    }

    async fn handle(&self, message: &Message, attempt: Attempt) -> JobOutcome {
        match read(message) {
            Some(Job::EncodeVariants { image_id, format }) => {
                encode(&self.0, image_id, format, attempt).await
            }
            job => misrouted(&self.0, message, job, attempt).await,
        }
    }
}

#[async_trait]
impl JobHandler for PurgeImage {
    fn topic(&self) -> &'static str {
        Job::PURGE_TOPIC
    }

    async fn handle(&self, message: &Message, attempt: Attempt) -> JobOutcome {
        match read(message) {
            Some(Job::PurgeImage { image_id }) => purge(&self.0, image_id).await,
            job => misrouted(&self.0, message, job, attempt).await,
        }
    }
}

#[async_trait]
impl JobHandler for EditImage {
    fn topic(&self) -> &'static str {
        Job::EDIT_TOPIC
    }

    async fn handle(&self, message: &Message, attempt: Attempt) -> JobOutcome {
        match read(message) {
            Some(Job::EditImage { image_id }) => edit(&self.0, image_id, attempt).await,
            job => misrouted(&self.0, message, job, attempt).await,
        }
    }
}

#[async_trait]
impl JobHandler for LegacyJobs {
    fn topic(&self) -> &'static str {
        JOBS_TOPIC
    }

    async fn handle(&self, message: &Message, attempt: Attempt) -> JobOutcome {
        match read(message) {
            Some(job) => dispatch(&self.0, job, attempt).await,
            None => JobOutcome::Done,
        }
    }
}

async fn dispatch(processor: &Processor, job: Job, attempt: Attempt) -> JobOutcome {
    match job {
        Job::ProcessImage { image_id } => process(processor, image_id, attempt).await,
        Job::EncodeVariants { image_id, format } => {
            encode(processor, image_id, format, attempt).await
        }
        Job::PurgeImage { image_id } => purge(processor, image_id).await,
        Job::EditImage { image_id } => edit(processor, image_id, attempt).await,
    }
}

async fn process(processor: &Processor, image_id: ImageId, attempt: Attempt) -> JobOutcome {
    let done = processor.process(image_id).await;
    settle(processor, image_id, done, attempt).await
}

async fn edit(processor: &Processor, image_id: ImageId, attempt: Attempt) -> JobOutcome {
    let done = processor.edit(image_id).await;
    settle(processor, image_id, done, attempt).await
}

/// Done, a retry, or on the last attempt the image failed, so that none stays `processing` forever.
async fn settle(
    processor: &Processor,
    image_id: ImageId,
    done: Result<(), crate::services::ServiceError>,
    attempt: Attempt,
) -> JobOutcome {
    let err = match done {
        Ok(()) => return JobOutcome::Done,
        Err(err) if !attempt.is_last() => return JobOutcome::Retry(err.to_string()),
        Err(err) => err,
    };
    tracing::error!(image = %image_id, error = %err, "processing gave up after its last attempt");
    let failure = Failure {
        code: "processing_failed".into(),
        // The cause (a storage or database error, naming hosts and paths) is in the log line above.
        message: "processing did not complete; upload the image again".into(),
    };
    match processor.fail(image_id, &failure).await {
        Ok(()) => JobOutcome::Done,
        Err(err) => JobOutcome::Retry(err.to_string()),
    }
}

async fn encode(
    processor: &Processor,
    image_id: ImageId,
    format: OutputFormat,
    attempt: Attempt,
) -> JobOutcome {
    match processor.encode_late_variants(image_id, format).await {
        Ok(()) => JobOutcome::Done,
        Err(err) if attempt.is_last() => {
            // The image is ready with its other formats and is served in them: never fail it for this.
            tracing::error!(image = %image_id, %format, error = %err, "late variants gave up after their last attempt");
            JobOutcome::Done
        }
        Err(err) => JobOutcome::Retry(err.to_string()),
    }
}

/// A purge job (queued by deletes of releases before retention) removes blobs only of an image whose row
/// is gone: one that still has it is live, or deleted and restorable, and the retention pass purges it.
async fn purge(processor: &Processor, image_id: ImageId) -> JobOutcome {
    match processor.purge_if_gone(image_id).await {
        Ok(()) => JobOutcome::Done,
        Err(err) => JobOutcome::Retry(err.to_string()),
    }
}

/// The job in `message`, or `None` (logged) when nobody can read it: it never will be, so it is dropped
/// rather than retried until it is dead-lettered.
fn read(message: &Message) -> Option<Job> {
    match Job::from_bytes(&message.payload) {
        Ok(job) => Some(job),
        Err(err) => {
            tracing::error!(id = %message.id, topic = %message.topic, error = %err, "unreadable job dropped");
            None
        }
    }
}

/// A job of another kind than its topic carries (published by mistake): still run, since every job is
/// idempotent, and logged so that the publisher gets fixed. An unreadable one (`None`) was logged already.
async fn misrouted(
    processor: &Processor,
    message: &Message,
    job: Option<Job>,
    attempt: Attempt,
) -> JobOutcome {
    let Some(job) = job else {
        return JobOutcome::Done;
    };
    tracing::warn!(id = %message.id, topic = %message.topic, expected = job.topic(), "job on another kind's topic");
    dispatch(processor, job, attempt).await
}
