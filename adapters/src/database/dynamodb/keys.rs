//! The table's keys: every item is addressed by a partition key `pk` and a sort key `sk`, both strings, and
//! the prefix of `pk` says what kind of item it is (see the module docs for the full list).

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use darkroom_core::domain::{ImageId, UserId};
use uuid::Uuid;

/// One item, or one key, as the SDK carries it.
pub(super) type Item = HashMap<String, AttributeValue>;

pub(super) const PK: &str = "pk";
pub(super) const SK: &str = "sk";

/// The partition of the outbox's queue entries, sorted oldest first.
const OUTBOX: &str = "OUTBOX";

fn key(pk: String, sk: impl Into<String>) -> Item {
    HashMap::from([
        (PK.to_owned(), AttributeValue::S(pk)),
        (SK.to_owned(), AttributeValue::S(sk.into())),
    ])
}

pub(super) fn user(id: UserId) -> Item {
    key(format!("USER#{}", id.0), "USER")
}

/// Claims a username; holds the user's id.
pub(super) fn username(name: &str) -> Item {
    key(format!("USERNAME#{name}"), "USERNAME")
}

/// Claims an email address; holds the user's id.
pub(super) fn email(address: &str) -> Item {
    key(format!("EMAIL#{address}"), "EMAIL")
}

pub(super) fn token(hash: &str) -> Item {
    key(format!("TOKEN#{hash}"), "TOKEN")
}

/// A refresh-token family: one login, revoked as a whole.
pub(super) fn family(id: Uuid) -> Item {
    key(format!("FAMILY#{id}"), "FAMILY")
}

pub(super) fn image(id: ImageId) -> Item {
    key(format!("IMAGE#{}", id.0), "IMAGE")
}

/// The partition listing an owner's images, sorted by `order(created_at, id)`.
pub(super) fn images_of(owner: UserId) -> String {
    format!("IMAGES#{}", owner.0)
}

/// An owner's listing entry for one image.
pub(super) fn listing(owner: UserId, created_at: DateTime<Utc>, id: ImageId) -> Item {
    key(images_of(owner), order(created_at, id.0))
}

/// Claims an owner's idempotency key; holds the id of the image it made.
pub(super) fn idempotency(owner: UserId, idempotency_key: &str) -> Item {
    key(
        format!("IDEMPOTENCY#{}#{idempotency_key}", owner.0),
        "IDEMPOTENCY",
    )
}

pub(super) fn outbox_partition() -> String {
    OUTBOX.to_owned()
}

/// A pending message in the outbox queue partition.
pub(super) fn outbox_entry(created_at: DateTime<Utc>, id: Uuid) -> Item {
    key(outbox_partition(), order(created_at, id))
}

/// Finds a pending message's queue entry from its id alone (`mark_outbox_relayed` has nothing else).
pub(super) fn outbox_pointer(id: Uuid) -> Item {
    key(format!("OUTBOX#{id}"), "OUTBOX")
}

/// A sort key whose string order is the order of (created_at, id): the microseconds shifted to be
/// non-negative and zero-padded to 20 digits (so dates before 1970 sort too), then the hyphenated
/// lowercase UUID, whose text order is its byte order (the order Postgres and SQLite page by).
pub(super) fn order(created_at: DateTime<Utc>, id: Uuid) -> String {
    let shifted = i128::from(created_at.timestamp_micros()) - i128::from(i64::MIN);
    format!("{shifted:020}#{id}")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn order_keys_sort_like_time_then_id() {
        let at = |micros| DateTime::from_timestamp_micros(micros).unwrap();
        let low = Uuid::from_u128(1);
        let high = Uuid::from_u128(u128::MAX);
        let mut keys = vec![
            order(at(1_700_000_000_000_001), low),
            order(at(1_700_000_000_000_000), high),
            order(at(1_700_000_000_000_000), low),
            order(at(-5), high),
            order(at(0), low),
            order(at(-1_000_000), low),
            order(at(9_999_999_999_999_999), low),
        ];
        let expected = vec![
            keys[5].clone(),
            keys[3].clone(),
            keys[4].clone(),
            keys[2].clone(),
            keys[1].clone(),
            keys[0].clone(),
            keys[6].clone(),
        ];
        keys.sort();
        assert_eq!(keys, expected);
        assert!(keys.iter().all(|k| k.len() == 20 + 1 + 36));
    }
}
