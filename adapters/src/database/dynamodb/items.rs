//! The items of users, images and outbox messages, and their conversions to the domain's types.

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use darkroom_core::domain::{
    Failure, Image, ImageId, ImageStatus, NewImage, NewUser, OutboxMessage, User, UserId,
};
use darkroom_core::ports::DbError;

use super::attrs::{
    json, micros, n, opt_num, opt_string, put_opt, req_bytes, req_enum, req_json, req_num, req_str,
    req_string, req_strings, req_time, req_uuid, s, strings,
};
use super::keys::{self, Item, SK};

/// The user item of a new account, keyed by id. Its username and email are claimed by items of their own.
pub(super) fn new_user(user: &NewUser) -> Item {
    let mut item = keys::user(user.id);
    item.extend([
        ("id".to_owned(), s(user.id.0.to_string())),
        ("username".to_owned(), s(user.username.as_str())),
        ("email".to_owned(), s(user.email.as_str())),
        ("password_hash".to_owned(), s(&user.password_hash)),
        ("followers_count".to_owned(), n(0)),
        ("following_count".to_owned(), n(0)),
        ("posts_count".to_owned(), n(0)),
        ("created_at".to_owned(), micros(user.created_at)),
    ]);
    put_opt(&mut item, "display_name", user.display_name.clone().map(s));
    item
}

pub(super) fn user(item: &Item) -> Result<User, DbError> {
    Ok(User {
        id: UserId(req_uuid(item, "id")?),
        username: req_string(item, "username")?,
        email: req_string(item, "email")?,
        display_name: opt_string(item, "display_name")?,
        first_name: opt_string(item, "first_name")?,
        last_name: opt_string(item, "last_name")?,
        bio: opt_string(item, "bio")?,
        followers_count: req_num(item, "followers_count")?,
        following_count: req_num(item, "following_count")?,
        posts_count: req_num(item, "posts_count")?,
        is_private: false,
        avatar_image_id: None,
        created_at: req_time(item, "created_at")?,
    })
}

pub(super) fn password_hash(item: &Item) -> Result<String, DbError> {
    req_string(item, "password_hash")
}

/// A freshly uploaded image. The owner's username is copied in (usernames never change), so reading an
/// image is one request. `version` counts writes, for the optimistic check of `delete_image`.
pub(super) fn new_image(
    image: &NewImage,
    owner_username: &str,
    now: DateTime<Utc>,
) -> Result<Item, DbError> {
    let mut item = keys::image(image.id);
    item.extend([
        ("id".to_owned(), s(image.id.0.to_string())),
        ("owner_id".to_owned(), s(image.owner_id.0.to_string())),
        ("owner_username".to_owned(), s(owner_username)),
        ("status".to_owned(), s(ImageStatus::Processing.as_str())),
        ("format".to_owned(), s(image.format.as_str())),
        ("bytes".to_owned(), n(image.bytes)),
        ("sha256".to_owned(), s(&image.sha256)),
        ("visibility".to_owned(), s(image.visibility.as_str())),
        ("tags".to_owned(), strings(&[])),
        ("variants".to_owned(), json(&Vec::<()>::new())?),
        ("original_key".to_owned(), s(&image.original_key)),
        ("created_at".to_owned(), micros(image.created_at)),
        ("updated_at".to_owned(), micros(now)),
        ("version".to_owned(), n(1)),
    ]);
    put_opt(
        &mut item,
        "idempotency_key",
        image.idempotency_key.clone().map(s),
    );
    Ok(item)
}

pub(super) fn image(item: &Item) -> Result<Image, DbError> {
    let failure = match (
        opt_string(item, "failure_code")?,
        opt_string(item, "failure_message")?,
    ) {
        (Some(code), Some(message)) => Some(Failure { code, message }),
        _ => None,
    };
    let created_at = req_time(item, "created_at")?;
    Ok(Image {
        id: ImageId(req_uuid(item, "id")?),
        owner_id: UserId(req_uuid(item, "owner_id")?),
        owner_username: req_string(item, "owner_username")?,
        status: req_enum(item, "status")?,
        failure,
        format: req_enum(item, "format")?,
        bytes: req_num(item, "bytes")?,
        sha256: req_string(item, "sha256")?,
        width: opt_num(item, "width")?,
        height: opt_num(item, "height")?,
        visibility: req_enum(item, "visibility")?,
        alt_text: opt_string(item, "alt_text")?,
        tags: req_strings(item, "tags")?,
        blurhash: opt_string(item, "blurhash")?,
        dominant_color: opt_string(item, "dominant_color")?,
        variants: req_json(item, "variants")?,
        original_key: req_string(item, "original_key")?,
        public_original_key: opt_string(item, "public_original_key")?,
        created_at,
        // An update expression cannot take a maximum, so writes store the clock's time and reads keep it from
        // going behind the creation time (as SQLite's `MAX(now, created_at)` does) when clocks disagree.
        updated_at: req_time(item, "updated_at")?.max(created_at),
    })
}

