//! `FollowRepository` cases of concurrent calls: whatever the interleaving (a pair made in both directions
//! at once, twin calls, acceptances racing withdrawals), one call of each twin wins and the counts on the
//! users equal the follows there are.

use std::sync::Arc;

use darkroom_core::domain::FollowState;
use darkroom_core::ports::FollowOutcome;

use super::follows::counts;
use super::social::{all_pages, concurrently, follow_changed, follow_of, stored_follow};
use super::{at_micros, create_user, now, pending_ids, TestDatabase};

/// Every pair made in both directions at once (rows locked in opposite orders), each call twice, then
/// every pair unmade the same way: one call of each twin wins, and the counts are exact throughout.
pub async fn concurrent_follows_and_unfollows_keep_counts_exact(db: Arc<TestDatabase>) {
    let hub = create_user(&db).await.id;
    let mut others = Vec::new();
    for _ in 0..12 {
        others.push(create_user(&db).await.id);
    }
    // Call i: pair i / 4, in direction (i / 2) % 2; calls 2k and 2k + 1 are twins.
    let pair = |i: usize| {
        let other = others[i / 4];
        if (i / 2) % 2 == 0 {
            (other, hub)
        } else {
            (hub, other)
        }
    };
    let calls = others.len() * 4;
    let made = concurrently(calls, |i| {
        let (db, (follower, followee)) = (db.clone(), pair(i));
        async move {
            let follow = follow_of(follower, followee, FollowState::Active, now());
            let event = follow_changed(follower, followee);
            (db.follows.follow(&follow, &event).await.unwrap(), event.id)
        }
    })
    .await;
    for twins in made.chunks(2) {
        let created = twins
            .iter()
            .filter(|(o, _)| matches!(o, FollowOutcome::Created(_)));
        assert_eq!(created.count(), 1, "{twins:?}");
    }
    let n = others.len() as u64;
    assert_eq!(counts(&db, hub).await, (n, n));
    for other in &others {
        assert_eq!(counts(&db, *other).await, (1, 1));
    }
    let events: Vec<_> = made.iter().map(|(_, id)| *id).collect();
    let pending = pending_ids(&db).await;
    assert_eq!(
        events.iter().filter(|id| pending.contains(id)).count(),
        calls / 2
    );

    let unmade = concurrently(calls, |i| {
        let (db, (follower, followee)) = (db.clone(), pair(i));
        async move {
            let event = follow_changed(follower, followee);
            db.follows
                .unfollow(follower, followee, &event)
                .await
                .unwrap()
        }
    })
    .await;
    for twins in unmade.chunks(2) {
        assert_eq!(twins.iter().flatten().count(), 1, "{twins:?}");
    }
    assert_eq!(counts(&db, hub).await, (0, 0));
    for other in &others {
        assert_eq!(counts(&db, *other).await, (0, 0));
    }
    db.outbox.mark_outbox_relayed(&pending).await.unwrap();
}

/// Requests accepted twice and taken back at once: whatever wins, the counts equal the follows there are.
pub async fn concurrent_accepts_and_unfollows_keep_counts_exact(db: Arc<TestDatabase>) {
    let star = create_user(&db).await.id;
    let mut askers = Vec::new();
    for _ in 0..8 {
        let asker = create_user(&db).await.id;
        stored_follow(&db, asker, star, FollowState::Requested, at_micros(1)).await;
        askers.push(asker);
    }
    // Calls 3k and 3k + 1 accept asker k's request, call 3k + 2 takes it back (for even k only).
    let accepted = concurrently(askers.len() * 3, |i| {
        let (db, asker) = (db.clone(), askers[i / 3]);
        async move {
            let event = follow_changed(asker, star);
            if i % 3 < 2 {
                db.follows
                    .accept_follow(asker, star, now(), &event)
                    .await
                    .unwrap()
            } else if (i / 3) % 2 == 0 {
                db.follows.unfollow(asker, star, &event).await.unwrap();
                false
            } else {
                false
            }
        }
    })
    .await;
    let mut active = 0;
    for (k, asker) in askers.iter().enumerate() {
        let wins = accepted[k * 3..k * 3 + 2]
            .iter()
            .filter(|won| **won)
            .count();
        assert!(wins <= 1, "a request was accepted twice");
        let state = db.follows.follow_state(*asker, star).await.unwrap();
        if k % 2 == 1 {
            assert_eq!((wins, state), (1, Some(FollowState::Active)));
        }
        let following = u64::from(state == Some(FollowState::Active));
        assert_eq!(counts(&db, *asker).await, (0, following));
        active += following;
    }
    assert_eq!(counts(&db, star).await, (active, 0));
    let listed = all_pages(5, |p| db.follows.followers(star, FollowState::Active, p)).await;
    assert_eq!(listed.len() as u64, active);
}
