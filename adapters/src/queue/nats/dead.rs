//! Dead letters: copying an exhausted message to its topic's subject in the dead-letter stream, and reading
//! them back. Also the headers that carry a message's id both ways.

use async_nats::jetstream::context::{PublishError, PublishErrorKind};
use async_nats::jetstream::stream::DirectGetErrorKind;
use async_nats::{header, HeaderMap};
use bytes::Bytes;
use darkroom_core::ports::{Message, QueueError};

use super::{NatsQueue, MESSAGE_ID};

impl NatsQueue {
    /// Copies a message to its topic's dead letters, then terminates the delivery.
    pub(super) async fn bury(
        &self,
        topic: &str,
        id: &str,
        payload: &Bytes,
        receipt: &str,
    ) -> Result<(), QueueError> {
        let subject = self.names.dead_subject(topic)?;
        let headers = headers(topic, id)?;
        self.jetstream
            .publish_with_headers(subject, headers, payload.clone())
            .await
            .map_err(publish_error)?
            .await
            .map_err(publish_error)?;
        self.settle(receipt, "+TERM").await
    }

    /// The topic's dead letters, oldest first, read (not consumed) by direct gets on the subject.
    pub(super) async fn list_dead(
        &self,
        topic: &str,
        limit: usize,
    ) -> Result<Vec<Message>, QueueError> {
        let subject = self.names.dead_subject(topic)?;
        let stream = self
            .jetstream
            .get_stream_no_info(self.names.dead_stream())
            .await
            .map_err(|e| QueueError::other_from("nats dead-letter stream", e))?;
        let mut dead = Vec::new();
        let mut next = 1;
        while dead.len() < limit {
            let found = match stream
                .direct_get_next_for_subject(&subject, Some(next))
                .await
            {
                Ok(found) => found,
                Err(e) if matches!(e.kind(), DirectGetErrorKind::NotFound) => break,
                Err(e) => {
                    return Err(QueueError::unavailable_from(
                        "cannot read nats dead letters (has migrate run?)",
                        e,
                    ))
                }
            };
            let sequence = found
                .headers
                .as_ref()
                .and_then(|headers| headers.get(header::NATS_SEQUENCE))
                .and_then(|value| value.as_str().parse::<u64>().ok())
                .ok_or_else(|| QueueError::other("nats direct get without a sequence"))?;
            dead.push(Message {
                id: message_id(&found.message, sequence),
                topic: topic.to_owned(),
                payload: found.payload.clone(),
            });
            next = sequence + 1;
        }
        Ok(dead)
    }
}

/// The de-duplication header (`{topic} {id}`) and the id itself. Header values cannot hold line breaks.
pub(super) fn headers(topic: &str, id: &str) -> Result<HeaderMap, QueueError> {
    if id.is_empty() || id.contains(['\r', '\n']) {
        return Err(QueueError::other(format!(
            "message id {id:?} cannot be sent to nats"
        )));
    }
    let mut headers = HeaderMap::new();
    headers.insert(header::NATS_MESSAGE_ID, format!("{topic} {id}"));
    headers.insert(MESSAGE_ID, id);
    Ok(headers)
}

/// The producer's id; a message published by something else is named by its stream sequence.
pub(super) fn message_id(message: &async_nats::Message, sequence: u64) -> String {
    message
        .headers
        .as_ref()
        .and_then(|headers| headers.get(MESSAGE_ID))
        .map(|value| value.as_str().to_owned())
        .unwrap_or_else(|| sequence.to_string())
}

pub(super) fn publish_error(err: PublishError) -> QueueError {
    match err.kind() {
        PublishErrorKind::StreamNotFound => {
            QueueError::other_from("no nats stream for the topic (has migrate run?)", err)
        }
        PublishErrorKind::TimedOut | PublishErrorKind::BrokenPipe => {
            QueueError::unavailable_from("nats publish", err)
        }
        _ => QueueError::other_from("nats publish", err),
    }
}
