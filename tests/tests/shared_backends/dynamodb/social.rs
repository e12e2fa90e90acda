//! The social repositories on DynamoDB where its request limits split the work: fan-out to more owners
//! than one BatchGetItem (100 keys) or BatchWriteItem (25 items) takes, a post with more likes and comments
//! than one batch deletes, more unread notifications than one transaction marks, and listings paged
//! across several Queries. The contract suite checks the semantics; these check that nothing is lost at
//! the seams.

use chrono::{DateTime, Utc};
use darkroom_core::domain::{
    Comment, CommentId, Event, Follow, FollowState, ImageId, Notification, NotificationKind,
    OutboxMessage, PageRequest, Post, PostId, TimelineEntry, UserId, Visibility,
};
use darkroom_core::ports::{
    CommentRepository, FollowRepository, LikeRepository, NotificationRepository, PostRepository,
    TimelineRepository, UserRepository,
};

use super::{fresh, new_user, DeleteTable};

fn at(micros: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(1_700_000_000_000_000 + micros).unwrap()
}

fn event() -> OutboxMessage {
    Event::UserUpdated {
        user_id: UserId::new(),
    }
    .to_outbox()
}

fn post(author: UserId, created_at: DateTime<Utc>, fanned_out: bool) -> Post {
    Post {
        id: PostId::new(),
        author_id: author,
        image_ids: vec![ImageId::new()],
        caption: String::new(),
        hashtags: vec![],
        mentions: vec![],
        visibility: Visibility::Public,
        likes_count: 0,
        comments_count: 0,
        fanned_out,
        created_at,
    }
}

