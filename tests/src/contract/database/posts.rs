//! `PostRepository` cases: a post and its author's count move with their event, deletion takes the post's
//! likes and comments, and the two newest-first listings (an author's, and everyone a user follows).

use std::sync::Arc;

use chrono::Duration;
use darkroom_core::domain::{
    Comment, CommentId, Event, FollowState, PageRequest, Post, PostId, Visibility,
};

use super::social::{
    all_pages, concurrently, first_page, follows, is_pending, new_post, pages_after, post_created,
    stored_follow, stored_post, user,
};
use super::{create_user, now, TestDatabase};

/// `PostRepository`'s contract.
#[macro_export]
macro_rules! post_repository_contract_suite {
    ($factory:path) => {
        $crate::database_cases!($factory;
            create_post_counts_and_writes_its_event,
            posts_by_ids_answers_those_that_exist,
            delete_post_takes_its_likes_and_comments,
            posts_by_author_pages_newest_first,
            posts_followed_by_reads_active_follows_only,
            posts_followed_by_pages_stably_across_authors,
            concurrent_posts_keep_posts_count_exact,
        );
    };
}

fn post_deleted(post: &Post) -> darkroom_core::domain::OutboxMessage {
    Event::PostDeleted {
        post_id: post.id,
        author_id: post.author_id,
    }
    .to_outbox()
}

/// Newest first by (created_at, id).
fn newest_first(mut posts: Vec<Post>) -> Vec<Post> {
    posts.sort_by_key(|p| std::cmp::Reverse((p.created_at, p.id)));
    posts
}

fn ids(posts: &[Post]) -> Vec<PostId> {
    posts.iter().map(|p| p.id).collect()
}

pub async fn create_post_counts_and_writes_its_event(db: Arc<TestDatabase>) {
    let author = create_user(&db).await.id;
    let post = Post {
        visibility: Visibility::Followers,
        ..new_post(author, now(), true)
    };
    let event = post_created(&post);
    db.posts.create_post(&post, &event).await.unwrap();
    assert!(is_pending(&db, event.id).await, "the event was not written");
    assert_eq!(db.posts.post(post.id).await.unwrap(), Some(post.clone()));
    assert_eq!(user(&db, author).await.posts_count, 1);

    let unfanned = stored_post(&db, author, now(), false).await;
    assert_eq!(db.posts.post(unfanned.id).await.unwrap(), Some(unfanned));
    assert_eq!(user(&db, author).await.posts_count, 2);
    assert_eq!(db.posts.post(PostId::new()).await.unwrap(), None);
    db.outbox.mark_outbox_relayed(&[event.id]).await.unwrap();
}

pub async fn posts_by_ids_answers_those_that_exist(db: Arc<TestDatabase>) {
    let author = create_user(&db).await.id;
    let a = stored_post(&db, author, now(), true).await;
    let b = stored_post(&db, author, now(), false).await;
    stored_post(&db, author, now(), true).await;
    let mut found = db
        .posts
        .posts_by_ids(&[b.id, PostId::new(), a.id, a.id])
        .await
        .unwrap();
    found.sort_by_key(|p| p.id);
    found.dedup_by_key(|p| p.id);
    assert_eq!(found, vec![a, b]);
    assert_eq!(db.posts.posts_by_ids(&[]).await.unwrap(), vec![]);
}

pub async fn delete_post_takes_its_likes_and_comments(db: Arc<TestDatabase>) {
    let author = create_user(&db).await.id;
    let reader = create_user(&db).await.id;
    let post = stored_post(&db, author, now(), true).await;
    let kept = stored_post(&db, author, now(), true).await;
    let liked = Event::PostLiked {
        post_id: post.id,
        user_id: reader,
    };
    assert!(db
        .likes
        .like(post.id, reader, now(), &liked.to_outbox())
        .await
        .unwrap());
    let comment = Comment {
        id: CommentId::new(),
        post_id: post.id,
        author_id: reader,
        text: "lovely".into(),
        created_at: now(),
    };
    let commented = Event::CommentCreated {
        comment_id: comment.id,
        post_id: post.id,
        author_id: reader,
    };
    let commented = commented.to_outbox();
    assert!(db
        .comments
        .create_comment(&comment, &commented)
        .await
        .unwrap());

    let event = post_deleted(&post);
    let deleted = db
        .posts
        .delete_post(post.id, &event)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(deleted.id, post.id);
    assert_eq!((deleted.likes_count, deleted.comments_count), (1, 1));
    assert_eq!(deleted.image_ids, post.image_ids);
    assert!(is_pending(&db, event.id).await);
    assert_eq!(db.posts.post(post.id).await.unwrap(), None);
    assert_eq!(user(&db, author).await.posts_count, 1);
    assert_eq!(db.comments.comment(comment.id).await.unwrap(), None);
    let liked = db.likes.liked(reader, &[post.id, kept.id]).await.unwrap();
    assert_eq!(liked, vec![]);
    assert_eq!(db.posts.post(kept.id).await.unwrap(), Some(kept));

    let again = post_deleted(&post);
    assert_eq!(db.posts.delete_post(post.id, &again).await.unwrap(), None);
    assert!(
        !is_pending(&db, again.id).await,
        "nothing deleted, yet written"
    );
    assert_eq!(user(&db, author).await.posts_count, 1);
    db.outbox.mark_outbox_relayed(&[event.id]).await.unwrap();
}

