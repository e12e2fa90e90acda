//! `NotificationRepository` cases: a recipient's dedup key is stored once, the inbox pages newest first,
//! unread counts and marking read (some or all, never another's), and withdrawing what an actor caused.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use darkroom_core::domain::{
    CommentId, ImageId, Notification, NotificationId, NotificationKind, PostId, UserId,
};

use super::social::{all_pages, first_page, pages_after};
use super::{create_user, now, TestDatabase};

/// `NotificationRepository`'s contract.
#[macro_export]
macro_rules! notification_repository_contract_suite {
    ($factory:path) => {
        $crate::database_cases!($factory;
            notify_stores_a_dedup_key_once,
            notifications_page_newest_first,
            mark_read_marks_some_or_all_of_the_recipients,
            withdraw_removes_one_kind_from_one_actor,
        );
    };
}

fn notification(
    recipient: UserId,
    kind: NotificationKind,
    actor: UserId,
    at: DateTime<Utc>,
) -> Notification {
    Notification {
        created_at: at,
        ..Notification::new(recipient, kind, Some(actor), None, None, None)
    }
}

async fn notified(db: &TestDatabase, notification: &Notification) {
    assert!(db.notifications.notify(notification).await.unwrap());
}

async fn inbox(db: &TestDatabase, recipient: UserId) -> Vec<Notification> {
    all_pages(2, |p| db.notifications.notifications(recipient, p)).await
}

pub async fn notify_stores_a_dedup_key_once(db: Arc<TestDatabase>) {
    let recipient = create_user(&db).await.id;
    let other = create_user(&db).await.id;
    let actor = UserId::new();
    // Every field round-trips.
    let full = Notification {
        created_at: now(),
        ..Notification::new(
            recipient,
            NotificationKind::Comment,
            Some(actor),
            Some(PostId::new()),
            Some(CommentId::new()),
            Some(ImageId::new()),
        )
    };
    notified(&db, &full).await;
    assert!(
        !db.notifications.notify(&full).await.unwrap(),
        "redelivered"
    );
    let same_news = Notification {
        id: NotificationId::new(),
        created_at: now(),
        ..full.clone()
    };
    assert!(!db.notifications.notify(&same_news).await.unwrap());
    assert_eq!(inbox(&db, recipient).await, vec![full.clone()]);

    // The key is the recipient's: someone else may hold the same one.
    let elsewhere = Notification {
        id: NotificationId::new(),
        recipient_id: other,
        ..full.clone()
    };
    notified(&db, &elsewhere).await;
    let failed = Notification {
        created_at: now(),
        ..Notification::new(
            recipient,
            NotificationKind::ProcessingFailed,
            None,
            None,
            None,
            Some(ImageId::new()),
        )
    };
    notified(&db, &failed).await;
    assert_eq!(inbox(&db, recipient).await.len(), 2);
    assert_eq!(inbox(&db, other).await, vec![elsewhere]);
    assert_eq!(db.notifications.unread_count(recipient).await.unwrap(), 2);
}

pub async fn notifications_page_newest_first(db: Arc<TestDatabase>) {
    let recipient = create_user(&db).await.id;
    let neighbour = create_user(&db).await.id;
    let base = now() - Duration::hours(1);
    let mut expected = Vec::new();
    // Offsets repeat on purpose: ties are ordered by id.
    for (i, offset) in [0, 1, 1, 2, 3, 3, 3].into_iter().enumerate() {
        let kind = NotificationKind::ALL[i % NotificationKind::ALL.len()];
        let at = base + Duration::seconds(offset);
        let n = notification(recipient, kind, UserId::new(), at);
        notified(&db, &n).await;
        notified(&db, &notification(neighbour, kind, UserId::new(), at)).await;
        expected.push(n);
    }
    expected.sort_by_key(|n| std::cmp::Reverse((n.created_at, n.id)));
    assert_eq!(inbox(&db, recipient).await, expected);

    let (first, next) = first_page(3, |p| db.notifications.notifications(recipient, p)).await;
    let last = first.last().unwrap();
    assert_eq!((next.created_at, next.id), (last.created_at, last.id.0));
    let late = notification(recipient, NotificationKind::Like, UserId::new(), now());
    notified(&db, &late).await;
    let rest = pages_after(3, Some(next), |p| {
        db.notifications.notifications(recipient, p)
    });
    assert_eq!([first, rest.await].concat(), expected);
}

