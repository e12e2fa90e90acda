//! `OutboxRepository::claim_outbox`: relays on several replicas claim rows, so no two publish the same ones
//! at once; a claim runs out, so a dead relay's rows come back; relayed rows never do. The cases choose
//! `now` themselves, so leases run out without waiting.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use darkroom_core::domain::OutboxMessage;
use darkroom_core::ports::{CreateImageOutcome, Repositories};
use uuid::Uuid;

use super::{create_user, new_image, now, pending_ids, process_job, TestDatabase};

const LEASE: Duration = Duration::from_secs(30);

/// Writes `n` outbox messages (each with its image), a millisecond apart in age, oldest first.
async fn written(db: &Repositories, n: usize) -> Vec<Uuid> {
    let owner = create_user(db).await;
    let base = now() - chrono::Duration::minutes(5);
    let mut ids = Vec::with_capacity(n);
    for offset in 0..n {
        let image = new_image(owner.id, now());
        let job = OutboxMessage {
            created_at: base + chrono::Duration::milliseconds(offset as i64),
            ..process_job(image.id)
        };
        assert_eq!(
            db.images.create_image(&image, &job).await.unwrap(),
            CreateImageOutcome::Created
        );
        ids.push(job.id);
    }
    ids
}

/// What a claim at `at` takes of `ours`, in the order returned.
async fn claim(db: &Repositories, at: DateTime<Utc>, limit: usize, ours: &[Uuid]) -> Vec<Uuid> {
    db.outbox
        .claim_outbox(limit, LEASE, at)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.id)
        .filter(|id| ours.contains(id))
        .collect()
}

pub async fn concurrent_claimers_get_disjoint_rows(db: Arc<TestDatabase>) {
    let ours = written(&db, 12).await;
    let at = now();
    let claimers: Vec<_> = (0..3)
        .map(|_| {
            let (db, ours) = (db.clone(), ours.clone());
            tokio::spawn(async move { claim(&db, at, 5, &ours).await })
        })
        .collect();
    let mut seen = HashSet::new();
    for claimer in claimers {
        let claimed = claimer.await.unwrap();
        assert!(claimed.len() <= 5, "the limit is honoured");
        for id in claimed {
            assert!(seen.insert(id), "{id} was claimed twice");
        }
    }
    assert!(!seen.is_empty());
    // While those claims live, a later claimer gets exactly the rows none of them took (a backend may
    // hand a concurrent claimer fewer rows than it asked for, never one another claimer holds).
    let rest = claim(&db, at, 100, &ours).await;
    for id in &rest {
        assert!(seen.insert(*id), "{id} was claimed twice");
    }
    assert_eq!(seen.len(), ours.len(), "every row was claimed once");
    assert!(claim(&db, at, 100, &ours).await.is_empty());
    // Claimed rows are still pending until they are marked relayed.
    let pending: HashSet<Uuid> = pending_ids(&db).await.into_iter().collect();
    assert!(ours.iter().all(|id| pending.contains(id)));
    db.outbox.mark_outbox_relayed(&ours).await.unwrap();
}

pub async fn an_expired_claim_is_claimable_again(db: Arc<TestDatabase>) {
    let ours = written(&db, 3).await;
    let at = now();
    assert_eq!(claim(&db, at, 100, &ours).await, ours, "oldest first");
    let later = at + chrono::Duration::seconds(10);
    assert!(
        claim(&db, later, 100, &ours).await.is_empty(),
        "the claim still holds"
    );
    // The relay that claimed them died: once its lease has run out, another takes them, oldest first.
    let expired = at + chrono::Duration::from_std(LEASE).unwrap() + chrono::Duration::seconds(1);
    assert_eq!(claim(&db, expired, 100, &ours).await, ours);
    db.outbox.mark_outbox_relayed(&ours).await.unwrap();
}

pub async fn relayed_rows_never_come_back(db: Arc<TestDatabase>) {
    let ours = written(&db, 3).await;
    let at = now();
    let claimed = claim(&db, at, 100, &ours).await;
    assert_eq!(claimed, ours);
    db.outbox.mark_outbox_relayed(&claimed[..2]).await.unwrap();
    let much_later = at + chrono::Duration::days(1);
    assert_eq!(
        claim(&db, much_later, 100, &ours).await,
        vec![ours[2]],
        "only the unrelayed row comes back"
    );
    db.outbox.mark_outbox_relayed(&ours).await.unwrap();
    assert!(
        claim(&db, much_later + chrono::Duration::days(1), 100, &ours)
            .await
            .is_empty()
    );
    let pending = pending_ids(&db).await;
    assert!(ours.iter().all(|id| !pending.contains(id)));
}