pub async fn posts_by_author_pages_newest_first(db: Arc<TestDatabase>) {
    let author = create_user(&db).await.id;
    let other = create_user(&db).await.id;
    let base = now() - Duration::hours(1);
    let mut posts = Vec::new();
    // Offsets repeat on purpose: ties are ordered by id.
    for offset in [0, 1, 1, 2, 3, 3, 3] {
        let at = base + Duration::seconds(offset);
        posts.push(stored_post(&db, author, at, offset % 2 == 0).await);
        stored_post(&db, other, at, true).await;
    }
    let posts = newest_first(posts);
    assert_eq!(
        all_pages(2, |p| db.posts.posts_by_author(author, p)).await,
        posts
    );

    let (first, next) = first_page(3, |p| db.posts.posts_by_author(author, p)).await;
    let last = first.last().unwrap();
    assert_eq!((next.created_at, next.id), (last.created_at, last.id.0));
    stored_post(&db, author, now(), true).await;
    let rest = pages_after(3, Some(next), |p| db.posts.posts_by_author(author, p));
    assert_eq!([first, rest.await].concat(), posts);
}

pub async fn posts_followed_by_reads_active_follows_only(db: Arc<TestDatabase>) {
    let reader = create_user(&db).await.id;
    let followed = create_user(&db).await.id;
    let asked = create_user(&db).await.id;
    let stranger = create_user(&db).await.id;
    let reader_follower = create_user(&db).await.id;
    follows(&db, reader, followed).await;
    stored_follow(&db, reader, asked, FollowState::Requested, now()).await;
    follows(&db, reader_follower, reader).await;
    let base = now() - Duration::hours(1);
    let mut expected = Vec::new();
    for (offset, fanned_out) in [(0, true), (1, false), (2, true), (2, false), (3, true)] {
        let at = base + Duration::seconds(offset);
        expected.push(stored_post(&db, followed, at, fanned_out).await);
        for author in [asked, stranger, reader_follower, reader] {
            stored_post(&db, author, at, fanned_out).await;
        }
    }
    let expected = newest_first(expected);
    let read = |fanned_out: Option<bool>| {
        let db = db.clone();
        async move { all_pages(2, |p| db.posts.posts_followed_by(reader, fanned_out, p)).await }
    };
    assert_eq!(read(None).await, expected);
    for fanned_out in [true, false] {
        let filtered: Vec<Post> = expected
            .iter()
            .filter(|p| p.fanned_out == fanned_out)
            .cloned()
            .collect();
        assert_eq!(ids(&read(Some(fanned_out)).await), ids(&filtered));
    }
    let lonely = create_user(&db).await.id;
    let none = db
        .posts
        .posts_followed_by(lonely, None, PageRequest::new(None, None));
    assert_eq!(none.await.unwrap().items, vec![]);
}

/// Several authors whose posts interleave (one with many, one with a single old post), read a few at a
/// time while new posts arrive: every post once, in order, whatever the page boundaries.
pub async fn posts_followed_by_pages_stably_across_authors(db: Arc<TestDatabase>) {
    let reader = create_user(&db).await.id;
    let prolific = create_user(&db).await.id;
    let occasional = create_user(&db).await.id;
    let quiet = create_user(&db).await.id;
    for author in [prolific, occasional, quiet] {
        follows(&db, reader, author).await;
    }
    let base = now() - Duration::hours(1);
    let mut expected = Vec::new();
    expected.push(stored_post(&db, quiet, base, true).await);
    for i in 1..=9 {
        let at = base + Duration::seconds(i);
        expected.push(stored_post(&db, prolific, at, i % 3 != 0).await);
        if i % 4 == 0 {
            expected.push(stored_post(&db, occasional, at, false).await);
        }
    }
    let expected = newest_first(expected);
    for limit in [1, 2, 3, 5, 100] {
        let read = all_pages(limit, |p| db.posts.posts_followed_by(reader, None, p)).await;
        assert_eq!(ids(&read), ids(&expected), "pages of {limit}");
    }
    let unfanned: Vec<Post> = expected.iter().filter(|p| !p.fanned_out).cloned().collect();
    let read = all_pages(2, |p| db.posts.posts_followed_by(reader, Some(false), p)).await;
    assert_eq!(ids(&read), ids(&unfanned));

    let (first, next) = first_page(4, |p| db.posts.posts_followed_by(reader, None, p)).await;
    stored_post(&db, prolific, now(), true).await;
    stored_post(&db, quiet, now(), false).await;
    let rest = pages_after(4, Some(next), |p| {
        db.posts.posts_followed_by(reader, None, p)
    });
    assert_eq!(ids(&[first, rest.await].concat()), ids(&expected));
}

pub async fn concurrent_posts_keep_posts_count_exact(db: Arc<TestDatabase>) {
    let author = create_user(&db).await.id;
    let posts: Vec<Post> = (0..16).map(|_| new_post(author, now(), true)).collect();
    let events = concurrently(posts.len(), |i| {
        let (db, post) = (db.clone(), posts[i].clone());
        async move {
            let event = post_created(&post);
            db.posts.create_post(&post, &event).await.unwrap();
            event.id
        }
    })
    .await;
    assert_eq!(user(&db, author).await.posts_count, 16);
    db.outbox.mark_outbox_relayed(&events).await.unwrap();

    // Each post deleted twice at once: one of the twins deletes it.
    let deleted = concurrently(posts.len() * 2, |i| {
        let (db, post) = (db.clone(), posts[i / 2].clone());
        async move {
            let event = post_deleted(&post);
            db.posts
                .delete_post(post.id, &event)
                .await
                .unwrap()
                .map(|_| event.id)
        }
    })
    .await;
    for twins in deleted.chunks(2) {
        assert_eq!(twins.iter().flatten().count(), 1, "{twins:?}");
    }
    assert_eq!(user(&db, author).await.posts_count, 0);
    let events: Vec<_> = deleted.into_iter().flatten().collect();
    db.outbox.mark_outbox_relayed(&events).await.unwrap();
}
