//! The table's keys: every item is addressed by a partition key `pk` and a sort key `sk`, both strings, and
//! the prefix of `pk` says what kind of item it is (see the module docs for the full list).

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use darkroom_core::domain::{
    CommentId, FollowState, ImageId, NotificationId, NotificationKind, PostId, UserId,
};
use uuid::Uuid;

/// One item, or one key, as the SDK carries it.
pub(super) type Item = HashMap<String, AttributeValue>;

pub(super) const PK: &str = "pk";
pub(super) const SK: &str = "sk";

/// The partition of the outbox's queue entries, sorted oldest first.
const OUTBOX: &str = "OUTBOX";

/// The partition of deleted images waiting for the purge.
const DELETED_IMAGES: &str = "DELETED_IMAGES";

fn key(pk: String, sk: impl Into<String>) -> Item {
    HashMap::from([
        (PK.to_owned(), AttributeValue::S(pk)),
        (SK.to_owned(), AttributeValue::S(sk.into())),
    ])
}

/// The key (`pk`, `sk`) of a whole item, to delete or update what a Query found.
pub(super) fn key_of(item: &Item) -> Item {
    item.iter()
        .filter(|(name, _)| *name == PK || *name == SK)
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect()
}

pub(super) fn user(id: UserId) -> Item {
    key(format!("USER#{}", id.0), "USER")
}

/// Claims a username; holds the user's id.
pub(super) fn username(name: &str) -> Item {
    key(format!("USERNAME#{name}"), "USERNAME")
}

/// Claims an email address; holds the user's id.
pub(super) fn email(address: &str) -> Item {
    key(format!("EMAIL#{address}"), "EMAIL")
}

pub(super) fn token(hash: &str) -> Item {
    key(format!("TOKEN#{hash}"), "TOKEN")
}

/// An account's TOTP factor and its recovery codes.
pub(super) fn second_factor(user: UserId) -> Item {
    key(format!("MFA#{}", user.0), "TOTP")
}

/// A refresh-token family: one login, revoked as a whole.
pub(super) fn family(id: Uuid) -> Item {
    key(format!("FAMILY#{id}"), "FAMILY")
}

/// The partition listing a user's sessions (their refresh-token families), by family id: UUIDv7s, so by
/// start. An entry holds its family's latest `expires_at`; whether the family was revoked is on the family.
pub(super) fn sessions_of(user: UserId) -> String {
    format!("SESSIONS#{}", user.0)
}

pub(super) fn session_entry(user: UserId, family: Uuid) -> Item {
    key(sessions_of(user), family.to_string())
}

pub(super) fn image(id: ImageId) -> Item {
    key(format!("IMAGE#{}", id.0), "IMAGE")
}

/// The partition listing an owner's images, sorted by `order(created_at, id)`.
pub(super) fn images_of(owner: UserId) -> String {
    format!("IMAGES#{}", owner.0)
}

/// An owner's listing entry for one image.
pub(super) fn listing(owner: UserId, created_at: DateTime<Utc>, id: ImageId) -> Item {
    key(images_of(owner), order(created_at, id.0))
}

/// The partition listing deleted images by `order(deleted_at, id)`: the purge pass reads it oldest first.
/// One partition for the whole table, as the outbox's: each entry lives only for the retention window.
pub(super) fn deleted_images() -> String {
    DELETED_IMAGES.to_owned()
}

/// The entry of an image deleted at `deleted_at`.
pub(super) fn deleted_image(deleted_at: DateTime<Utc>, id: ImageId) -> Item {
    key(deleted_images(), order(deleted_at, id.0))
}

/// Claims an owner's idempotency key; holds the id of the image it made.
pub(super) fn idempotency(owner: UserId, idempotency_key: &str) -> Item {
    key(
        format!("IDEMPOTENCY#{}#{idempotency_key}", owner.0),
        "IDEMPOTENCY",
    )
}

pub(super) fn outbox_partition() -> String {
    OUTBOX.to_owned()
}

