//! `ImageRepository` cases for retention: the soft delete, the restore inside the window, the purge pass's
//! listing and removals, and races between deletes and between restores.
//!
//! The purge pass lists deleted images of every owner, so the cases that list delete at times long ago, in a
//! window of their own (`ancient`), and only look at their own ids.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use darkroom_core::domain::{ImageId, NewImage, PageRequest};
use darkroom_core::ports::CreateImageOutcome;

use super::{at_micros, create_user, new_image, now, process_job, stored_image, TestDatabase};
use crate::contract::unique;

/// A start time long ago and of this run alone, so that no other case's deletions fall near it.
fn ancient() -> DateTime<Utc> {
    let spread = (uuid::Uuid::new_v4().as_u128() % 1_000_000_000_000) as i64;
    at_micros(1_000_000_000_000_000 + spread)
}

async fn listed(db: &TestDatabase, owner: darkroom_core::domain::UserId) -> Vec<ImageId> {
    db.images
        .images_by_owner(owner, PageRequest::new(None, None))
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|image| image.id)
        .collect()
}

pub async fn delete_image_hides_it_from_listings_and_keeps_the_row(db: Arc<TestDatabase>) {
    let owner = create_user(db.as_ref()).await;
    let key = unique("idem");
    let new = NewImage {
        idempotency_key: Some(key.clone()),
        ..new_image(owner.id, now())
    };
    stored_image(db.as_ref(), &new).await;
    let kept = new_image(owner.id, now());
    stored_image(db.as_ref(), &kept).await;
    let before = db.images.image(new.id).await.unwrap().unwrap();
    assert_eq!(before.deleted_at, None);

    let at = now();
    let deleted = db.images.delete_image(new.id, at).await.unwrap().unwrap();
    assert_eq!(deleted.deleted_at, Some(at));
    assert_eq!(
        deleted,
        db.images.image(new.id).await.unwrap().unwrap(),
        "the row stays, marked, and is what the delete answered"
    );
    assert_eq!(
        deleted.variants, before.variants,
        "nothing but the mark changes"
    );
    let by_ids = db.images.images_by_ids(&[new.id]).await.unwrap();
    assert_eq!(by_ids.len(), 1);
    assert_eq!(by_ids[0].deleted_at, Some(at));
    assert_eq!(listed(&db, owner.id).await, vec![kept.id]);

    // Deleting again, or something that does not exist, changes nothing.
    assert_eq!(db.images.delete_image(new.id, now()).await.unwrap(), None);
    assert_eq!(
        db.images.image(new.id).await.unwrap().unwrap().deleted_at,
        Some(at)
    );
    assert_eq!(
        db.images.delete_image(ImageId::new(), now()).await.unwrap(),
        None
    );

    // Its idempotency key is free again.
    let again = NewImage {
        idempotency_key: Some(key),
        ..new_image(owner.id, now())
    };
    let job = process_job(again.id);
    assert_eq!(
        db.images.create_image(&again, &job).await.unwrap(),
        CreateImageOutcome::Created
    );
    db.outbox.mark_outbox_relayed(&[job.id]).await.unwrap();
}

pub async fn restore_image_brings_it_back_inside_the_window_only(db: Arc<TestDatabase>) {
    let owner = create_user(db.as_ref()).await;
    let new = new_image(owner.id, now());
    stored_image(db.as_ref(), &new).await;
    let before = db.images.image(new.id).await.unwrap().unwrap();
    let at = now();
    db.images.delete_image(new.id, at).await.unwrap().unwrap();

    // The window opened after the delete: too late.
    let too_late = at + Duration::microseconds(1);
    assert_eq!(
        db.images.restore_image(new.id, too_late).await.unwrap(),
        None
    );
    assert_eq!(
        db.images.image(new.id).await.unwrap().unwrap().deleted_at,
        Some(at),
        "a refused restore leaves it deleted"
    );

    // The window opened at the delete (inclusive): restored exactly as it was.
    let restored = db.images.restore_image(new.id, at).await.unwrap();
    assert_eq!(restored, Some(before.clone()));
    assert_eq!(db.images.image(new.id).await.unwrap(), Some(before));
    assert_eq!(listed(&db, owner.id).await, vec![new.id]);

    // A live image, and one that does not exist, have nothing to restore.
    assert_eq!(
        db.images
            .restore_image(new.id, at - Duration::days(1))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        db.images
            .restore_image(ImageId::new(), at - Duration::days(1))
            .await
            .unwrap(),
        None
    );

    // Deleted again, it can be restored again.
    let second = now();
    db.images
        .delete_image(new.id, second)
        .await
        .unwrap()
        .unwrap();
    assert!(listed(&db, owner.id).await.is_empty());
    assert!(db
        .images
        .restore_image(new.id, second)
        .await
        .unwrap()
        .is_some());
    assert_eq!(listed(&db, owner.id).await, vec![new.id]);
}

