//! The items of timelines: one per built timeline (it exists, and whether it is complete), one per entry,
//! and, for each entry, one in the post's partition naming the timeline, so that a deleted post is taken
//! out of every timeline without a scan.

use darkroom_core::domain::{PostId, TimelineEntry, UserId};
use darkroom_core::ports::DbError;

use super::super::attrs::{boolean, micros, req_bool, req_time, req_uuid, s};
use super::super::keys::{self, Item};

/// Says that `owner`'s timeline exists.
pub(crate) fn timeline_item(owner: UserId, complete: bool) -> Item {
    let mut item = keys::timeline(owner);
    item.extend([
        ("owner_id".to_owned(), s(owner.0.to_string())),
        ("complete".to_owned(), boolean(complete)),
    ]);
    item
}

pub(crate) fn timeline_owner(item: &Item) -> Result<UserId, DbError> {
    req_uuid(item, "owner_id").map(UserId)
}

pub(crate) fn timeline_complete(item: &Item) -> Result<bool, DbError> {
    req_bool(item, "complete")
}

fn with_entry(mut item: Item, owner: UserId, entry: &TimelineEntry) -> Item {
    item.extend([
        ("owner_id".to_owned(), s(owner.0.to_string())),
        ("post_id".to_owned(), s(entry.post_id.0.to_string())),
        ("author_id".to_owned(), s(entry.author_id.0.to_string())),
        ("created_at".to_owned(), micros(entry.created_at)),
    ]);
    item
}

pub(crate) fn feed_entry_key(owner: UserId, entry: &TimelineEntry) -> Item {
    keys::feed_entry(owner, entry.created_at, entry.post_id)
}

/// An entry of `owner`'s timeline.
pub(crate) fn feed_entry(owner: UserId, entry: &TimelineEntry) -> Item {
    with_entry(feed_entry_key(owner, entry), owner, entry)
}

/// The note, in the post's partition, that `owner`'s timeline holds the post.
pub(crate) fn feed_with(owner: UserId, entry: &TimelineEntry) -> Item {
    with_entry(keys::feed_with(entry.post_id, owner), owner, entry)
}

/// An entry, or a note of one, read back: whose timeline, and the entry.
pub(crate) fn placed_entry(item: &Item) -> Result<(UserId, TimelineEntry), DbError> {
    Ok((
        UserId(req_uuid(item, "owner_id")?),
        TimelineEntry {
            post_id: PostId(req_uuid(item, "post_id")?),
            author_id: UserId(req_uuid(item, "author_id")?),
            created_at: req_time(item, "created_at")?,
        },
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use chrono::DateTime;

    use super::*;

    #[test]
    fn entries_and_their_notes_read_back_alike() {
        let owner = UserId::new();
        let entry = TimelineEntry {
            post_id: PostId::new(),
            author_id: UserId::new(),
            created_at: DateTime::from_timestamp_micros(42).unwrap(),
        };
        assert_eq!(
            placed_entry(&feed_entry(owner, &entry)).unwrap(),
            (owner, entry)
        );
        assert_eq!(
            placed_entry(&feed_with(owner, &entry)).unwrap(),
            (owner, entry)
        );
        assert!(timeline_complete(&timeline_item(owner, true)).unwrap());
        assert_eq!(timeline_owner(&timeline_item(owner, true)).unwrap(), owner);
        assert!(!timeline_complete(&timeline_item(owner, false)).unwrap());
    }
}
