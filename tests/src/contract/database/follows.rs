//! `FollowRepository` cases: one follow per pair with its event, counts of `Active` follows only (exact
//! under concurrent calls), requests and their acceptance, unfollowing, and the three listings.

use std::sync::Arc;

use chrono::Duration;
use darkroom_core::domain::{Follow, FollowState, PageRequest, UserId};
use darkroom_core::ports::FollowOutcome;

use super::social::{
    all_pages, first_page, follow_changed, follow_of, is_pending, pages_after, stored_follow, user,
};
use super::{at_micros, create_user, now, TestDatabase};

/// `FollowRepository`'s contract.
#[macro_export]
macro_rules! follow_repository_contract_suite {
    ($factory:path) => {
        $crate::database_cases!($factory;
            follow_writes_one_follow_with_its_event,
            requests_count_once_accepted,
            unfollow_removes_the_follow_and_answers_its_state,
            followers_and_following_page_newest_first,
            follower_ids_are_the_active_followers_in_id_order,
            concurrent_follows_and_unfollows_keep_counts_exact,
            concurrent_accepts_and_unfollows_keep_counts_exact,
        );
    };
}

/// (followers_count, following_count) of `id`.
async fn counts(db: &TestDatabase, id: UserId) -> (u64, u64) {
    let user = user(db, id).await;
    (user.followers_count, user.following_count)
}

pub async fn follow_writes_one_follow_with_its_event(db: Arc<TestDatabase>) {
    let (a, b) = (create_user(&db).await.id, create_user(&db).await.id);
    let event = follow_changed(a, b);
    let follow = follow_of(a, b, FollowState::Active, now());
    assert_eq!(
        db.follows.follow(&follow, &event).await.unwrap(),
        FollowOutcome::Created(FollowState::Active)
    );
    assert!(is_pending(&db, event.id).await, "the event was not written");
    assert_eq!(counts(&db, b).await, (1, 0));
    assert_eq!(counts(&db, a).await, (0, 1));
    assert_eq!(
        db.follows.follow_state(a, b).await.unwrap(),
        Some(FollowState::Active)
    );
    assert_eq!(db.follows.follow_state(b, a).await.unwrap(), None);

    // Once there is a follow, whatever the state asked, nothing more is written.
    for state in [FollowState::Active, FollowState::Requested] {
        let again = follow_changed(a, b);
        let outcome = db
            .follows
            .follow(&follow_of(a, b, state, now()), &again)
            .await
            .unwrap();
        assert_eq!(outcome, FollowOutcome::Existing(FollowState::Active));
        assert!(!is_pending(&db, again.id).await, "a repeat wrote its event");
    }
    assert_eq!(counts(&db, b).await, (1, 0));
    assert_eq!(counts(&db, a).await, (0, 1));
    let listed = db
        .follows
        .followers(b, FollowState::Active, PageRequest::new(None, None))
        .await
        .unwrap();
    assert_eq!(listed.items, vec![follow]);
    db.outbox.mark_outbox_relayed(&[event.id]).await.unwrap();
}

