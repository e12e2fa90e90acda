//! `FollowRepository` cases: one follow per pair with its event, counts of `Active` follows only, requests
//! and their acceptance, unfollowing, and the three listings (concurrent calls: `follows_concurrency`).

use std::sync::Arc;

use chrono::Duration;
use darkroom_core::domain::{Follow, FollowState, PageRequest, UserId};
use darkroom_core::ports::FollowOutcome;

use super::social::{
    all_pages, first_page, follow_changed, follow_of, is_pending, pages_after, stored_follow, user,
};
use super::{create_user, now, TestDatabase};

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
pub(super) async fn counts(db: &TestDatabase, id: UserId) -> (u64, u64) {
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
