//! Background work, written to the outbox in the same transaction as the change that asks for it and
//! relayed to the queue from there.

use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{ImageId, OutputFormat};

/// The topic every kind of job shared before each got its own. Nothing is published to it any more; the
/// worker still consumes it, so jobs queued (or left in an outbox) by an older release are not stranded.
pub const JOBS_TOPIC: &str = "jobs";

/// A unit of background work. Every job is idempotent: running it twice has the effect of running it once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Job {
    /// Validate, decode and derive the variants of a freshly uploaded image.
    ProcessImage { image_id: ImageId },
    /// Delete every blob of an image that no longer exists. Deletes no longer queue it (they are soft, and
    /// the retention pass purges); jobs an older release queued are still run.
    PurgeImage { image_id: ImageId },
    /// Add `format` encodings to the variants of an image that is already `ready` (AVIF: too slow to
    /// hold up `ready`). Published by the `ProcessImage` job, not through the outbox: see the processor.
    EncodeVariants {
        image_id: ImageId,
        format: OutputFormat,
    },
    /// Render an edit's result (an image recorded with a derivation) from its source, store it as the
    /// result's original, then process it like an upload.
    EditImage { image_id: ImageId },
}

impl Job {
    /// The upload job's topic: one worker slot per image being made ready.
    pub const PROCESS_TOPIC: &'static str = "image.process";
    /// The late formats' topic, apart so that slow AVIF encodes never hold up uploads waiting for `ready`.
    pub const ENCODE_TOPIC: &'static str = "image.encode";
    pub const PURGE_TOPIC: &'static str = "image.purge";
    /// Edits: apart from uploads, so that a burst of heavy edits never holds up uploads waiting for `ready`.
    pub const EDIT_TOPIC: &'static str = "image.edit";
    /// Every topic jobs travel on (the legacy one included), for queues that provision topics up front.
    pub const TOPICS: [&'static str; 5] = [
        Self::PROCESS_TOPIC,
        Self::ENCODE_TOPIC,
        Self::PURGE_TOPIC,
        Self::EDIT_TOPIC,
        JOBS_TOPIC,
    ];

    /// The topic this job is published to.
    pub fn topic(&self) -> &'static str {
        match self {
            Self::ProcessImage { .. } => Self::PROCESS_TOPIC,
            Self::EncodeVariants { .. } => Self::ENCODE_TOPIC,
            Self::PurgeImage { .. } => Self::PURGE_TOPIC,
            Self::EditImage { .. } => Self::EDIT_TOPIC,
        }
    }

    pub fn to_bytes(&self) -> Bytes {
        // Serialising a plain enum of ids cannot fail.
        Bytes::from(serde_json::to_vec(self).unwrap_or_default())
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(bytes)
    }
}

/// A message waiting in the database's outbox. Its `id` doubles as the queue's de-duplication id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMessage {
    pub id: Uuid,
    pub topic: String,
    pub payload: Bytes,
    pub created_at: DateTime<Utc>,
}

impl OutboxMessage {
    /// The outbox row of `job`, carrying the trace context of the span that asks for it (when traces are
    /// exported), so the worker's handling joins the trace of the request.
    pub fn job(job: &Job) -> Self {
        Self {
            id: Uuid::now_v7(),
            topic: job.topic().to_owned(),
            payload: crate::trace_context::stamp_current(job.to_bytes()),
            created_at: Utc::now(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_round_trip_as_tagged_json() {
        let job = Job::ProcessImage {
            image_id: ImageId::new(),
        };
        let msg = OutboxMessage::job(&job);
        assert_eq!(msg.topic, Job::PROCESS_TOPIC);
        assert!(std::str::from_utf8(&msg.payload)
            .unwrap()
            .contains("\"kind\":\"process_image\""));
        assert_eq!(Job::from_bytes(&msg.payload).unwrap(), job);
        assert!(Job::from_bytes(b"{\"kind\":\"nope\"}").is_err());

        let late = Job::EncodeVariants {
            image_id: ImageId::new(),
            format: OutputFormat::Avif,
        };
        let text = String::from_utf8(late.to_bytes().to_vec()).unwrap();
        assert!(
            text.contains("\"kind\":\"encode_variants\"") && text.contains("\"format\":\"avif\""),
            "{text}"
        );
        assert_eq!(Job::from_bytes(text.as_bytes()).unwrap(), late);
        assert_eq!(OutboxMessage::job(&late).topic, Job::ENCODE_TOPIC);
        let purge = Job::PurgeImage {
            image_id: ImageId::new(),
        };
        assert_eq!(OutboxMessage::job(&purge).topic, Job::PURGE_TOPIC);
        let edit = Job::EditImage {
            image_id: ImageId::new(),
        };
        assert_eq!(OutboxMessage::job(&edit).topic, Job::EDIT_TOPIC);
        assert_eq!(Job::from_bytes(&edit.to_bytes()).unwrap(), edit);
    }
}