async fn users(db: &impl UserRepository, count: usize) -> Vec<UserId> {
    let mut ids = Vec::with_capacity(count);
    for _ in 0..count {
        ids.push(db.create_user(&new_user()).await.unwrap().id);
    }
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fan_out_spans_several_batches_and_counts_each_entry_once() {
    let Some(db) = fresh().await else { return };
    let _guard = DeleteTable(db.clone());
    let owners: Vec<UserId> = (0..70).map(|_| UserId::new()).collect();
    // 60 timelines exist; 10 owners never read theirs.
    for owner in &owners[..60] {
        db.build_timeline(*owner, &[], true).await.unwrap();
    }
    let entry = TimelineEntry {
        post_id: PostId::new(),
        author_id: UserId::new(),
        created_at: at(1),
    };
    let with_repeats: Vec<UserId> = owners.iter().chain(&owners[..5]).copied().collect();
    assert_eq!(
        db.add_to_timelines(&with_repeats, &entry).await.unwrap(),
        60
    );
    assert_eq!(
        db.add_to_timelines(&owners, &entry).await.unwrap(),
        0,
        "a redelivery writes nothing"
    );
    let page = db
        .timeline(owners[59], PageRequest::new(None, None))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(page.page.items, vec![entry]);
    assert_eq!(
        db.timeline(owners[60], PageRequest::new(None, None))
            .await
            .unwrap(),
        None
    );
    assert_eq!(db.remove_post(entry.post_id).await.unwrap(), 60);
    let page = db
        .timeline(owners[0], PageRequest::new(None, None))
        .await
        .unwrap()
        .unwrap();
    assert!(page.page.items.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follower_ids_page_in_id_order_and_counts_stay_exact() {
    let Some(db) = fresh().await else { return };
    let _guard = DeleteTable(db.clone());
    let star = users(db.as_ref(), 1).await[0];
    let mut fans = users(db.as_ref(), 12).await;
    for (index, fan) in fans.iter().enumerate() {
        let follow = Follow {
            follower_id: *fan,
            followee_id: star,
            state: FollowState::Active,
            created_at: at(index as i64),
        };
        db.follow(&follow, &event()).await.unwrap();
    }
    fans.sort();
    let mut paged = Vec::new();
    let mut after = None;
    loop {
        let ids = db.follower_ids(star, after, 5).await.unwrap();
        if ids.is_empty() {
            break;
        }
        after = ids.last().copied();
        paged.extend(ids);
    }
    assert_eq!(paged, fans);
    db.unfollow(fans[3], star, &event()).await.unwrap();
    let star_now = db.user_by_id(star).await.unwrap().unwrap();
    assert_eq!(star_now.followers_count, 11);
    assert!(!db
        .follower_ids(star, None, 100)
        .await
        .unwrap()
        .contains(&fans[3]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn followed_posts_merge_across_authors_by_time_then_id() {
    let Some(db) = fresh().await else { return };
    let _guard = DeleteTable(db.clone());
    let ids = users(db.as_ref(), 4).await;
    let (reader, authors) = (ids[0], &ids[1..]);
    let mut posts = Vec::new();
    for (index, author) in authors.iter().enumerate() {
        db.follow(
            &Follow {
                follower_id: reader,
                followee_id: *author,
                state: FollowState::Active,
                created_at: at(0),
            },
            &event(),
        )
        .await
        .unwrap();
        // Interleaved in time, two of each author's posts at the very same instant as another's.
        for step in 0..5 {
            let created_at = at(10 * step + (index as i64 % 2));
            let post = post(*author, created_at, index != 2);
            db.create_post(&post, &event()).await.unwrap();
            posts.push(post);
        }
    }
    posts.sort_by_key(|post| std::cmp::Reverse((post.created_at, post.id)));
    let mut read = Vec::new();
    let mut after = None;
    loop {
        let page = db
            .posts_followed_by(reader, None, PageRequest::new(Some(4), after))
            .await
            .unwrap();
        read.extend(page.items.iter().map(|post| post.id));
        after = page.next;
        if after.is_none() {
            break;
        }
    }
    assert_eq!(read, posts.iter().map(|post| post.id).collect::<Vec<_>>());
    let merged_only = db
        .posts_followed_by(reader, Some(false), PageRequest::new(Some(100), None))
        .await
        .unwrap();
    assert_eq!(merged_only.items.len(), 5);
    assert!(merged_only
        .items
        .iter()
        .all(|post| post.author_id == authors[2]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_post_removes_more_likes_and_comments_than_one_batch() {
    let Some(db) = fresh().await else { return };
    let _guard = DeleteTable(db.clone());
    let author = users(db.as_ref(), 1).await[0];
    let post = post(author, at(0), true);
    db.create_post(&post, &event()).await.unwrap();
    let fans: Vec<UserId> = (0..30).map(|_| UserId::new()).collect();
    let mut comments = Vec::new();
    for (index, fan) in fans.iter().enumerate() {
        assert!(db.like(post.id, *fan, at(1), &event()).await.unwrap());
        let comment = Comment {
            id: CommentId::new(),
            post_id: post.id,
            author_id: *fan,
            text: format!("comment {index}"),
            created_at: at(index as i64),
        };
        assert!(db.create_comment(&comment, &event()).await.unwrap());
        comments.push(comment);
    }
    let stored = db.post(post.id).await.unwrap().unwrap();
    assert_eq!((stored.likes_count, stored.comments_count), (30, 30));
    db.delete_post(post.id, &event()).await.unwrap().unwrap();
    assert!(db.liked(fans[29], &[post.id]).await.unwrap().is_empty());
    assert_eq!(db.comment(comments[29].id).await.unwrap(), None);
    let listed = db
        .comments(post.id, PageRequest::new(Some(100), None))
        .await
        .unwrap();
    assert!(listed.items.is_empty());
    assert_eq!(db.user_by_id(author).await.unwrap().unwrap().posts_count, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn marking_more_notifications_than_one_transaction_keeps_the_count_exact() {
    let Some(db) = fresh().await else { return };
    let _guard = DeleteTable(db.clone());
    let recipient = UserId::new();
    let mut notes = Vec::new();
    for _ in 0..90 {
        let note = Notification::new(
            recipient,
            NotificationKind::Like,
            Some(UserId::new()),
            Some(PostId::new()),
            None,
            None,
        );
        assert!(db.notify(&note).await.unwrap());
        notes.push(note);
    }
    assert_eq!(db.unread_count(recipient).await.unwrap(), 90);
    let some: Vec<_> = notes[..45].iter().map(|note| note.id).collect();
    assert_eq!(db.mark_read(recipient, Some(&some)).await.unwrap(), 45);
    assert_eq!(db.mark_read(recipient, Some(&some)).await.unwrap(), 0);
    assert_eq!(db.unread_count(recipient).await.unwrap(), 45);
    assert_eq!(db.mark_read(recipient, None).await.unwrap(), 45);
    assert_eq!(db.unread_count(recipient).await.unwrap(), 0);
    let page = db
        .notifications(recipient, PageRequest::new(Some(100), None))
        .await
        .unwrap();
    assert_eq!(page.items.len(), 90);
    assert!(page.items.iter().all(|note| note.read));
}
