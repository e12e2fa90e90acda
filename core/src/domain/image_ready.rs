//! `image.ready`: the fact that an image finished processing, for consumers outside the product's own
//! read models (the metadata export for analysts, `services::analytics`).
//!
//! It is published by the upload job itself, before its delivery is acked, and only when something
//! consumes it (a topic nobody reads would only grow). A crash between the image turning `ready` and the
//! publish leaves the job unacked; its redelivery finds the image ready and publishes again: at least once.
//! Its message id is derived from the image id, so queues that de-duplicate by id deliver a republished
//! fact once within their window.

use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ImageId;

/// An image became `ready`, at `ready_at` (the publisher's clock: a republished fact carries the time of
/// its republishing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageReady {
    pub image_id: ImageId,
    pub ready_at: DateTime<Utc>,
}

impl ImageReady {
    pub const TOPIC: &'static str = "image.ready";

    /// The message id: one per image, whatever the time.
    pub fn message_id(&self) -> String {
        format!("ready-{}", self.image_id)
    }

    pub fn to_bytes(&self) -> Bytes {
        // Serialising an id and a time cannot fail.
        Bytes::from(serde_json::to_vec(self).unwrap_or_default())
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fact_round_trips_under_an_id_derived_from_its_image() {
        let fact = ImageReady {
            image_id: ImageId::new(),
            ready_at: Utc::now(),
        };
        assert_eq!(fact.message_id(), format!("ready-{}", fact.image_id));
        assert_eq!(ImageReady::from_bytes(&fact.to_bytes()).unwrap(), fact);
        // The same image announced again is the same message to a de-duplicating queue.
        let again = ImageReady {
            ready_at: Utc::now(),
            ..fact.clone()
        };
        assert_eq!(again.message_id(), fact.message_id());
        assert!(ImageReady::from_bytes(b"{}").is_err());
    }
}
