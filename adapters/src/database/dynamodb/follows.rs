//! `FollowRepository` on DynamoDB. A follow is an item keyed by the pair (what `follow_state` reads and
//! every write conditions on), listed by an entry in the followee's followers of its state and, once
//! `Active`, by entries in the follower's following and the followee's followers by id. Each change
//! writes all of them, the two users' counts (`ADD`, conditioned on the user existing) and the event in
//! one transaction, so counts are exact and a redelivered call writes nothing twice.
//!
//! Unfollowing and accepting read the follow first (the listing keys hold its state and time), then
//! write on the condition that it is still the follow read; a lost race reads again.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::TransactWriteItem;
use chrono::{DateTime, Utc};
use darkroom_core::domain::{
    Cursor, Follow, FollowState, OutboxMessage, Page, PageRequest, UserId,
};
use darkroom_core::ports::{Conflict, DbError, FollowOutcome, FollowRepository};

use super::attrs::{micros, n, s};
use super::calls::Transacted;
use super::items;
use super::keys::{self, Item};
use super::query::PartitionQuery;
use super::writes::{vals, PRESENT};
use super::DynamoDatabase;

/// A follow that keeps changing under a write is read again this many times before giving up.
const ROUNDS: usize = 5;

/// The condition that a follow is still the one read.
const UNCHANGED: &str = "#state = :was_state AND #created_at = :was_created_at";

fn unchanged_values(follow: &Follow) -> Item {
    vals([
        (":was_state", s(follow.state.as_str())),
        (":was_created_at", micros(follow.created_at)),
    ])
}

impl DynamoDatabase {
    async fn read_follow(
        &self,
        follower: UserId,
        followee: UserId,
    ) -> Result<Option<Follow>, DbError> {
        self.get(keys::follow(follower, followee), "reading a follow")
            .await?
            .as_ref()
            .map(items::follow)
            .transpose()
    }

    /// The two counts an `Active` follow moves, by `delta`; each write needs its user to exist.
    fn count_writes(&self, follow: &Follow, delta: i64) -> Result<Vec<TransactWriteItem>, DbError> {
        let add = |user: UserId, count: &str| {
            self.update(
                keys::user(user),
                &format!("ADD #{count} :delta"),
                Some(PRESENT),
                vals([(":delta", n(delta))]),
            )
        };
        Ok(vec![
            add(follow.followee_id, "followers_count")?,
            add(follow.follower_id, "following_count")?,
        ])
    }

    /// The listing entries only an `Active` follow has.
    fn active_entries(&self, follow: &Follow) -> Result<Vec<TransactWriteItem>, DbError> {
        Ok(vec![
            self.put_new(items::following_entry(follow))?,
            self.put_new(items::follower_id_entry(follow))?,
        ])
    }

    fn event_writes(&self, event: &OutboxMessage) -> Result<Vec<TransactWriteItem>, DbError> {
        Ok(vec![
            self.put_new(items::outbox_entry(event))?,
            self.put_new(items::outbox_pointer(event))?,
        ])
    }

    /// Sends a follow's transaction whose item 0 is the follow itself: `Ok(true)` when written, `Ok(false)`
    /// when the follow was not as expected (the caller reads again), an error for the rest.
    async fn transact_follow(
        &self,
        writes: Vec<TransactWriteItem>,
        doing: &str,
    ) -> Result<bool, DbError> {
        let events_from = writes.len() - 2;
        match self.transact(writes, doing).await? {
            Transacted::Done => Ok(true),
            outcome if outcome.failed(0) => Ok(false),
            outcome if outcome.failed(events_from) || outcome.failed(events_from + 1) => {
                Err(DbError::Conflict(Conflict::OutboxId))
            }
            _ => Err(DbError::other(format!(
                "{doing}: one of the two users does not exist"
            ))),
        }
    }

    async fn try_follow(&self, follow: &Follow, event: &OutboxMessage) -> Result<bool, DbError> {
        let mut writes = vec![
            self.put_new(items::follow_item(follow))?,
            self.put_new(items::follower_entry(follow))?,
        ];
        match follow.state {
            FollowState::Active => {
                writes.extend(self.active_entries(follow)?);
                writes.extend(self.count_writes(follow, 1)?);
            }
            FollowState::Requested => {
                for user in [follow.followee_id, follow.follower_id] {
                    writes.push(self.check(keys::user(user), PRESENT, vals([]))?);
                }
            }
        }
        writes.extend(self.event_writes(event)?);
        self.transact_follow(writes, "following a user").await
    }

    async fn try_unfollow(&self, follow: &Follow, event: &OutboxMessage) -> Result<bool, DbError> {
        let mut writes = vec![
            self.delete(
                keys::follow(follow.follower_id, follow.followee_id),
                Some(UNCHANGED),
                unchanged_values(follow),
            )?,
            self.delete(items::follower_entry_key(follow), None, Item::new())?,
        ];
        if follow.state == FollowState::Active {
            writes.push(self.delete(items::following_entry_key(follow), None, Item::new())?);
            writes.push(self.delete(items::follower_id_entry_key(follow), None, Item::new())?);
            writes.extend(self.count_writes(follow, -1)?);
        }
        writes.extend(self.event_writes(event)?);
        self.transact_follow(writes, "unfollowing a user").await
    }

