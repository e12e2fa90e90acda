//! The items of a follow: the follow itself (keyed by the pair), its entry in the followee's followers
//! listing for its state, and, once `Active`, its entries in the follower's following listing and in the
//! followee's listing by follower id. Every one of them carries the whole `Follow`, so a listing is one
//! Query and needs no second read.

use darkroom_core::domain::{Follow, FollowState, UserId};
use darkroom_core::ports::DbError;

use super::super::attrs::{micros, req_parsed, req_time, req_uuid, s};
use super::super::keys::{self, Item};

fn with_follow(mut item: Item, follow: &Follow) -> Item {
    item.extend([
        (
            "follower_id".to_owned(),
            s(follow.follower_id.0.to_string()),
        ),
        (
            "followee_id".to_owned(),
            s(follow.followee_id.0.to_string()),
        ),
        ("state".to_owned(), s(follow.state.as_str())),
        ("created_at".to_owned(), micros(follow.created_at)),
    ]);
    item
}

/// The follow, keyed by (follower, followee): what `follow_state` reads and every write conditions on.
pub(crate) fn follow_item(follow: &Follow) -> Item {
    with_follow(keys::follow(follow.follower_id, follow.followee_id), follow)
}

/// The follow's entry in the followee's listing of followers in its state.
pub(crate) fn follower_entry(follow: &Follow) -> Item {
    with_follow(follower_entry_key(follow), follow)
}

pub(crate) fn follower_entry_key(follow: &Follow) -> Item {
    keys::follower_entry(
        follow.followee_id,
        follow.state,
        follow.created_at,
        follow.follower_id,
    )
}

/// An `Active` follow's entry in the follower's listing of whom they follow.
pub(crate) fn following_entry(follow: &Follow) -> Item {
    with_follow(following_entry_key(follow), follow)
}

pub(crate) fn following_entry_key(follow: &Follow) -> Item {
    keys::following_entry(follow.follower_id, follow.created_at, follow.followee_id)
}

/// An `Active` follow's entry in the followee's listing of followers by id.
pub(crate) fn follower_id_entry(follow: &Follow) -> Item {
    with_follow(follower_id_entry_key(follow), follow)
}

pub(crate) fn follower_id_entry_key(follow: &Follow) -> Item {
    keys::follower_id_entry(follow.followee_id, follow.follower_id)
}

/// Any of the items above, read back.
pub(crate) fn follow(item: &Item) -> Result<Follow, DbError> {
    Ok(Follow {
        follower_id: UserId(req_uuid(item, "follower_id")?),
        followee_id: UserId(req_uuid(item, "followee_id")?),
        state: req_parsed(item, "state", FollowState::parse)?,
        created_at: req_time(item, "created_at")?,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use chrono::DateTime;

    use super::*;

    #[test]
    fn every_item_of_a_follow_reads_back_as_the_follow() {
        let follow = Follow {
            follower_id: UserId::new(),
            followee_id: UserId::new(),
            state: FollowState::Requested,
            created_at: DateTime::from_timestamp_micros(1_700_000_000_000_007).unwrap(),
        };
        for item in [
            follow_item(&follow),
            follower_entry(&follow),
            following_entry(&follow),
            follower_id_entry(&follow),
        ] {
            assert_eq!(super::follow(&item).unwrap(), follow);
        }
        assert_eq!(
            keys::key_of(&follower_entry(&follow)),
            follower_entry_key(&follow)
        );
        let mut corrupt = follow_item(&follow);
        corrupt.insert("state".into(), s("pending"));
        assert!(super::follow(&corrupt).is_err());
    }
}