pub async fn deleted_images_are_listed_longest_deleted_first_and_purged_for_good(
    db: Arc<TestDatabase>,
) {
    let owner = create_user(db.as_ref()).await;
    let base = ancient();
    let cutoff = base + Duration::hours(10);
    let (sooner, later, recent, live) = (
        new_image(owner.id, now()),
        new_image(owner.id, now()),
        new_image(owner.id, now()),
        new_image(owner.id, now()),
    );
    for image in [&sooner, &later, &recent, &live] {
        stored_image(db.as_ref(), image).await;
    }
    // Deleted in another order than they are listed in.
    let deletions = [
        (&later, base + Duration::hours(2)),
        (&recent, cutoff),
        (&sooner, base + Duration::hours(1)),
    ];
    for (image, at) in deletions {
        db.images.delete_image(image.id, at).await.unwrap().unwrap();
    }
    let ours = |found: Vec<ImageId>| -> Vec<ImageId> {
        found
            .into_iter()
            .filter(|id| [sooner.id, later.id, recent.id, live.id].contains(id))
            .collect()
    };
    let due = db.images.deleted_images(cutoff, 1_000).await.unwrap();
    assert_eq!(
        ours(due),
        vec![sooner.id, later.id],
        "deleted before the cutoff (exclusive), the longest deleted first"
    );
    assert_eq!(db.images.deleted_images(cutoff, 1).await.unwrap().len(), 1);

    // Neither a live image nor one deleted at the cutoff is purged.
    assert!(!db.images.purge_image(live.id, cutoff).await.unwrap());
    assert!(db.images.image(live.id).await.unwrap().is_some());
    assert!(!db.images.purge_image(recent.id, cutoff).await.unwrap());
    assert!(db.images.image(recent.id).await.unwrap().is_some());

    assert!(db.images.purge_image(sooner.id, cutoff).await.unwrap());
    assert_eq!(db.images.image(sooner.id).await.unwrap(), None);
    assert!(db
        .images
        .images_by_ids(&[sooner.id])
        .await
        .unwrap()
        .is_empty());
    assert!(
        !db.images.purge_image(sooner.id, cutoff).await.unwrap(),
        "purging twice purges once"
    );
    assert_eq!(
        db.images
            .restore_image(sooner.id, base - Duration::days(1))
            .await
            .unwrap(),
        None,
        "a purged image cannot come back"
    );
    let due = db.images.deleted_images(cutoff, 1_000).await.unwrap();
    assert_eq!(ours(due), vec![later.id]);

    // The rest, for tidiness (and to check a later cutoff takes the recent one).
    let end = cutoff + Duration::seconds(1);
    assert!(db.images.purge_image(later.id, end).await.unwrap());
    assert!(db.images.purge_image(recent.id, end).await.unwrap());
    assert!(ours(db.images.deleted_images(end, 1_000).await.unwrap()).is_empty());
    assert_eq!(listed(&db, owner.id).await, vec![live.id]);
}

pub async fn of_concurrent_deletes_and_restores_one_each_succeeds(db: Arc<TestDatabase>) {
    let owner = create_user(db.as_ref()).await;
    let new = new_image(owner.id, now());
    stored_image(db.as_ref(), &new).await;
    let at = now();
    let deletes = (0..4).map(|i| {
        let db = db.clone();
        tokio::spawn(async move {
            let when = at + Duration::microseconds(i);
            db.images.delete_image(new.id, when).await.unwrap()
        })
    });
    let mut deleted = Vec::new();
    for delete in deletes.collect::<Vec<_>>() {
        deleted.extend(delete.await.unwrap());
    }
    assert_eq!(deleted.len(), 1, "exactly one delete marks it");
    let marked = db.images.image(new.id).await.unwrap().unwrap();
    assert_eq!(marked.deleted_at, deleted[0].deleted_at);

    let restores = (0..4).map(|_| {
        let db = db.clone();
        tokio::spawn(async move { db.images.restore_image(new.id, at).await.unwrap() })
    });
    let mut restored = 0;
    for restore in restores.collect::<Vec<_>>() {
        restored += usize::from(restore.await.unwrap().is_some());
    }
    assert_eq!(restored, 1, "exactly one restore brings it back");
    assert_eq!(listed(&db, owner.id).await, vec![new.id]);
}