pub async fn requests_count_once_accepted(db: Arc<TestDatabase>) {
    let (a, b) = (create_user(&db).await.id, create_user(&db).await.id);
    let asked_at = now() - Duration::minutes(5);
    let event = follow_changed(a, b);
    let request = follow_of(a, b, FollowState::Requested, asked_at);
    assert_eq!(
        db.follows.follow(&request, &event).await.unwrap(),
        FollowOutcome::Created(FollowState::Requested)
    );
    assert!(is_pending(&db, event.id).await);
    assert_eq!(
        (counts(&db, a).await, counts(&db, b).await),
        ((0, 0), (0, 0))
    );
    let page = PageRequest::new(None, None);
    let requests = db.follows.followers(b, FollowState::Requested, page);
    assert_eq!(requests.await.unwrap().items, vec![request.clone()]);
    let active = db.follows.followers(b, FollowState::Active, page);
    assert_eq!(active.await.unwrap().items, vec![]);
    assert_eq!(db.follows.following(a, page).await.unwrap().items, vec![]);

    let accepted_at = now();
    let accepted = follow_changed(a, b);
    assert!(db
        .follows
        .accept_follow(a, b, accepted_at, &accepted)
        .await
        .unwrap());
    assert!(is_pending(&db, accepted.id).await);
    assert_eq!(
        (counts(&db, a).await, counts(&db, b).await),
        ((0, 1), (1, 0))
    );
    let follow = follow_of(a, b, FollowState::Active, accepted_at);
    let active = db.follows.followers(b, FollowState::Active, page);
    assert_eq!(active.await.unwrap().items, vec![follow.clone()]);
    assert_eq!(
        db.follows.following(a, page).await.unwrap().items,
        vec![follow]
    );
    let requests = db.follows.followers(b, FollowState::Requested, page);
    assert_eq!(requests.await.unwrap().items, vec![]);

    // No request (any more, or ever): nothing is written.
    for (follower, followee) in [(a, b), (b, a)] {
        let again = follow_changed(follower, followee);
        assert!(!db
            .follows
            .accept_follow(follower, followee, now(), &again)
            .await
            .unwrap());
        assert!(!is_pending(&db, again.id).await);
    }
    assert_eq!(
        (counts(&db, a).await, counts(&db, b).await),
        ((0, 1), (1, 0))
    );
    db.outbox
        .mark_outbox_relayed(&[event.id, accepted.id])
        .await
        .unwrap();
}

pub async fn unfollow_removes_the_follow_and_answers_its_state(db: Arc<TestDatabase>) {
    let (a, b, c) = (
        create_user(&db).await.id,
        create_user(&db).await.id,
        create_user(&db).await.id,
    );
    stored_follow(&db, a, b, FollowState::Active, now()).await;
    stored_follow(&db, c, b, FollowState::Active, now()).await;
    stored_follow(&db, a, c, FollowState::Requested, now()).await;

    let event = follow_changed(a, b);
    assert_eq!(
        db.follows.unfollow(a, b, &event).await.unwrap(),
        Some(FollowState::Active)
    );
    assert!(is_pending(&db, event.id).await);
    assert_eq!(db.follows.follow_state(a, b).await.unwrap(), None);
    assert_eq!(counts(&db, b).await, (1, 0), "c still follows b");
    assert_eq!(counts(&db, a).await, (0, 0));

    let again = follow_changed(a, b);
    assert_eq!(db.follows.unfollow(a, b, &again).await.unwrap(), None);
    assert!(
        !is_pending(&db, again.id).await,
        "nothing to remove, yet written"
    );

    // Taking back a request moves no count.
    let withdrawn = follow_changed(a, c);
    assert_eq!(
        db.follows.unfollow(a, c, &withdrawn).await.unwrap(),
        Some(FollowState::Requested)
    );
    assert!(is_pending(&db, withdrawn.id).await);
    assert_eq!(db.follows.follow_state(a, c).await.unwrap(), None);
    assert_eq!(counts(&db, c).await, (0, 1));
    assert_eq!(counts(&db, a).await, (0, 0));
    let requests = db
        .follows
        .followers(c, FollowState::Requested, PageRequest::new(None, None));
    assert_eq!(requests.await.unwrap().items, vec![]);
    db.outbox
        .mark_outbox_relayed(&[event.id, withdrawn.id])
        .await
        .unwrap();
}

/// Newest first by (created_at, the other user's id).
fn newest_first(mut follows: Vec<Follow>, other: impl Fn(&Follow) -> UserId) -> Vec<Follow> {
    follows.sort_by_key(|f| std::cmp::Reverse((f.created_at, other(f))));
    follows
}

