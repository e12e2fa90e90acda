//! What the social cases share: posts, follows and their events, reading back a user's counts, running
//! calls at once, and walking every page of a keyset-paginated list.

use std::future::Future;

use chrono::{DateTime, Utc};
use darkroom_core::domain::{
    Cursor, Event, Follow, FollowState, ImageId, OutboxMessage, Page, PageRequest, Post, PostId,
    User, UserId, Visibility,
};
use darkroom_core::ports::{DbError, FollowOutcome, Repositories};
use uuid::Uuid;

use super::{now, pending_ids};

/// A post by `author` with two images (the repository does not check them) and a caption with a tag and a
/// mention.
pub(crate) fn new_post(author: UserId, created_at: DateTime<Utc>, fanned_out: bool) -> Post {
    Post {
        id: PostId::new(),
        author_id: author,
        image_ids: vec![ImageId::new(), ImageId::new()],
        caption: "at the lake #Summer with @ada".into(),
        hashtags: vec!["summer".into()],
        mentions: vec!["ada".into()],
        visibility: Visibility::Public,
        likes_count: 0,
        comments_count: 0,
        fanned_out,
        created_at,
    }
}

pub(crate) fn post_created(post: &Post) -> OutboxMessage {
    Event::PostCreated {
        post_id: post.id,
        author_id: post.author_id,
    }
    .to_outbox()
}

/// Creates a post (its event then marked relayed, to keep the outbox tidy).
pub(crate) async fn stored_post(
    db: &Repositories,
    author: UserId,
    created_at: DateTime<Utc>,
    fanned_out: bool,
) -> Post {
    let post = new_post(author, created_at, fanned_out);
    let event = post_created(&post);
    db.posts.create_post(&post, &event).await.unwrap();
    db.outbox.mark_outbox_relayed(&[event.id]).await.unwrap();
    post
}

pub(crate) fn follow_of(
    follower: UserId,
    followee: UserId,
    state: FollowState,
    created_at: DateTime<Utc>,
) -> Follow {
    Follow {
        follower_id: follower,
        followee_id: followee,
        state,
        created_at,
    }
}

pub(crate) fn follow_changed(follower: UserId, followee: UserId) -> OutboxMessage {
    Event::FollowChanged {
        follower_id: follower,
        followee_id: followee,
        accepted: false,
    }
    .to_outbox()
}

/// Makes `follower` follow `followee` in `state` at `at`, asserting it was new.
pub(crate) async fn stored_follow(
    db: &Repositories,
    follower: UserId,
    followee: UserId,
    state: FollowState,
    at: DateTime<Utc>,
) {
    let event = follow_changed(follower, followee);
    let outcome = db
        .follows
        .follow(&follow_of(follower, followee, state, at), &event)
        .await
        .unwrap();
    assert_eq!(outcome, FollowOutcome::Created(state));
    db.outbox.mark_outbox_relayed(&[event.id]).await.unwrap();
}

/// An `Active` follow made now.
pub(crate) async fn follows(db: &Repositories, follower: UserId, followee: UserId) {
    stored_follow(db, follower, followee, FollowState::Active, now()).await;
}

/// Whether the outbox holds message `id`, not yet relayed.
pub(crate) async fn is_pending(db: &Repositories, id: Uuid) -> bool {
    pending_ids(db).await.contains(&id)
}

/// The user as stored now (their counts, above all).
pub(crate) async fn user(db: &Repositories, id: UserId) -> User {
    db.users.user_by_id(id).await.unwrap().unwrap()
}

/// Runs `task(0)` … `task(n - 1)` at once, each on a task of its own, and answers their results in order.
pub(crate) async fn concurrently<T, F, Fut>(n: usize, task: F) -> Vec<T>
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let handles: Vec<_> = (0..n).map(|i| tokio::spawn(task(i))).collect();
    let mut results = Vec::with_capacity(n);
    for handle in handles {
        results.push(handle.await.unwrap());
    }
    results
}

/// Every item from the page after `after` to the end, `limit` at a time, checking each page's size.
pub(crate) async fn pages_after<T, F, Fut>(
    limit: u32,
    after: Option<Cursor>,
    mut fetch: F,
) -> Vec<T>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: Future<Output = Result<Page<T>, DbError>>,
{
    let mut items = Vec::new();
    let mut after = after;
    for _ in 0..10_000 {
        let page = fetch(PageRequest::new(Some(limit), after)).await.unwrap();
        assert!(page.items.len() <= limit as usize, "a page over its limit");
        items.extend(page.items);
        match page.next {
            Some(next) => after = Some(next),
            None => return items,
        }
    }
    panic!("pagination never ended");
}

/// Every item of a list, `limit` at a time.
pub(crate) async fn all_pages<T, F, Fut>(limit: u32, fetch: F) -> Vec<T>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: Future<Output = Result<Page<T>, DbError>>,
{
    pages_after(limit, None, fetch).await
}

/// The first page of `limit` items, which must say that another follows.
pub(crate) async fn first_page<T, F, Fut>(limit: u32, mut fetch: F) -> (Vec<T>, Cursor)
where
    F: FnMut(PageRequest) -> Fut,
    Fut: Future<Output = Result<Page<T>, DbError>>,
{
    let page = fetch(PageRequest::new(Some(limit), None)).await.unwrap();
    assert_eq!(page.items.len(), limit as usize);
    let next = page.next.expect("another page follows");
    (page.items, next)
}
