//! `ImageRepository` cases for creation: the image with its job, idempotency, keyset paging.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::Duration;
use darkroom_core::domain::{
    Cursor, ImageId, ImageStatus, NewImage, OutboxMessage, PageRequest, Visibility,
};
use darkroom_core::ports::CreateImageOutcome;

use super::{
    create_user, new_image, now, pending_ids, process_job, stored_image, unique, TestDatabase,
};

pub async fn create_image_records_a_processing_image_and_its_job(db: Arc<TestDatabase>) {
    let owner = create_user(db.as_ref()).await;
    let new = new_image(owner.id, now());
    let job = process_job(new.id);
    assert_eq!(
        db.images.create_image(&new, &job).await.unwrap(),
        CreateImageOutcome::Created
    );

    let image = db
        .images
        .image(new.id)
        .await
        .unwrap()
        .expect("the image was stored");
    assert_eq!(
        (image.id, image.owner_id, image.owner_username.as_str()),
        (new.id, owner.id, owner.username.as_str())
    );
    assert_eq!(
        (image.status, image.failure.clone()),
        (ImageStatus::Processing, None)
    );
    assert_eq!(
        (image.format, image.bytes, image.sha256.as_str()),
        (new.format, new.bytes, new.sha256.as_str())
    );
    assert_eq!(
        (image.width, image.height, image.visibility),
        (None, None, Visibility::Public)
    );
    assert_eq!(
        (
            image.alt_text.clone(),
            image.tags.clone(),
            image.variants.clone()
        ),
        (None, vec![], vec![])
    );
    assert_eq!(
        (image.blurhash.clone(), image.dominant_color.clone()),
        (None, None)
    );
    assert_eq!(
        (
            image.original_key.as_str(),
            image.public_original_key.clone()
        ),
        (new.original_key.as_str(), None)
    );
    assert_eq!(image.created_at, new.created_at);
    assert!(image.updated_at >= image.created_at);

    let pending = db.outbox.pending_outbox(1_000_000).await.unwrap();
    let stored = pending
        .iter()
        .find(|m| m.id == job.id)
        .expect("the job is in the outbox");
    assert_eq!((&stored.topic, &stored.payload), (&job.topic, &job.payload));
    assert_eq!(
        stored.created_at.timestamp_micros(),
        job.created_at.timestamp_micros()
    );
    assert_eq!(db.images.image(ImageId::new()).await.unwrap(), None);
    db.outbox.mark_outbox_relayed(&[job.id]).await.unwrap();
}

pub async fn create_image_writes_both_rows_or_neither(db: Arc<TestDatabase>) {
    let owner = create_user(db.as_ref()).await;
    let first = new_image(owner.id, now());
    let first_job = process_job(first.id);
    db.images.create_image(&first, &first_job).await.unwrap();

    // The image cannot be written (its id is taken): its job must not be either.
    let clash = NewImage {
        id: first.id,
        original_key: unique("other"),
        ..new_image(owner.id, now())
    };
    let clash_job = process_job(clash.id);
    assert!(db.images.create_image(&clash, &clash_job).await.is_err());
    assert!(
        !pending_ids(db.as_ref()).await.contains(&clash_job.id),
        "a job without its image was written"
    );

    // The job cannot be written (its id is taken): the image must not be either.
    let orphan = new_image(owner.id, now());
    let orphan_job = OutboxMessage {
        id: first_job.id,
        ..process_job(orphan.id)
    };
    assert!(db.images.create_image(&orphan, &orphan_job).await.is_err());
    assert_eq!(
        db.images.image(orphan.id).await.unwrap(),
        None,
        "an image without its job was written"
    );
    db.outbox
        .mark_outbox_relayed(&[first_job.id])
        .await
        .unwrap();
}

pub async fn a_reused_idempotency_key_replays_the_earlier_image(db: Arc<TestDatabase>) {
    let owner = create_user(db.as_ref()).await;
    let key = Some(unique("idem"));
    let first = NewImage {
        idempotency_key: key.clone(),
        derivation: None,
        ..new_image(owner.id, now())
    };
    stored_image(db.as_ref(), &first).await;

    let retry = NewImage {
        idempotency_key: key.clone(),
        derivation: None,
        ..new_image(owner.id, now())
    };
    let retry_job = process_job(retry.id);
    let earlier = db.images.image(first.id).await.unwrap().unwrap();
    assert_eq!(
        db.images.create_image(&retry, &retry_job).await.unwrap(),
        CreateImageOutcome::IdempotentReplay(Box::new(earlier))
    );
    assert_eq!(
        db.images.image(retry.id).await.unwrap(),
        None,
        "a replay writes nothing"
    );
    assert!(
        !pending_ids(db.as_ref()).await.contains(&retry_job.id),
        "a replay enqueues nothing"
    );

    // Keys belong to their owner, and images without a key never clash.
    let stranger = create_user(db.as_ref()).await;
    stored_image(
        db.as_ref(),
        &NewImage {
            idempotency_key: key,
            derivation: None,
            ..new_image(stranger.id, now())
        },
    )
    .await;
    stored_image(db.as_ref(), &new_image(owner.id, now())).await;
    stored_image(db.as_ref(), &new_image(owner.id, now())).await;
}

