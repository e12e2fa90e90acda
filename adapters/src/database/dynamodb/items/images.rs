//! The items of images: the image, its owner's listing entry, its idempotency claim.

use chrono::{DateTime, Utc};
use darkroom_core::domain::{Capture, Failure, Image, ImageId, ImageStatus, NewImage, UserId};
use darkroom_core::ports::DbError;

use super::super::attrs::{
    json, micros, n, opt_num, opt_string, opt_time, opt_uuid, put_opt, req_enum, req_json, req_num,
    req_string, req_strings, req_time, req_uuid, s, strings,
};
use super::super::keys::{self, Item};

/// A freshly uploaded image. The owner's username is copied in (usernames never change), so reading an
/// image is one request. `version` counts writes, for the optimistic check of `delete_image`.
pub(crate) fn new_image(
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
        ("auto_tags".to_owned(), strings(&[])),
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
    if let Some(derivation) = &image.derivation {
        item.insert(
            "source_image_id".to_owned(),
            s(derivation.source_image_id.0.to_string()),
        );
        item.insert("operations".to_owned(), json(&derivation.operations)?);
    }
    Ok(item)
}

pub(crate) fn image(item: &Item) -> Result<Image, DbError> {
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
        // Absent on items written before automatic tags existed.
        auto_tags: match item.contains_key("auto_tags") {
            true => req_strings(item, "auto_tags")?,
            false => Vec::new(),
        },
        capture: capture(item)?,
        blurhash: opt_string(item, "blurhash")?,
        dominant_color: opt_string(item, "dominant_color")?,
        variants: req_json(item, "variants")?,
        original_key: req_string(item, "original_key")?,
        public_original_key: opt_string(item, "public_original_key")?,
        public_original_sha256: opt_string(item, "public_original_sha256")?,
        source_image_id: opt_uuid(item, "source_image_id")?.map(ImageId),
        operations: match item.contains_key("operations") {
            true => Some(req_json(item, "operations")?),
            false => None,
        },
        created_at,
        // An update expression cannot take a maximum, so writes store the clock's time and reads keep it from
        // going behind the creation time (as SQLite's `MAX(now, created_at)` does) when clocks disagree.
        updated_at: req_time(item, "updated_at")?.max(created_at),
        deleted_at: opt_time(item, "deleted_at")?,
        original_read_at: opt_time(item, "original_read_at")?,
        original_archived_at: opt_time(item, "original_archived_at")?,
    })
}

/// The capture attributes, each absent when unknown; `taken_at` is text (`Capture::taken_at_text`).
fn capture(item: &Item) -> Result<Capture, DbError> {
    let taken_at = opt_string(item, "taken_at")?
        .map(|text| {
            Capture::parse_taken_at(&text).map_err(|e| {
                DbError::other(format!("corrupt attribute \"taken_at\" in dynamodb: {e}"))
            })
        })
        .transpose()?;
    Ok(Capture {
        camera_make: opt_string(item, "camera_make")?,
        camera_model: opt_string(item, "camera_model")?,
        taken_at,
    })
}

pub(crate) fn image_version(item: &Item) -> Result<u64, DbError> {
    req_num(item, "version")
}

pub(crate) fn idempotency_key(item: &Item) -> Result<Option<String>, DbError> {
    opt_string(item, "idempotency_key")
}

/// An owner's listing entry: the image's id and creation time, which the next page's cursor is made of.
pub(crate) fn listing(image: &NewImage) -> Item {
    listing_of(image.owner_id, image.created_at, image.id)
}

/// The listing entry of an image already stored (put back when it is restored).
pub(crate) fn listing_of(owner: UserId, created_at: DateTime<Utc>, id: ImageId) -> Item {
    let mut item = keys::listing(owner, created_at, id);
    item.extend([
        ("image_id".to_owned(), s(id.0.to_string())),
        ("created_at".to_owned(), micros(created_at)),
    ]);
    item
}

/// The entry of an image deleted at `deleted_at`, which the purge pass finds it by.
pub(crate) fn deleted_entry(deleted_at: DateTime<Utc>, id: ImageId) -> Item {
    let mut item = keys::deleted_image(deleted_at, id);
    item.extend([
        ("image_id".to_owned(), s(id.0.to_string())),
        ("deleted_at".to_owned(), micros(deleted_at)),
    ]);
    item
}

pub(crate) fn deleted_entry_of(item: &Item) -> Result<(ImageId, DateTime<Utc>), DbError> {
    Ok((
        ImageId(req_uuid(item, "image_id")?),
        req_time(item, "deleted_at")?,
    ))
}

pub(crate) fn listed_image(item: &Item) -> Result<(ImageId, DateTime<Utc>), DbError> {
    Ok((
        ImageId(req_uuid(item, "image_id")?),
        req_time(item, "created_at")?,
    ))
}

/// The entry of an image with hot originals, last read (or uploaded) at `last_read`.
pub(crate) fn hot_original_entry(last_read: DateTime<Utc>, id: ImageId) -> Item {
    let mut item = keys::hot_original(last_read, id);
    item.extend([
        ("image_id".to_owned(), s(id.0.to_string())),
        ("last_read".to_owned(), micros(last_read)),
    ]);
    item
}

pub(crate) fn hot_original_entry_of(item: &Item) -> Result<(ImageId, DateTime<Utc>), DbError> {
    Ok((
        ImageId(req_uuid(item, "image_id")?),
        req_time(item, "last_read")?,
    ))
}

/// The claim of an owner's idempotency key by an image.
pub(crate) fn idempotency(image: &NewImage, idempotency_key: &str) -> Item {
    let mut item = keys::idempotency(image.owner_id, idempotency_key);
    item.insert("image_id".to_owned(), s(image.id.0.to_string()));
    item
}

pub(crate) fn claimed_image(item: &Item) -> Result<ImageId, DbError> {
    req_uuid(item, "image_id").map(ImageId)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use darkroom_core::domain::{ImageFormat, Visibility};

    use super::*;

    fn at(micros: i64) -> DateTime<Utc> {
        DateTime::from_timestamp_micros(micros).unwrap()
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
            derivation: None,
            created_at: at(2_000),
        };
        let item = new_image(&new, "ann", at(1_000)).unwrap();
        let back = image(&item).unwrap();
        assert_eq!((back.id, back.owner_username.as_str()), (new.id, "ann"));
        assert_eq!(
            (back.status, back.tags, back.variants),
            (ImageStatus::Processing, vec![], vec![])
        );
        assert_eq!((back.auto_tags, back.capture), (vec![], Capture::default()));
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
        assert_eq!(back.deleted_at, None);
        let mut deleted = item.clone();
        deleted.insert("deleted_at".into(), micros(at(3_000)));
        assert_eq!(image(&deleted).unwrap().deleted_at, Some(at(3_000)));
        assert_eq!(
            deleted_entry_of(&deleted_entry(at(3_000), new.id)).unwrap(),
            (new.id, at(3_000))
        );
    }
}
