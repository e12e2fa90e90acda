//! `CommentRepository` cases: a comment and its post's count move with its event, deletion answers the
//! comment, a post's comments page oldest first, and counts stay exact under concurrent calls.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use darkroom_core::domain::{Comment, CommentId, Event, OutboxMessage, PostId, UserId};

use super::social::{all_pages, concurrently, first_page, is_pending, pages_after, stored_post};
use super::{create_user, now, TestDatabase};

/// `CommentRepository`'s contract.
#[macro_export]
macro_rules! comment_repository_contract_suite {
    ($factory:path) => {
        $crate::database_cases!($factory;
            create_comment_counts_and_writes_its_event,
            delete_comment_answers_it_and_uncounts_it,
            comments_page_oldest_first,
            concurrent_comments_keep_counts_exact,
        );
    };
}

fn new_comment(post: PostId, author: UserId, created_at: DateTime<Utc>) -> Comment {
    Comment {
        id: CommentId::new(),
        post_id: post,
        author_id: author,
        text: format!("nice one {}", super::unique("c")),
        created_at,
    }
}

fn comment_created(comment: &Comment) -> OutboxMessage {
    Event::CommentCreated {
        comment_id: comment.id,
        post_id: comment.post_id,
        author_id: comment.author_id,
    }
    .to_outbox()
}

/// Creates a comment (its event then marked relayed).
async fn stored_comment(db: &TestDatabase, comment: &Comment) {
    let event = comment_created(comment);
    assert!(db.comments.create_comment(comment, &event).await.unwrap());
    db.outbox.mark_outbox_relayed(&[event.id]).await.unwrap();
}

async fn comments_count(db: &TestDatabase, post: PostId) -> u64 {
    db.posts.post(post).await.unwrap().unwrap().comments_count
}

pub async fn create_comment_counts_and_writes_its_event(db: Arc<TestDatabase>) {
    let author = create_user(&db).await.id;
    let reader = create_user(&db).await.id;
    let post = stored_post(&db, author, now(), true).await.id;

    let comment = new_comment(post, reader, now());
    let event = comment_created(&comment);
    assert!(db.comments.create_comment(&comment, &event).await.unwrap());
    assert!(is_pending(&db, event.id).await, "the event was not written");
    assert_eq!(
        db.comments.comment(comment.id).await.unwrap(),
        Some(comment)
    );
    assert_eq!(comments_count(&db, post).await, 1);

    let orphan = new_comment(PostId::new(), reader, now());
    let refused = comment_created(&orphan);
    assert!(!db.comments.create_comment(&orphan, &refused).await.unwrap());
    assert!(
        !is_pending(&db, refused.id).await,
        "a refused comment wrote its event"
    );
    assert_eq!(db.comments.comment(orphan.id).await.unwrap(), None);
    assert_eq!(db.comments.comment(CommentId::new()).await.unwrap(), None);
    db.outbox.mark_outbox_relayed(&[event.id]).await.unwrap();
}

pub async fn delete_comment_answers_it_and_uncounts_it(db: Arc<TestDatabase>) {
    let author = create_user(&db).await.id;
    let post = stored_post(&db, author, now(), true).await.id;
    let gone = new_comment(post, author, now());
    let kept = new_comment(post, author, now());
    stored_comment(&db, &gone).await;
    stored_comment(&db, &kept).await;
    assert_eq!(comments_count(&db, post).await, 2);

    assert_eq!(
        db.comments.delete_comment(gone.id).await.unwrap(),
        Some(gone.clone())
    );
    assert_eq!(db.comments.comment(gone.id).await.unwrap(), None);
    assert_eq!(comments_count(&db, post).await, 1);
    assert_eq!(db.comments.delete_comment(gone.id).await.unwrap(), None);
    assert_eq!(comments_count(&db, post).await, 1);
    assert_eq!(db.comments.comment(kept.id).await.unwrap(), Some(kept));
}

pub async fn comments_page_oldest_first(db: Arc<TestDatabase>) {
    let author = create_user(&db).await.id;
    let post = stored_post(&db, author, now(), true).await.id;
    let elsewhere = stored_post(&db, author, now(), true).await.id;
    let base = now() - Duration::hours(1);
    let mut comments = Vec::new();
    // Offsets repeat on purpose: ties are ordered by id.
    for offset in [3, 0, 1, 1, 2, 2, 2] {
        let at = base + Duration::seconds(offset);
        let comment = new_comment(post, author, at);
        stored_comment(&db, &comment).await;
        stored_comment(&db, &new_comment(elsewhere, author, at)).await;
        comments.push(comment);
    }
    comments.sort_by_key(|c| (c.created_at, c.id));
    assert_eq!(
        all_pages(2, |p| db.comments.comments(post, p)).await,
        comments
    );

    // The cursor is the last comment's (created_at, id); comments written meanwhile come after it.
    let (first, next) = first_page(3, |p| db.comments.comments(post, p)).await;
    let last = first.last().unwrap();
    assert_eq!((next.created_at, next.id), (last.created_at, last.id.0));
    let late = new_comment(post, author, now());
    stored_comment(&db, &late).await;
    let rest = pages_after(3, Some(next), |p| db.comments.comments(post, p)).await;
    comments.push(late);
    assert_eq!([first, rest].concat(), comments);
}

/// 16 comments written at once, then each deleted twice at once: one of each twin answers the comment.
pub async fn concurrent_comments_keep_counts_exact(db: Arc<TestDatabase>) {
    let author = create_user(&db).await.id;
    let post = stored_post(&db, author, now(), true).await.id;
    let mut comments = Vec::new();
    for _ in 0..16 {
        let reader = create_user(&db).await.id;
        comments.push(new_comment(post, reader, now()));
    }
    let events = concurrently(comments.len(), |i| {
        let (db, comment) = (db.clone(), comments[i].clone());
        async move {
            let event = comment_created(&comment);
            assert!(db.comments.create_comment(&comment, &event).await.unwrap());
            event.id
        }
    })
    .await;
    assert_eq!(comments_count(&db, post).await, 16);
    db.outbox.mark_outbox_relayed(&events).await.unwrap();

    let deleted = concurrently(comments.len() * 2, |i| {
        let (db, id) = (db.clone(), comments[i / 2].id);
        async move { db.comments.delete_comment(id).await.unwrap() }
    })
    .await;
    for (twins, comment) in deleted.chunks(2).zip(&comments) {
        let answered: Vec<_> = twins.iter().flatten().collect();
        assert_eq!(answered, vec![comment]);
    }
    assert_eq!(comments_count(&db, post).await, 0);
}