pub async fn mark_read_marks_some_or_all_of_the_recipients(db: Arc<TestDatabase>) {
    let recipient = create_user(&db).await.id;
    let other = create_user(&db).await.id;
    let mut mine = Vec::new();
    for kind in [
        NotificationKind::Follow,
        NotificationKind::Like,
        NotificationKind::Mention,
        NotificationKind::Comment,
    ] {
        let n = notification(recipient, kind, UserId::new(), now());
        notified(&db, &n).await;
        mine.push(n.id);
    }
    let theirs = notification(other, NotificationKind::Like, UserId::new(), now());
    notified(&db, &theirs).await;
    assert_eq!(db.notifications.unread_count(recipient).await.unwrap(), 4);

    // Another's id and an unknown one are ignored.
    let some = [mine[0], mine[2], theirs.id, NotificationId::new()];
    let marked = db.notifications.mark_read(recipient, Some(&some)).await;
    assert_eq!(marked.unwrap(), 2);
    assert_eq!(db.notifications.unread_count(recipient).await.unwrap(), 2);
    assert_eq!(db.notifications.unread_count(other).await.unwrap(), 1);
    let again = db
        .notifications
        .mark_read(recipient, Some(&some[..2]))
        .await;
    assert_eq!(again.unwrap(), 0, "already read: nothing changed");
    assert_eq!(
        db.notifications
            .mark_read(recipient, Some(&[]))
            .await
            .unwrap(),
        0
    );
    let read: Vec<_> = inbox(&db, recipient)
        .await
        .into_iter()
        .filter(|n| n.read)
        .map(|n| n.id)
        .collect();
    assert_eq!(read.len(), 2);
    assert!(read.contains(&mine[0]) && read.contains(&mine[2]));

    assert_eq!(
        db.notifications.mark_read(recipient, None).await.unwrap(),
        2
    );
    assert_eq!(db.notifications.unread_count(recipient).await.unwrap(), 0);
    assert!(inbox(&db, recipient).await.iter().all(|n| n.read));
    assert_eq!(
        db.notifications.mark_read(recipient, None).await.unwrap(),
        0
    );
    assert_eq!(db.notifications.unread_count(other).await.unwrap(), 1);
    assert!(!inbox(&db, other).await[0].read);
}

pub async fn withdraw_removes_one_kind_from_one_actor(db: Arc<TestDatabase>) {
    let recipient = create_user(&db).await.id;
    let other = create_user(&db).await.id;
    let (asker, someone) = (UserId::new(), UserId::new());
    let request = notification(recipient, NotificationKind::FollowRequest, asker, now());
    let kept = [
        notification(recipient, NotificationKind::FollowRequest, someone, now()),
        notification(recipient, NotificationKind::Follow, asker, now()),
        notification(other, NotificationKind::FollowRequest, asker, now()),
    ];
    notified(&db, &request).await;
    for n in &kept {
        notified(&db, n).await;
    }
    let withdrawn = db
        .notifications
        .withdraw(recipient, NotificationKind::FollowRequest, asker)
        .await;
    assert_eq!(withdrawn.unwrap(), 1);
    let left: Vec<_> = inbox(&db, recipient)
        .await
        .into_iter()
        .map(|n| n.id)
        .collect();
    assert_eq!(left.len(), 2);
    assert!(left.contains(&kept[0].id) && left.contains(&kept[1].id));
    assert_eq!(inbox(&db, other).await, vec![kept[2].clone()]);
    assert_eq!(db.notifications.unread_count(recipient).await.unwrap(), 2);
    let again = db
        .notifications
        .withdraw(recipient, NotificationKind::FollowRequest, asker)
        .await;
    assert_eq!(again.unwrap(), 0);
}