pub(super) fn image_version(item: &Item) -> Result<u64, DbError> {
    req_num(item, "version")
}

pub(super) fn idempotency_key(item: &Item) -> Result<Option<String>, DbError> {
    opt_string(item, "idempotency_key")
}

/// An owner's listing entry: the image's id and creation time, which the next page's cursor is made of.
pub(super) fn listing(image: &NewImage) -> Item {
    let mut item = keys::listing(image.owner_id, image.created_at, image.id);
    item.extend([
        ("image_id".to_owned(), s(image.id.0.to_string())),
        ("created_at".to_owned(), micros(image.created_at)),
    ]);
    item
}

pub(super) fn listed_image(item: &Item) -> Result<(ImageId, DateTime<Utc>), DbError> {
    Ok((
        ImageId(req_uuid(item, "image_id")?),
        req_time(item, "created_at")?,
    ))
}

/// The claim of an owner's idempotency key by an image.
pub(super) fn idempotency(image: &NewImage, idempotency_key: &str) -> Item {
    let mut item = keys::idempotency(image.owner_id, idempotency_key);
    item.insert("image_id".to_owned(), s(image.id.0.to_string()));
    item
}

pub(super) fn claimed_image(item: &Item) -> Result<ImageId, DbError> {
    req_uuid(item, "image_id").map(ImageId)
}

/// A message's entry in the outbox queue partition, with everything `pending_outbox` returns.
pub(super) fn outbox_entry(job: &OutboxMessage) -> Item {
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
pub(super) fn outbox_pointer(job: &OutboxMessage) -> Item {
    let mut item = keys::outbox_pointer(job.id);
    item.insert(
        "entry_sk".to_owned(),
        s(keys::order(job.created_at, job.id)),
    );
    item
}

/// The key of the entry a pointer names.
pub(super) fn pointed_entry(pointer: &Item) -> Result<Item, DbError> {
    let sk = req_str(pointer, "entry_sk")?;
    Ok([
        (keys::PK.to_owned(), s(keys::outbox_partition())),
        (SK.to_owned(), s(sk)),
    ]
    .into())
}

pub(super) fn outbox_message(item: &Item) -> Result<OutboxMessage, DbError> {
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

    use darkroom_core::domain::{Email, ImageFormat, Job, Username, Visibility};

    use super::*;

    fn at(micros: i64) -> DateTime<Utc> {
        DateTime::from_timestamp_micros(micros).unwrap()
    }

    #[test]
    fn users_round_trip() {
        let new = NewUser {
            id: UserId::new(),
            username: Username::parse("Ann").unwrap(),
            email: Email::parse("Ann@Example.org").unwrap(),
            password_hash: "$argon2id$x".into(),
            display_name: None,
            created_at: at(1_700_000_000_123_456),
            event: darkroom_core::domain::Event::UserCreated {
                user_id: UserId::new(),
            }
            .to_outbox(),
        };
        let item = new_user(&new);
        let back = user(&item).unwrap();
        assert_eq!((back.id, back.username.as_str()), (new.id, "ann"));
        assert_eq!(
            (back.email.as_str(), back.created_at),
            ("ann@example.org", new.created_at)
        );
        assert_eq!(password_hash(&item).unwrap(), "$argon2id$x");
        assert!(!item.contains_key("display_name"));
    }

    #[test]
    fn images_round_trip_and_never_update_before_creation() {
        let new = NewImage {
            id: ImageId::new(),
            owner_id: UserId::new(),
            format: ImageFormat::Png,
            bytes: 42,
            sha256: "0".repeat(64),
            visibility: Visibility::Followers,
            original_key: "k".into(),
            idempotency_key: Some("idem".into()),
            created_at: at(2_000),
        };
        let item = new_image(&new, "ann", at(1_000)).unwrap();
        let back = image(&item).unwrap();
        assert_eq!((back.id, back.owner_username.as_str()), (new.id, "ann"));
        assert_eq!(
            (back.status, back.tags, back.variants),
            (ImageStatus::Processing, vec![], vec![])
        );
        assert_eq!(
            back.updated_at, new.created_at,
            "clamped to the creation time"
        );
        assert_eq!(idempotency_key(&item).unwrap().as_deref(), Some("idem"));
        assert_eq!(image_version(&item).unwrap(), 1);
        assert_eq!(
            listed_image(&listing(&new)).unwrap(),
            (new.id, new.created_at)
        );
    }

    #[test]
    fn outbox_messages_round_trip_and_pointers_find_their_entry() {
        let job = OutboxMessage {
            created_at: at(1_700_000_000_000_001),
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
