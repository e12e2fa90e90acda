//! `UploadRepository` cases: an upload and its parts, parts replaced by number, statuses moved only from the
//! expected one, deletion of everything, and the expired ones found by time. Other cases share the database,
//! so the expiry case looks far in the past, where only its own uploads are.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use darkroom_core::domain::{
    ImageId, Upload, UploadId, UploadPart, UploadStatus, UserId, Visibility,
};

use super::{at_micros, create_user, now, TestDatabase};

fn new_upload(owner: UserId, expires_at: DateTime<Utc>) -> Upload {
    let image_id = ImageId::new();
    Upload {
        id: UploadId::new(),
        owner_id: owner,
        image_id,
        storage_upload_id: format!("storage-{}", image_id.0.simple()),
        key: format!("images/{image_id}/original"),
        size: Some(12_345_678),
        content_type: Some("image/jpeg".into()),
        visibility: Visibility::Followers,
        status: UploadStatus::Open,
        expires_at,
        created_at: now(),
    }
}

fn part(number: u32, size: u64, tag: &str) -> UploadPart {
    UploadPart {
        number,
        size,
        etag: format!("{:032x}", u128::from(number) * 7 + size as u128),
        checksum: (number % 2 == 0).then(|| format!("{:064x}", number)),
        storage_tag: tag.to_owned(),
    }
}

pub async fn uploads_round_trip_with_their_parts(db: Arc<TestDatabase>) {
    let owner = create_user(&db).await;
    let upload = new_upload(owner.id, now() + Duration::hours(24));
    db.uploads.create_upload(&upload).await.unwrap();
    assert_eq!(
        db.uploads.upload(upload.id).await.unwrap(),
        Some(upload.clone())
    );
    assert!(db.uploads.upload_parts(upload.id).await.unwrap().is_empty());
    let mut without_extras = new_upload(owner.id, now() + Duration::hours(1));
    without_extras.size = None;
    without_extras.content_type = None;
    db.uploads.create_upload(&without_extras).await.unwrap();
    assert_eq!(
        db.uploads.upload(without_extras.id).await.unwrap(),
        Some(without_extras)
    );
    assert_eq!(db.uploads.upload(UploadId::new()).await.unwrap(), None);
    assert!(
        db.uploads.create_upload(&upload).await.is_err(),
        "ids are unique"
    );
}

pub async fn parts_come_in_number_order_and_a_resent_part_replaces_its_number(
    db: Arc<TestDatabase>,
) {
    let owner = create_user(&db).await;
    let upload = new_upload(owner.id, now() + Duration::hours(24));
    db.uploads.create_upload(&upload).await.unwrap();
    for p in [
        part(3, 10, "c"),
        part(1, 5_242_880, "a"),
        part(2, 5_242_880, "b"),
    ] {
        assert!(db.uploads.put_upload_part(upload.id, &p).await.unwrap());
    }
    let again = part(2, 5_242_880, "b-again");
    assert!(db.uploads.put_upload_part(upload.id, &again).await.unwrap());
    assert_eq!(
        db.uploads.upload_parts(upload.id).await.unwrap(),
        vec![part(1, 5_242_880, "a"), again, part(3, 10, "c")]
    );
}

pub async fn parts_are_refused_unless_the_upload_is_open(db: Arc<TestDatabase>) {
    let owner = create_user(&db).await;
    let upload = new_upload(owner.id, now() + Duration::hours(24));
    db.uploads.create_upload(&upload).await.unwrap();
    assert!(!db
        .uploads
        .put_upload_part(UploadId::new(), &part(1, 1, "x"))
        .await
        .unwrap());
    assert!(db
        .uploads
        .set_upload_status(upload.id, UploadStatus::Open, UploadStatus::Completing)
        .await
        .unwrap());
    assert!(!db
        .uploads
        .put_upload_part(upload.id, &part(1, 1, "late"))
        .await
        .unwrap());
    assert!(db.uploads.upload_parts(upload.id).await.unwrap().is_empty());
}

pub async fn a_status_moves_only_from_the_expected_one(db: Arc<TestDatabase>) {
    let owner = create_user(&db).await;
    let upload = new_upload(owner.id, now() + Duration::hours(24));
    db.uploads.create_upload(&upload).await.unwrap();
    let (open, completing, completed) = (
        UploadStatus::Open,
        UploadStatus::Completing,
        UploadStatus::Completed,
    );
    // Two completions at once: exactly one wins.
    let (a, b) = tokio::join!(
        db.uploads.set_upload_status(upload.id, open, completing),
        db.uploads.set_upload_status(upload.id, open, completing)
    );
    assert!(a.unwrap() ^ b.unwrap());
    assert!(!db
        .uploads
        .set_upload_status(upload.id, open, completed)
        .await
        .unwrap());
    assert!(db
        .uploads
        .set_upload_status(upload.id, completing, completed)
        .await
        .unwrap());
    let stored = db.uploads.upload(upload.id).await.unwrap().unwrap();
    assert_eq!(stored.status, completed);
    assert!(!db
        .uploads
        .set_upload_status(UploadId::new(), open, completing)
        .await
        .unwrap());
}

pub async fn deleting_an_upload_removes_its_parts(db: Arc<TestDatabase>) {
    let owner = create_user(&db).await;
    let upload = new_upload(owner.id, now() + Duration::hours(24));
    db.uploads.create_upload(&upload).await.unwrap();
    db.uploads
        .put_upload_part(upload.id, &part(1, 9, "a"))
        .await
        .unwrap();
    assert!(db.uploads.delete_upload(upload.id).await.unwrap());
    assert_eq!(db.uploads.upload(upload.id).await.unwrap(), None);
    assert!(db.uploads.upload_parts(upload.id).await.unwrap().is_empty());
    assert!(!db.uploads.delete_upload(upload.id).await.unwrap());
}

pub async fn expired_uploads_are_found_soonest_first(db: Arc<TestDatabase>) {
    let owner = create_user(&db).await;
    // Long ago, where no other case's upload expires: only this case's uploads are before `cutoff`.
    let base = at_micros(1_000_000_000_000_000 + (rand_micros() % 1_000_000_000_000));
    let cutoff = base + Duration::hours(10);
    let later = new_upload(owner.id, base + Duration::hours(2));
    let sooner = new_upload(owner.id, base + Duration::hours(1));
    let not_yet = new_upload(owner.id, cutoff + Duration::seconds(1));
    for upload in [&later, &sooner, &not_yet] {
        db.uploads.create_upload(upload).await.unwrap();
    }
    let ours = |found: Vec<Upload>| -> Vec<UploadId> {
        found
            .into_iter()
            .map(|u| u.id)
            .filter(|id| [later.id, sooner.id, not_yet.id].contains(id))
            .collect()
    };
    let found = db.uploads.expired_uploads(cutoff, 1_000).await.unwrap();
    assert_eq!(ours(found), vec![sooner.id, later.id]);
    db.uploads.delete_upload(sooner.id).await.unwrap();
    let found = db.uploads.expired_uploads(cutoff, 1_000).await.unwrap();
    assert_eq!(ours(found), vec![later.id]);
    for upload in [&later, &not_yet] {
        db.uploads.delete_upload(upload.id).await.unwrap();
    }
}

/// A spread of start times so that concurrent runs of the expiry case rarely share a window.
fn rand_micros() -> i64 {
    (uuid::Uuid::new_v4().as_u128() % (i64::MAX as u128)) as i64
}
