//! `OriginalTierRepository` cases: reads noted forward only, the archive pass's listing (processed, live,
//! hot, long unread; longest unread first), and the marks that move originals between tiers only when they
//! still qualify.
//!
//! The listing is of every owner's images, so the cases that list create their images at times long ago,
//! in a window of their own (`ancient`), and only look at their own ids.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use darkroom_core::domain::{Failure, Image, ImageId, NewImage};

use super::lifecycle::processed;
use super::{at_micros, create_user, new_image, now, stored_image, TestDatabase};

/// A start time long ago and of this run alone, so that no other case's images fall near it.
fn ancient() -> DateTime<Utc> {
    let spread = (uuid::Uuid::new_v4().as_u128() % 1_000_000_000_000) as i64;
    at_micros(500_000_000_000_000 + spread)
}

async fn image(db: &TestDatabase, id: ImageId) -> Image {
    db.images.image(id).await.unwrap().unwrap()
}

/// A ready image of a new owner's, uploaded at `created_at`.
async fn ready_image(db: &TestDatabase, created_at: DateTime<Utc>) -> NewImage {
    let owner = create_user(db).await;
    let new = new_image(owner.id, created_at);
    stored_image(db, &new).await;
    assert!(db
        .images
        .complete_processing(new.id, &processed(new.id))
        .await
        .unwrap());
    new
}

/// The listing for `read_before`, kept to `mine`, in its order.
async fn listed(db: &TestDatabase, read_before: DateTime<Utc>, mine: &[ImageId]) -> Vec<ImageId> {
    db.original_tiers
        .originals_to_archive(read_before, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|id| mine.contains(id))
        .collect()
}

pub async fn reads_of_originals_are_noted_forward_only(db: Arc<TestDatabase>) {
    let new = ready_image(db.as_ref(), now()).await;
    let before = image(db.as_ref(), new.id).await;
    assert_eq!(before.original_read_at, None);
    assert_eq!(before.original_last_read(), new.created_at);

    let at = now() + Duration::seconds(5);
    assert!(db
        .original_tiers
        .note_original_read(new.id, at)
        .await
        .unwrap());
    let noted = image(db.as_ref(), new.id).await;
    assert_eq!(noted.original_read_at, Some(at));
    assert_eq!(noted.updated_at, before.updated_at, "a read is no edit");

    // Never back, never to the same time again, never before the upload.
    assert!(!db
        .original_tiers
        .note_original_read(new.id, at)
        .await
        .unwrap());
    assert!(!db
        .original_tiers
        .note_original_read(new.id, at - Duration::seconds(1))
        .await
        .unwrap());
    assert_eq!(image(db.as_ref(), new.id).await.original_read_at, Some(at));
    let later = at + Duration::days(1);
    assert!(db
        .original_tiers
        .note_original_read(new.id, later)
        .await
        .unwrap());
    assert_eq!(
        image(db.as_ref(), new.id).await.original_read_at,
        Some(later)
    );
    assert!(!db
        .original_tiers
        .note_original_read(ImageId::new(), later)
        .await
        .unwrap());
}