    async fn try_accept(
        &self,
        request: &Follow,
        at: DateTime<Utc>,
        event: &OutboxMessage,
    ) -> Result<bool, DbError> {
        let active = Follow {
            state: FollowState::Active,
            created_at: at,
            ..request.clone()
        };
        let mut values = unchanged_values(request);
        values.extend(vals([
            (":state", s(FollowState::Active.as_str())),
            (":created_at", micros(at)),
        ]));
        let mut writes = vec![
            self.update(
                keys::follow(request.follower_id, request.followee_id),
                "SET #state = :state, #created_at = :created_at",
                Some(UNCHANGED),
                values,
            )?,
            self.delete(items::follower_entry_key(request), None, Item::new())?,
            self.put_new(items::follower_entry(&active))?,
        ];
        writes.extend(self.active_entries(&active)?);
        writes.extend(self.count_writes(&active, 1)?);
        writes.extend(self.event_writes(event)?);
        self.transact_follow(writes, "accepting a follow request")
            .await
    }
}

fn settle_error(doing: &str) -> DbError {
    DbError::unavailable(format!(
        "{doing} did not settle in {ROUNDS} rounds: the follow keeps changing"
    ))
}

#[async_trait]
impl FollowRepository for DynamoDatabase {
    async fn follow(
        &self,
        follow: &Follow,
        event: &OutboxMessage,
    ) -> Result<FollowOutcome, DbError> {
        if follow.follower_id == follow.followee_id {
            return Err(DbError::other("a user cannot follow themselves"));
        }
        for _ in 0..ROUNDS {
            if self.try_follow(follow, event).await? {
                return Ok(FollowOutcome::Created(follow.state));
            }
            // One exists; should it be gone by now (unfollowed meanwhile), try again.
            if let Some(existing) = self
                .read_follow(follow.follower_id, follow.followee_id)
                .await?
            {
                return Ok(FollowOutcome::Existing(existing.state));
            }
        }
        Err(settle_error("following a user"))
    }

    async fn unfollow(
        &self,
        follower: UserId,
        followee: UserId,
        event: &OutboxMessage,
    ) -> Result<Option<FollowState>, DbError> {
        for _ in 0..ROUNDS {
            let Some(follow) = self.read_follow(follower, followee).await? else {
                return Ok(None);
            };
            if self.try_unfollow(&follow, event).await? {
                return Ok(Some(follow.state));
            }
        }
        Err(settle_error("unfollowing a user"))
    }

    async fn accept_follow(
        &self,
        follower: UserId,
        followee: UserId,
        at: DateTime<Utc>,
        event: &OutboxMessage,
    ) -> Result<bool, DbError> {
        for _ in 0..ROUNDS {
            let request = match self.read_follow(follower, followee).await? {
                Some(follow) if follow.state == FollowState::Requested => follow,
                _ => return Ok(false),
            };
            if self.try_accept(&request, at, event).await? {
                return Ok(true);
            }
        }
        Err(settle_error("accepting a follow request"))
    }

    async fn follow_state(
        &self,
        follower: UserId,
        followee: UserId,
    ) -> Result<Option<FollowState>, DbError> {
        Ok(self
            .read_follow(follower, followee)
            .await?
            .map(|follow| follow.state))
    }

    async fn followers(
        &self,
        user: UserId,
        state: FollowState,
        page: PageRequest,
    ) -> Result<Page<Follow>, DbError> {
        let query = PartitionQuery::newest_first(
            keys::followers_of(user, state),
            page.after
                .map(|after| keys::order(after.created_at, after.id)),
        );
        let cursor = |follow: &Follow| Cursor {
            created_at: follow.created_at,
            id: follow.follower_id.0,
        };
        self.query_page(
            &query,
            page.limit,
            items::follow,
            cursor,
            "listing followers",
        )
        .await
    }

    async fn following(&self, user: UserId, page: PageRequest) -> Result<Page<Follow>, DbError> {
        let query = PartitionQuery::newest_first(
            keys::following_of(user),
            page.after
                .map(|after| keys::order(after.created_at, after.id)),
        );
        let cursor = |follow: &Follow| Cursor {
            created_at: follow.created_at,
            id: follow.followee_id.0,
        };
        self.query_page(
            &query,
            page.limit,
            items::follow,
            cursor,
            "listing followed users",
        )
        .await
    }

    async fn follower_ids(
        &self,
        user: UserId,
        after: Option<UserId>,
        limit: u32,
    ) -> Result<Vec<UserId>, DbError> {
        let query = PartitionQuery::oldest_first(
            keys::follower_ids_of(user),
            after.map(|after| after.0.to_string()),
        );
        self.query_items(&query, Some(limit as usize), "listing follower ids")
            .await?
            .iter()
            .map(|item| items::follow(item).map(|follow| follow.follower_id))
            .collect()
    }
}
