//! `OutboxRepository` cases: oldest first, pending until marked. Other cases write to the same outbox at the
//! same time, so these look only at their own messages, in the order the backend returned them.

use std::sync::Arc;

use chrono::Duration;
use darkroom_core::domain::OutboxMessage;
use darkroom_core::ports::CreateImageOutcome;
use uuid::Uuid;

use super::{create_user, new_image, now, pending_ids, process_job, TestDatabase};

/// Our messages among the pending ones, in the backend's order.
async fn ours(db: &TestDatabase, mine: &[Uuid]) -> Vec<Uuid> {
    pending_ids(db)
        .await
        .into_iter()
        .filter(|id| mine.contains(id))
        .collect()
}

pub async fn outbox_is_oldest_first_and_pending_until_marked(db: Arc<TestDatabase>) {
    let owner = create_user(db.as_ref()).await;
    let base = now() - Duration::minutes(5);
    let mut jobs = Vec::new();
    for offset in [0, 1, 2] {
        let image = new_image(owner.id, now());
        let job = OutboxMessage {
            created_at: base + Duration::seconds(offset),
            ..process_job(image.id)
        };
        jobs.push((image, job));
    }
    // Written newest first: the outbox orders by age, not by arrival.
    for (image, job) in jobs.iter().rev() {
        assert_eq!(
            db.images.create_image(image, job).await.unwrap(),
            CreateImageOutcome::Created
        );
    }
    let ids: Vec<Uuid> = jobs.iter().map(|(_, job)| job.id).collect();
    assert_eq!(ours(db.as_ref(), &ids).await, ids);

    let pending = db.outbox.pending_outbox(1_000_000).await.unwrap();
    for (_, job) in &jobs {
        let stored = pending.iter().find(|m| m.id == job.id).unwrap();
        assert_eq!((&stored.topic, &stored.payload), (&job.topic, &job.payload));
        assert_eq!(stored.created_at, job.created_at);
    }
    assert_eq!(
        db.outbox.pending_outbox(1).await.unwrap().len(),
        1,
        "the limit is honoured"
    );

    // Reading does not consume; marking does, and only what it names.
    assert_eq!(ours(db.as_ref(), &ids).await, ids);
    db.outbox
        .mark_outbox_relayed(&[ids[0], ids[2]])
        .await
        .unwrap();
    assert_eq!(ours(db.as_ref(), &ids).await, vec![ids[1]]);
    db.outbox.mark_outbox_relayed(&[ids[1]]).await.unwrap();
    assert_eq!(ours(db.as_ref(), &ids).await, Vec::<Uuid>::new());
    // Marking twice is harmless (a relay may retry).
    db.outbox.mark_outbox_relayed(&ids).await.unwrap();
}

pub async fn marking_unknown_outbox_ids_is_harmless(db: Arc<TestDatabase>) {
    let owner = create_user(db.as_ref()).await;
    let image = new_image(owner.id, now());
    let job = process_job(image.id);
    db.images.create_image(&image, &job).await.unwrap();
    db.outbox.mark_outbox_relayed(&[]).await.unwrap();
    db.outbox
        .mark_outbox_relayed(&[Uuid::new_v4(), Uuid::now_v7()])
        .await
        .unwrap();
    assert_eq!(ours(db.as_ref(), &[job.id]).await, vec![job.id]);
    db.outbox.mark_outbox_relayed(&[job.id]).await.unwrap();
}