pub async fn originals_to_archive_are_the_long_unread_hot_originals_of_live_processed_images(
    db: Arc<TestDatabase>,
) {
    let start = ancient();
    let minute = |n: i64| start + Duration::minutes(n);
    let oldest = ready_image(db.as_ref(), minute(0)).await;
    let older = ready_image(db.as_ref(), minute(1)).await;
    let read_lately = ready_image(db.as_ref(), minute(2)).await;
    let deleted = ready_image(db.as_ref(), minute(3)).await;
    let recent = ready_image(db.as_ref(), minute(30)).await;
    let failed = {
        let owner = create_user(db.as_ref()).await;
        let new = new_image(owner.id, minute(4));
        stored_image(db.as_ref(), &new).await;
        let failure = Failure {
            code: "undecodable".into(),
            message: "no".into(),
        };
        assert!(db.images.fail_processing(new.id, &failure).await.unwrap());
        new
    };
    let processing = {
        let owner = create_user(db.as_ref()).await;
        let new = new_image(owner.id, minute(5));
        stored_image(db.as_ref(), &new).await;
        new
    };
    // Read after the others were uploaded, and later than the cutoff: it stays.
    assert!(db
        .original_tiers
        .note_original_read(read_lately.id, minute(20))
        .await
        .unwrap());
    // Read at minute 6: before the cutoff, so due, after the failed one.
    assert!(db
        .original_tiers
        .note_original_read(older.id, minute(6))
        .await
        .unwrap());
    db.images
        .delete_image(deleted.id, now())
        .await
        .unwrap()
        .unwrap();
    let mine = [
        oldest.id,
        older.id,
        read_lately.id,
        deleted.id,
        recent.id,
        failed.id,
        processing.id,
    ];

    let cutoff = minute(10);
    assert_eq!(
        listed(db.as_ref(), cutoff, &mine).await,
        vec![oldest.id, failed.id, older.id],
        "longest unread first; no deleted, processing or recently read image"
    );
    assert_eq!(
        listed(db.as_ref(), minute(0), &mine).await,
        Vec::<ImageId>::new()
    );
    // The limit holds.
    let two = db
        .original_tiers
        .originals_to_archive(cutoff, 2)
        .await
        .unwrap();
    assert!(two.len() <= 2, "{two:?}");

    // Archived ones leave the listing; brought back (a read), they are recent again.
    assert!(db
        .original_tiers
        .mark_original_archived(oldest.id, cutoff, now())
        .await
        .unwrap());
    assert_eq!(
        listed(db.as_ref(), cutoff, &mine).await,
        vec![failed.id, older.id]
    );
    assert!(db
        .original_tiers
        .mark_original_hot(oldest.id, minute(25))
        .await
        .unwrap());
    assert_eq!(
        listed(db.as_ref(), cutoff, &mine).await,
        vec![failed.id, older.id]
    );
    assert_eq!(
        listed(db.as_ref(), minute(26), &mine).await,
        vec![failed.id, older.id, read_lately.id, oldest.id]
    );
    // A restored image is listed again.
    let restored = db
        .images
        .restore_image(deleted.id, now() - Duration::days(1))
        .await
        .unwrap();
    assert!(restored.is_some());
    assert_eq!(
        listed(db.as_ref(), cutoff, &mine).await,
        vec![deleted.id, failed.id, older.id]
    );
}

pub async fn originals_move_between_tiers_only_when_they_qualify(db: Arc<TestDatabase>) {
    let start = ancient();
    let new = ready_image(db.as_ref(), start).await;
    let before = image(db.as_ref(), new.id).await;
    let tiers = &db.original_tiers;

    // Read since the cutoff it was listed for: stays hot.
    assert!(!tiers
        .mark_original_archived(new.id, start, now())
        .await
        .unwrap());
    assert_eq!(image(db.as_ref(), new.id).await.original_archived_at, None);

    let cutoff = start + Duration::days(1);
    let at = now();
    assert!(tiers
        .mark_original_archived(new.id, cutoff, at)
        .await
        .unwrap());
    let archived = image(db.as_ref(), new.id).await;
    assert_eq!(archived.original_archived_at, Some(at));
    assert_eq!(
        Image {
            original_archived_at: None,
            ..archived.clone()
        },
        before,
        "nothing else changes, updated_at included"
    );
    assert!(!tiers
        .mark_original_archived(new.id, cutoff, now())
        .await
        .unwrap());
    // A noted read of an archived original moves its time, not its tier.
    let read = now() + Duration::seconds(1);
    assert!(tiers.note_original_read(new.id, read).await.unwrap());
    assert_eq!(
        image(db.as_ref(), new.id).await.original_archived_at,
        Some(at)
    );

    let back = now() + Duration::seconds(2);
    assert!(tiers.mark_original_hot(new.id, back).await.unwrap());
    let hot = image(db.as_ref(), new.id).await;
    assert_eq!(
        (hot.original_archived_at, hot.original_read_at),
        (None, Some(back))
    );
    assert_eq!(hot.updated_at, before.updated_at);
    assert!(!tiers.mark_original_hot(new.id, now()).await.unwrap());
    assert!(!tiers
        .mark_original_hot(ImageId::new(), now())
        .await
        .unwrap());

    // Deleted or processing images are not archived; a deleted archived one may still come back.
    let deleted = ready_image(db.as_ref(), start).await;
    assert!(tiers
        .mark_original_archived(deleted.id, cutoff, now())
        .await
        .unwrap());
    db.images
        .delete_image(deleted.id, now())
        .await
        .unwrap()
        .unwrap();
    assert!(tiers.mark_original_hot(deleted.id, now()).await.unwrap());
    assert!(!tiers
        .mark_original_archived(deleted.id, now() + Duration::days(400), now())
        .await
        .unwrap());
    let owner = create_user(db.as_ref()).await;
    let processing = new_image(owner.id, start);
    stored_image(db.as_ref(), &processing).await;
    assert!(!tiers
        .mark_original_archived(processing.id, cutoff, now())
        .await
        .unwrap());
    assert!(!tiers
        .mark_original_archived(ImageId::new(), cutoff, now())
        .await
        .unwrap());
}
