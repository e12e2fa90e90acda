//! The outbox's items: a message's entry in the queue partition, and its pointer by id.

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use bytes::Bytes;
use darkroom_core::domain::OutboxMessage;
use darkroom_core::ports::DbError;

use super::super::attrs::{micros, req_bytes, req_str, req_string, req_time, req_uuid, s};
use super::super::keys::{self, Item, SK};

/// A message's entry in the outbox queue partition, with everything `pending_outbox` returns.
pub(crate) fn outbox_entry(job: &OutboxMessage) -> Item {
    let mut item = keys::outbox_entry(job.created_at, job.id);
    item.extend([
        ("id".to_owned(), s(job.id.to_string())),
        ("topic".to_owned(), s(&job.topic)),
        (
            "payload".to_owned(),
            AttributeValue::B(Blob::new(job.payload.to_vec())),
        ),
        ("created_at".to_owned(), micros(job.created_at)),
    ]);
    item
}

/// A message's pointer: its entry's sort key, found from the id.
pub(crate) fn outbox_pointer(job: &OutboxMessage) -> Item {
    let mut item = keys::outbox_pointer(job.id);
    item.insert(
        "entry_sk".to_owned(),
        s(keys::order(job.created_at, job.id)),
    );
    item
}

/// The key of the entry a pointer names.
pub(crate) fn pointed_entry(pointer: &Item) -> Result<Item, DbError> {
    let sk = req_str(pointer, "entry_sk")?;
    Ok([
        (keys::PK.to_owned(), s(keys::outbox_partition())),
        (SK.to_owned(), s(sk)),
    ]
    .into())
}

pub(crate) fn outbox_message(item: &Item) -> Result<OutboxMessage, DbError> {
    Ok(OutboxMessage {
        id: req_uuid(item, "id")?,
        topic: req_string(item, "topic")?,
        payload: Bytes::from(req_bytes(item, "payload")?),
        created_at: req_time(item, "created_at")?,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use chrono::DateTime;
    use darkroom_core::domain::{ImageId, Job};

    use super::*;

    #[test]
    fn outbox_messages_round_trip_and_pointers_find_their_entry() {
        let job = OutboxMessage {
            created_at: DateTime::from_timestamp_micros(1_700_000_000_000_001).unwrap(),
            ..OutboxMessage::job(&Job::PurgeImage {
                image_id: ImageId::new(),
            })
        };
        let entry = outbox_entry(&job);
        assert_eq!(outbox_message(&entry).unwrap(), job);
        let pointed = pointed_entry(&outbox_pointer(&job)).unwrap();
        assert_eq!(pointed, keys::outbox_entry(job.created_at, job.id));
    }
}