/// A pending message in the outbox queue partition.
pub(super) fn outbox_entry(created_at: DateTime<Utc>, id: Uuid) -> Item {
    key(outbox_partition(), order(created_at, id))
}

/// Finds a pending message's queue entry from its id alone (`mark_outbox_relayed` has nothing else).
pub(super) fn outbox_pointer(id: Uuid) -> Item {
    key(format!("OUTBOX#{id}"), "OUTBOX")
}

/// The follow of `followee` by `follower`, in either state: the one item that says whether it exists.
pub(super) fn follow(follower: UserId, followee: UserId) -> Item {
    key(format!("FOLLOW#{}#{}", follower.0, followee.0), "FOLLOW")
}

/// The partition listing who follows `followee` (or asked to) in `state`, by `order(created_at, follower)`.
pub(super) fn followers_of(followee: UserId, state: FollowState) -> String {
    format!("FOLLOWERS#{}#{}", followee.0, state.as_str())
}

pub(super) fn follower_entry(
    followee: UserId,
    state: FollowState,
    created_at: DateTime<Utc>,
    follower: UserId,
) -> Item {
    key(followers_of(followee, state), order(created_at, follower.0))
}

/// The partition listing whom `follower` follows (`Active` only), by `order(created_at, followee)`.
pub(super) fn following_of(follower: UserId) -> String {
    format!("FOLLOWING#{}", follower.0)
}

pub(super) fn following_entry(
    follower: UserId,
    created_at: DateTime<Utc>,
    followee: UserId,
) -> Item {
    key(following_of(follower), order(created_at, followee.0))
}

/// The partition of `followee`'s `Active` followers by id alone, which the fan-out pages through.
pub(super) fn follower_ids_of(followee: UserId) -> String {
    format!("FOLLOWER_IDS#{}", followee.0)
}

pub(super) fn follower_id_entry(followee: UserId, follower: UserId) -> Item {
    key(follower_ids_of(followee), follower.0.to_string())
}

pub(super) fn post(id: PostId) -> Item {
    key(format!("POST#{}", id.0), "POST")
}

/// The partition listing an author's posts by `order(created_at, id)`: all of them (`None`), or only those
/// whose `fanned_out` is the flag given, so that the timeline's merge reads no post it would drop.
pub(super) fn posts_of(author: UserId, fanned_out: Option<bool>) -> String {
    match fanned_out {
        None => format!("POSTS#{}", author.0),
        Some(true) => format!("POSTS#{}#FANNED", author.0),
        Some(false) => format!("POSTS#{}#MERGED", author.0),
    }
}

pub(super) fn post_entry(
    author: UserId,
    fanned_out: Option<bool>,
    created_at: DateTime<Utc>,
    id: PostId,
) -> Item {
    key(posts_of(author, fanned_out), order(created_at, id.0))
}

/// The partition of a post's likes, one item per user (so `liked` reads them by key).
pub(super) fn likes_of(post: PostId) -> String {
    format!("LIKES#{}", post.0)
}

pub(super) fn like(post: PostId, user: UserId) -> Item {
    key(likes_of(post), user.0.to_string())
}

pub(super) fn comment(id: CommentId) -> Item {
    key(format!("COMMENT#{}", id.0), "COMMENT")
}

/// The partition listing a post's comments by `order(created_at, id)`.
pub(super) fn comments_of(post: PostId) -> String {
    format!("COMMENTS#{}", post.0)
}

pub(super) fn comment_entry(post: PostId, created_at: DateTime<Utc>, id: CommentId) -> Item {
    key(comments_of(post), order(created_at, id.0))
}

/// Says that `owner`'s timeline exists, and whether it is complete.
pub(super) fn timeline(owner: UserId) -> Item {
    key(format!("TIMELINE#{}", owner.0), "TIMELINE")
}

/// The partition of `owner`'s timeline entries, by `order(created_at, post_id)`.
pub(super) fn feed_of(owner: UserId) -> String {
    format!("FEED#{}", owner.0)
}

