//! `LeaseRepository` cases: one holder at a time, renewal, expiry by time, release, and a race.

use std::sync::Arc;
use std::time::Duration;

use super::{now, TestDatabase};
use crate::contract::unique;

const TTL: Duration = Duration::from_secs(60);

pub async fn a_lease_has_one_holder_until_it_runs_out(db: Arc<TestDatabase>) {
    let name = unique("pass");
    let t0 = now();
    assert!(db.leases.acquire_lease(&name, "a", t0, TTL).await.unwrap());
    assert!(!db.leases.acquire_lease(&name, "b", t0, TTL).await.unwrap());
    // The holder renews; the other still waits.
    let t1 = t0 + chrono::Duration::seconds(30);
    assert!(db.leases.acquire_lease(&name, "a", t1, TTL).await.unwrap());
    let before_renewed_end = t0 + chrono::Duration::seconds(80);
    assert!(!db
        .leases
        .acquire_lease(&name, "b", before_renewed_end, TTL)
        .await
        .unwrap());
    // Once its time is out (the renewal ran to t1 + 60 s), another takes it.
    let after = t1 + chrono::Duration::seconds(61);
    assert!(db
        .leases
        .acquire_lease(&name, "b", after, TTL)
        .await
        .unwrap());
    assert!(!db
        .leases
        .acquire_lease(&name, "a", after, TTL)
        .await
        .unwrap());
}

pub async fn releasing_frees_a_lease_only_for_its_holder(db: Arc<TestDatabase>) {
    let name = unique("pass");
    let t0 = now();
    assert!(db.leases.acquire_lease(&name, "a", t0, TTL).await.unwrap());
    db.leases.release_lease(&name, "b").await.unwrap();
    assert!(!db.leases.acquire_lease(&name, "b", t0, TTL).await.unwrap());
    db.leases.release_lease(&name, "a").await.unwrap();
    assert!(db.leases.acquire_lease(&name, "b", t0, TTL).await.unwrap());
    db.leases
        .release_lease(&unique("never"), "a")
        .await
        .unwrap();
}

pub async fn of_racing_callers_one_gets_a_free_lease(db: Arc<TestDatabase>) {
    let name = unique("pass");
    let t0 = now();
    let tries = (0..6).map(|i| {
        let db = db.clone();
        let name = name.clone();
        tokio::spawn(async move {
            db.leases
                .acquire_lease(&name, &format!("replica-{i}"), t0, TTL)
                .await
                .unwrap()
        })
    });
    let mut won = 0;
    for attempt in tries {
        won += usize::from(attempt.await.unwrap());
    }
    assert_eq!(won, 1);
}