pub async fn followers_and_following_page_newest_first(db: Arc<TestDatabase>) {
    let star = create_user(&db).await.id;
    let fan = create_user(&db).await.id;
    let base = now() - Duration::hours(1);
    let mut followers = Vec::new();
    let mut following = Vec::new();
    // Offsets repeat on purpose: ties are ordered by the other user's id.
    for offset in [0, 1, 1, 2, 3, 3, 4] {
        let at = base + Duration::seconds(offset);
        let other = create_user(&db).await.id;
        stored_follow(&db, other, star, FollowState::Active, at).await;
        followers.push(follow_of(other, star, FollowState::Active, at));
        let other = create_user(&db).await.id;
        stored_follow(&db, fan, other, FollowState::Active, at).await;
        following.push(follow_of(fan, other, FollowState::Active, at));
    }
    // Requests are listed apart, and never among whom someone follows.
    let asking = create_user(&db).await.id;
    stored_follow(&db, asking, star, FollowState::Requested, base).await;
    stored_follow(&db, fan, asking, FollowState::Requested, base).await;
    let followers = newest_first(followers, |f| f.follower_id);
    let following = newest_first(following, |f| f.followee_id);

    let listed = all_pages(2, |p| db.follows.followers(star, FollowState::Active, p)).await;
    assert_eq!(listed, followers);
    assert_eq!(
        all_pages(3, |p| db.follows.following(fan, p)).await,
        following
    );
    let requests = all_pages(2, |p| db.follows.followers(star, FollowState::Requested, p));
    assert_eq!(
        requests.await,
        vec![follow_of(asking, star, FollowState::Requested, base)]
    );

    // The cursor is the last follow's (created_at, other user's id); a follow made meanwhile (newest of
    // all) shifts nothing on the pages after it.
    let (first, next) = first_page(3, |p| db.follows.followers(star, FollowState::Active, p)).await;
    let last = first.last().unwrap();
    assert_eq!(
        (next.created_at, next.id),
        (last.created_at, last.follower_id.0)
    );
    let late = create_user(&db).await.id;
    stored_follow(&db, late, star, FollowState::Active, now()).await;
    let rest = pages_after(3, Some(next), |p| {
        db.follows.followers(star, FollowState::Active, p)
    });
    assert_eq!([first, rest.await].concat(), followers);
}

pub async fn follower_ids_are_the_active_followers_in_id_order(db: Arc<TestDatabase>) {
    let star = create_user(&db).await.id;
    let other_star = create_user(&db).await.id;
    let mut ids = Vec::new();
    for _ in 0..5 {
        let fan = create_user(&db).await.id;
        stored_follow(&db, fan, star, FollowState::Active, now()).await;
        ids.push(fan);
    }
    let asking = create_user(&db).await.id;
    stored_follow(&db, asking, star, FollowState::Requested, now()).await;
    stored_follow(&db, asking, other_star, FollowState::Active, now()).await;
    ids.sort();

    assert_eq!(db.follows.follower_ids(star, None, 100).await.unwrap(), ids);
    let mut batched = Vec::new();
    let mut after = None;
    loop {
        let batch = db.follows.follower_ids(star, after, 2).await.unwrap();
        assert!(batch.len() <= 2);
        match batch.last() {
            Some(last) => after = Some(*last),
            None => break,
        }
        batched.extend(batch);
    }
    assert_eq!(batched, ids);
    // `after` need not be a follower: the batch starts past it in id order.
    let middle = ids[2];
    let after_middle = db.follows.follower_ids(star, Some(middle), 100).await;
    assert_eq!(after_middle.unwrap(), ids[3..].to_vec());
    let none = db.follows.follower_ids(other_star, Some(asking), 100).await;
    assert_eq!(none.unwrap(), Vec::<UserId>::new());
}

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
    let made = super::social::concurrently(calls, |i| {
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
    let pending = super::pending_ids(&db).await;
    assert_eq!(
        events.iter().filter(|id| pending.contains(id)).count(),
        calls / 2
    );

    let unmade = super::social::concurrently(calls, |i| {
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
    let accepted = super::social::concurrently(askers.len() * 3, |i| {
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