/// Replicas racing on one upload's retries (the same idempotency key at once): one image, one job, and
/// every replay answers with that image.
pub async fn concurrent_uploads_with_one_idempotency_key_make_one_image(db: Arc<TestDatabase>) {
    let owner = create_user(db.as_ref()).await;
    let key = unique("idem");
    let racers: Vec<_> = (0..8)
        .map(|_| {
            let db = db.clone();
            let image = NewImage {
                idempotency_key: Some(key.clone()),
                derivation: None,
                ..new_image(owner.id, now())
            };
            tokio::spawn(async move {
                let job = process_job(image.id);
                let outcome = db.images.create_image(&image, &job).await.unwrap();
                (outcome, job.id)
            })
        })
        .collect();
    let mut created = Vec::new();
    let mut replayed = Vec::new();
    let mut jobs = Vec::new();
    for racer in racers {
        let (outcome, job) = racer.await.unwrap();
        jobs.push(job);
        match outcome {
            CreateImageOutcome::Created => created.push(job),
            CreateImageOutcome::IdempotentReplay(image) => replayed.push(image.id),
        }
    }
    assert_eq!(created.len(), 1, "exactly one racer creates");
    let stored = db
        .images
        .images_by_owner(owner.id, PageRequest::new(None, None))
        .await
        .unwrap();
    assert_eq!(stored.items.len(), 1);
    assert!(replayed.iter().all(|id| *id == stored.items[0].id));
    let pending = pending_ids(db.as_ref()).await;
    let queued: Vec<_> = jobs.iter().filter(|job| pending.contains(job)).collect();
    assert_eq!(queued, vec![&created[0]], "one job, for the one image");
    db.outbox.mark_outbox_relayed(&jobs).await.unwrap();

    // Deleting the image frees its key (even while the deleted image waits for its purge).
    db.images
        .delete_image(stored.items[0].id, now())
        .await
        .unwrap()
        .unwrap();
    let fresh_upload = NewImage {
        idempotency_key: Some(key),
        derivation: None,
        ..new_image(owner.id, now())
    };
    let job = process_job(fresh_upload.id);
    assert_eq!(
        db.images.create_image(&fresh_upload, &job).await.unwrap(),
        CreateImageOutcome::Created
    );
    db.outbox.mark_outbox_relayed(&[job.id]).await.unwrap();
}

pub async fn images_by_owner_pages_newest_first_exactly(db: Arc<TestDatabase>) {
    let owner = create_user(db.as_ref()).await;
    let neighbour = create_user(db.as_ref()).await;
    stored_image(db.as_ref(), &new_image(neighbour.id, now())).await;
    // Three share one instant, two another: only the id can order those, and paging must not skip or
    // repeat any of them. Stored newest-id first so insertion order cannot pass for the right order.
    let base = now() - Duration::hours(1);
    let offsets = [0, 1, 1, 1, 2, 3, 3];
    let mut images: Vec<NewImage> = offsets
        .iter()
        .map(|s| new_image(owner.id, base + Duration::seconds(*s)))
        .collect();
    for image in images.iter().rev() {
        stored_image(db.as_ref(), image).await;
    }
    images.sort_by_key(|i| std::cmp::Reverse((i.created_at, i.id)));
    let expected: Vec<ImageId> = images.iter().map(|i| i.id).collect();

    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    let mut after: Option<Cursor> = None;
    loop {
        let page = db
            .images
            .images_by_owner(owner.id, PageRequest::new(Some(3), after))
            .await
            .unwrap();
        assert!(page
            .items
            .iter()
            .all(|i| i.owner_id == owner.id && i.owner_username == owner.username));
        sizes.push(page.items.len());
        seen.extend(page.items.iter().map(|i| i.id));
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
        assert!(sizes.len() < 10, "paging does not end");
    }
    assert_eq!(
        seen, expected,
        "pages must be newest first, on (created_at, id), without gaps or repeats"
    );
    assert_eq!(sizes, vec![3, 3, 1]);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 7);

    let all = db
        .images
        .images_by_owner(owner.id, PageRequest::new(Some(100), None))
        .await
        .unwrap();
    assert_eq!((all.items.len(), all.next), (7, None));
    let nobody = db
        .images
        .images_by_owner(
            darkroom_core::domain::UserId::new(),
            PageRequest::new(None, None),
        )
        .await
        .unwrap();
    assert_eq!((nobody.items.len(), nobody.next), (0, None));
}