pub(super) fn feed_entry(owner: UserId, created_at: DateTime<Utc>, post: PostId) -> Item {
    key(feed_of(owner), order(created_at, post.0))
}

/// The partition naming every timeline that holds `post` (one item per owner), for `remove_post`.
pub(super) fn feeds_with(post: PostId) -> String {
    format!("FEEDS_WITH#{}", post.0)
}

pub(super) fn feed_with(post: PostId, owner: UserId) -> Item {
    key(feeds_with(post), owner.0.to_string())
}

/// The partition of `recipient`'s notifications, by `order(created_at, id)`.
pub(super) fn inbox_of(recipient: UserId) -> String {
    format!("INBOX#{}", recipient.0)
}

pub(super) fn notification(
    recipient: UserId,
    created_at: DateTime<Utc>,
    id: NotificationId,
) -> Item {
    key(inbox_of(recipient), order(created_at, id.0))
}

/// Claims a dedup key among `recipient`'s notifications.
pub(super) fn notified(recipient: UserId, dedup_key: &str) -> Item {
    key(format!("NOTIFIED#{}", recipient.0), dedup_key)
}

/// The partition marking `recipient`'s unread notifications (an item while unread), by their order.
pub(super) fn unread_of(recipient: UserId) -> String {
    format!("UNREAD#{}", recipient.0)
}

pub(super) fn unread(recipient: UserId, created_at: DateTime<Utc>, id: NotificationId) -> Item {
    key(unread_of(recipient), order(created_at, id.0))
}

/// The partition finding `recipient`'s notifications by kind and actor, for `withdraw`.
pub(super) fn notified_by_of(recipient: UserId) -> String {
    format!("NOTIFIED_BY#{}", recipient.0)
}

/// The sort-key prefix of `recipient`'s notifications of `kind` from `actor`.
pub(super) fn notified_by_prefix(kind: NotificationKind, actor: Option<UserId>) -> String {
    let actor = actor.map_or_else(|| "-".to_owned(), |actor| actor.0.to_string());
    format!("{}#{actor}#", kind.as_str())
}

pub(super) fn notified_by(
    recipient: UserId,
    kind: NotificationKind,
    actor: Option<UserId>,
    created_at: DateTime<Utc>,
    id: NotificationId,
) -> Item {
    let sk = notified_by_prefix(kind, actor) + &order(created_at, id.0);
    key(notified_by_of(recipient), sk)
}

/// `recipient`'s count of unread notifications.
pub(super) fn unread_count(recipient: UserId) -> Item {
    key(format!("UNREAD_COUNT#{}", recipient.0), "UNREAD_COUNT")
}

/// A sort key whose string order is the order of (created_at, id): the microseconds shifted to be
/// non-negative and zero-padded to 20 digits (so dates before 1970 sort too), then the hyphenated
/// lowercase UUID, whose text order is its byte order (the order Postgres and SQLite page by).
pub(super) fn order(created_at: DateTime<Utc>, id: Uuid) -> String {
    let shifted = i128::from(created_at.timestamp_micros()) - i128::from(i64::MIN);
    format!("{shifted:020}#{id}")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn order_keys_sort_like_time_then_id() {
        let at = |micros| DateTime::from_timestamp_micros(micros).unwrap();
        let low = Uuid::from_u128(1);
        let high = Uuid::from_u128(u128::MAX);
        let mut keys = vec![
            order(at(1_700_000_000_000_001), low),
            order(at(1_700_000_000_000_000), high),
            order(at(1_700_000_000_000_000), low),
            order(at(-5), high),
            order(at(0), low),
            order(at(-1_000_000), low),
            order(at(9_999_999_999_999_999), low),
        ];
        let expected = vec![
            keys[5].clone(),
            keys[3].clone(),
            keys[4].clone(),
            keys[2].clone(),
            keys[1].clone(),
            keys[0].clone(),
            keys[6].clone(),
        ];
        keys.sort();
        assert_eq!(keys, expected);
        assert!(keys.iter().all(|k| k.len() == 20 + 1 + 36));
    }
}
