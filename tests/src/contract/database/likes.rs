//! `LikeRepository` cases: one like per (post, user) with its event, counts exact under concurrent likes
//! and unlikes, and which posts a user likes.

use std::sync::Arc;

use darkroom_core::domain::{Event, OutboxMessage, PostId, UserId};

use super::social::{concurrently, is_pending, stored_post};
use super::{create_user, now, TestDatabase};

/// `LikeRepository`'s contract.
#[macro_export]
macro_rules! like_repository_contract_suite {
    ($factory:path) => {
        $crate::database_cases!($factory;
            like_counts_once_and_writes_its_event,
            a_missing_post_cannot_be_liked,
            liked_answers_the_users_likes_among_posts,
            concurrent_likes_and_unlikes_keep_counts_exact,
        );
    };
}

fn post_liked(post: PostId, user: UserId) -> OutboxMessage {
    Event::PostLiked {
        post_id: post,
        user_id: user,
    }
    .to_outbox()
}

async fn likes_count(db: &TestDatabase, post: PostId) -> u64 {
    db.posts.post(post).await.unwrap().unwrap().likes_count
}

pub async fn like_counts_once_and_writes_its_event(db: Arc<TestDatabase>) {
    let author = create_user(&db).await.id;
    let reader = create_user(&db).await.id;
    let post = stored_post(&db, author, now(), true).await.id;

    let event = post_liked(post, reader);
    assert!(db.likes.like(post, reader, now(), &event).await.unwrap());
    assert!(is_pending(&db, event.id).await, "the event was not written");
    assert_eq!(likes_count(&db, post).await, 1);

    let again = post_liked(post, reader);
    assert!(!db.likes.like(post, reader, now(), &again).await.unwrap());
    assert!(!is_pending(&db, again.id).await, "a repeat wrote its event");
    assert_eq!(likes_count(&db, post).await, 1);

    assert!(db.likes.unlike(post, reader).await.unwrap());
    assert_eq!(likes_count(&db, post).await, 0);
    assert_eq!(db.likes.liked(reader, &[post]).await.unwrap(), vec![]);
    assert!(!db.likes.unlike(post, reader).await.unwrap());
    assert!(!db.likes.unlike(post, author).await.unwrap());
    assert_eq!(likes_count(&db, post).await, 0);

    // Liked again after being taken back: it counts again.
    let relike = post_liked(post, reader);
    assert!(db.likes.like(post, reader, now(), &relike).await.unwrap());
    assert_eq!(likes_count(&db, post).await, 1);
    db.outbox
        .mark_outbox_relayed(&[event.id, relike.id])
        .await
        .unwrap();
}

pub async fn a_missing_post_cannot_be_liked(db: Arc<TestDatabase>) {
    let reader = create_user(&db).await.id;
    let missing = PostId::new();
    let event = post_liked(missing, reader);
    assert!(!db.likes.like(missing, reader, now(), &event).await.unwrap());
    assert!(
        !is_pending(&db, event.id).await,
        "a refused like wrote its event"
    );
    assert_eq!(db.likes.liked(reader, &[missing]).await.unwrap(), vec![]);
    assert!(!db.likes.unlike(missing, reader).await.unwrap());
}

pub async fn liked_answers_the_users_likes_among_posts(db: Arc<TestDatabase>) {
    let author = create_user(&db).await.id;
    let reader = create_user(&db).await.id;
    let other = create_user(&db).await.id;
    let mut posts = Vec::new();
    for _ in 0..4 {
        posts.push(stored_post(&db, author, now(), true).await.id);
    }
    let mut events = Vec::new();
    for (post, user) in [(posts[0], reader), (posts[2], reader), (posts[1], other)] {
        let event = post_liked(post, user);
        assert!(db.likes.like(post, user, now(), &event).await.unwrap());
        events.push(event.id);
    }
    let asked = [posts[3], posts[2], PostId::new(), posts[1], posts[0]];
    let mut liked = db.likes.liked(reader, &asked).await.unwrap();
    liked.sort();
    let mut expected = vec![posts[0], posts[2]];
    expected.sort();
    assert_eq!(liked, expected);
    assert_eq!(db.likes.liked(reader, &[]).await.unwrap(), vec![]);
    assert_eq!(db.likes.liked(author, &posts).await.unwrap(), vec![]);
    db.outbox.mark_outbox_relayed(&events).await.unwrap();
}

/// 12 readers each like one post twice and a second post once, at the same time; then each takes back
/// the first like twice: one of each twin counts, and the counts end exact.
pub async fn concurrent_likes_and_unlikes_keep_counts_exact(db: Arc<TestDatabase>) {
    let author = create_user(&db).await.id;
    let first = stored_post(&db, author, now(), true).await.id;
    let second = stored_post(&db, author, now(), false).await.id;
    let mut readers = Vec::new();
    for _ in 0..12 {
        readers.push(create_user(&db).await.id);
    }
    // Calls 3k and 3k + 1 like `first`, call 3k + 2 likes `second`, all by reader k.
    let liked = concurrently(readers.len() * 3, |i| {
        let (db, reader) = (db.clone(), readers[i / 3]);
        let post = if i % 3 < 2 { first } else { second };
        async move {
            let event = post_liked(post, reader);
            let done = db.likes.like(post, reader, now(), &event).await.unwrap();
            (done, event.id)
        }
    })
    .await;
    for calls in liked.chunks(3) {
        assert_eq!((calls[0].0 as u8 + calls[1].0 as u8, calls[2].0), (1, true));
    }
    assert_eq!(likes_count(&db, first).await, 12);
    assert_eq!(likes_count(&db, second).await, 12);
    let events: Vec<_> = liked.iter().map(|(_, id)| *id).collect();
    let pending = super::pending_ids(&db).await;
    let written = events.iter().filter(|id| pending.contains(id)).count();
    assert_eq!(written, 24, "one event per like that counted");

    let unliked = concurrently(readers.len() * 2, |i| {
        let (db, reader) = (db.clone(), readers[i / 2]);
        async move { db.likes.unlike(first, reader).await.unwrap() }
    })
    .await;
    for twins in unliked.chunks(2) {
        assert_eq!(twins.iter().filter(|done| **done).count(), 1);
    }
    assert_eq!(likes_count(&db, first).await, 0);
    assert_eq!(likes_count(&db, second).await, 12);
    db.outbox.mark_outbox_relayed(&events).await.unwrap();
}
