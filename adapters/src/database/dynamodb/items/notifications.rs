//! The items of an inbox: the notification (in the recipient's partition, newest first), the claim of its
//! dedup key, a marker while it is unread, an entry by (kind, actor) for `withdraw`, and the recipient's
//! unread count. The markers and entries hold the notification's id and time, which make its key.

use chrono::{DateTime, Utc};
use darkroom_core::domain::{
    CommentId, ImageId, Notification, NotificationId, NotificationKind, PostId, UserId,
};
use darkroom_core::ports::DbError;

use super::super::attrs::{
    boolean, micros, opt_uuid, put_opt, req_bool, req_num, req_parsed, req_string, req_time,
    req_uuid, s,
};
use super::super::keys::{self, Item};

pub(crate) fn notification_key(notification: &Notification) -> Item {
    keys::notification(
        notification.recipient_id,
        notification.created_at,
        notification.id,
    )
}

pub(crate) fn notification_item(notification: &Notification) -> Item {
    let mut item = notification_key(notification);
    item.extend([
        ("id".to_owned(), s(notification.id.0.to_string())),
        (
            "recipient_id".to_owned(),
            s(notification.recipient_id.0.to_string()),
        ),
        ("kind".to_owned(), s(notification.kind.as_str())),
        ("dedup_key".to_owned(), s(&notification.dedup_key)),
        ("read".to_owned(), boolean(notification.read)),
        ("created_at".to_owned(), micros(notification.created_at)),
    ]);
    let id = |id: uuid::Uuid| s(id.to_string());
    put_opt(
        &mut item,
        "actor_id",
        notification.actor_id.map(|v| id(v.0)),
    );
    put_opt(&mut item, "post_id", notification.post_id.map(|v| id(v.0)));
    put_opt(
        &mut item,
        "comment_id",
        notification.comment_id.map(|v| id(v.0)),
    );
    put_opt(
        &mut item,
        "image_id",
        notification.image_id.map(|v| id(v.0)),
    );
    item
}

pub(crate) fn notification(item: &Item) -> Result<Notification, DbError> {
    Ok(Notification {
        id: NotificationId(req_uuid(item, "id")?),
        recipient_id: UserId(req_uuid(item, "recipient_id")?),
        kind: req_parsed(item, "kind", NotificationKind::parse)?,
        actor_id: opt_uuid(item, "actor_id")?.map(UserId),
        post_id: opt_uuid(item, "post_id")?.map(PostId),
        comment_id: opt_uuid(item, "comment_id")?.map(CommentId),
        image_id: opt_uuid(item, "image_id")?.map(ImageId),
        dedup_key: req_string(item, "dedup_key")?,
        read: req_bool(item, "read")?,
        created_at: req_time(item, "created_at")?,
    })
}

fn pointing_at(mut item: Item, notification: &Notification) -> Item {
    item.extend([
        ("id".to_owned(), s(notification.id.0.to_string())),
        ("created_at".to_owned(), micros(notification.created_at)),
    ]);
    item
}

/// The claim of the notification's dedup key.
pub(crate) fn notified_item(notification: &Notification) -> Item {
    pointing_at(
        keys::notified(notification.recipient_id, &notification.dedup_key),
        notification,
    )
}

pub(crate) fn unread_key(notification: &Notification) -> Item {
    keys::unread(
        notification.recipient_id,
        notification.created_at,
        notification.id,
    )
}

/// The marker of an unread notification.
pub(crate) fn unread_item(notification: &Notification) -> Item {
    pointing_at(unread_key(notification), notification)
}

pub(crate) fn notified_by_key(notification: &Notification) -> Item {
    keys::notified_by(
        notification.recipient_id,
        notification.kind,
        notification.actor_id,
        notification.created_at,
        notification.id,
    )
}

/// The notification's entry by (kind, actor).
pub(crate) fn notified_by_item(notification: &Notification) -> Item {
    pointing_at(notified_by_key(notification), notification)
}

/// What a marker or an entry by (kind, actor) points at: the notification's id and time.
pub(crate) fn pointed_notification(
    item: &Item,
) -> Result<(NotificationId, DateTime<Utc>), DbError> {
    Ok((
        NotificationId(req_uuid(item, "id")?),
        req_time(item, "created_at")?,
    ))
}

/// The count on a recipient's unread-count item (absent before their first notification).
pub(crate) fn unread_count(item: Option<&Item>) -> Result<u64, DbError> {
    item.map_or(Ok(0), |item| req_num(item, "count"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn notifications_round_trip_and_their_pointers_find_them() {
        let note = Notification {
            // Stored to the microsecond, as cursors carry it.
            created_at: DateTime::from_timestamp_micros(1_700_000_000_000_001).unwrap(),
            ..Notification::new(
                UserId::new(),
                NotificationKind::Like,
                Some(UserId::new()),
                Some(PostId::new()),
                None,
                None,
            )
        };
        assert_eq!(notification(&notification_item(&note)).unwrap(), note);
        for pointer in [
            notified_item(&note),
            unread_item(&note),
            notified_by_item(&note),
        ] {
            assert_eq!(
                pointed_notification(&pointer).unwrap(),
                (note.id, note.created_at)
            );
        }
        assert_eq!(unread_count(None).unwrap(), 0);
        let by = notified_by_key(&note);
        let prefix = keys::notified_by_prefix(note.kind, note.actor_id);
        assert!(
            matches!(&by[keys::SK], aws_sdk_dynamodb::types::AttributeValue::S(sk) if sk.starts_with(&prefix))
        );
    }
}
