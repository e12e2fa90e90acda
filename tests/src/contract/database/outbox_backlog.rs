//! `OutboxRepository::outbox_backlog` cases. The outbox is shared with every case running at the same
//! time, so a case can only say that its own messages are counted (at least), and that the oldest is no
//! younger than its own oldest: its messages carry a `created_at` decades back, which no other case's
//! would have by chance, so it can also tell when they stop being the oldest.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use darkroom_core::domain::OutboxMessage;
use uuid::Uuid;

use super::{create_user, new_image, now, process_job, TestDatabase};

/// A moment in 1981 of this case's own (to the microsecond), older than anything a case writes by chance.
fn long_ago() -> DateTime<Utc> {
    let micros = 347_000_000_000_000 + i64::from(Uuid::new_v4().as_u128() as u32);
    DateTime::from_timestamp_micros(micros).unwrap()
}

pub async fn the_outbox_backlog_counts_pending_messages_and_dates_the_oldest(
    db: Arc<TestDatabase>,
) {
    let owner = create_user(db.as_ref()).await;
    let oldest = long_ago();
    let mut ids = Vec::new();
    for offset in [2, 0, 1] {
        let image = new_image(owner.id, now());
        let job = OutboxMessage {
            created_at: oldest + Duration::seconds(offset),
            ..process_job(image.id)
        };
        db.images.create_image(&image, &job).await.unwrap();
        ids.push(job.id);
    }

    let backlog = db.outbox.outbox_backlog().await.unwrap();
    assert!(backlog.pending >= 3, "{backlog:?}");
    let dated = backlog
        .oldest_created_at
        .expect("three messages are pending");
    assert!(
        dated <= oldest,
        "the oldest is at least as old as ours: {backlog:?}"
    );

    // Relayed, they are neither counted nor dated any more (reading the backlog changed nothing before).
    db.outbox.mark_outbox_relayed(&ids).await.unwrap();
    let after = db.outbox.outbox_backlog().await.unwrap();
    let ours = oldest..=oldest + Duration::seconds(2);
    assert!(
        after.oldest_created_at.is_none_or(|at| !ours.contains(&at)),
        "{after:?}"
    );
}
