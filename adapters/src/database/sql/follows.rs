//! `FollowRepository` for every SQL backend.
//!
//! A follow, an unfollow and an acceptance each move two users' counts in the transaction that changes the
//! follow, and only when a row was actually inserted, deleted or accepted (rows affected), so the counts
//! stay exact however calls interleave. SQLite runs one writer at a time. In Postgres, each transaction
//! first locks both users in id order: `a` following `b` while `b` follows `a` would otherwise lock the
//! same two rows in opposite orders and deadlock; what Postgres still rolls back runs again.

use chrono::{DateTime, Utc};
use darkroom_core::domain::{
    Cursor, Follow, FollowState, OutboxMessage, Page, PageRequest, UserId,
};
use darkroom_core::ports::{DbError, FollowOutcome, FollowRepository};

use super::backend::for_every_sql_backend;
use super::convert::StoredId;
use super::social_rows::{follow_state, FollowRow};
use super::{after_cursor, fetch_for, page, retrying};

const FOLLOW_COLUMNS: &str = "follower_id, followee_id, state, created_at";

const INSERT_FOLLOW: &str = "INSERT INTO follows (follower_id, followee_id, state, created_at) \
     VALUES ($1, $2, $3, $4) ON CONFLICT (follower_id, followee_id) DO NOTHING";

const FOLLOW_STATE: &str = "SELECT state FROM follows WHERE follower_id = $1 AND followee_id = $2";

const DELETE_FOLLOW: &str =
    "DELETE FROM follows WHERE follower_id = $1 AND followee_id = $2 RETURNING state";

const ACCEPT_FOLLOW: &str = "UPDATE follows SET state = 'active', created_at = $3 \
     WHERE follower_id = $1 AND followee_id = $2 AND state = 'requested'";

/// Moves by `$3` the following count of `$1` and the followers count of `$2` (one row when they are the
/// same user), in one statement.
const MOVE_COUNTS: &str = "UPDATE users \
     SET following_count = following_count + CASE WHEN id = $1 THEN $3 ELSE 0 END, \
         followers_count = followers_count + CASE WHEN id = $2 THEN $3 ELSE 0 END \
     WHERE id = $1 OR id = $2";

/// The active followers of `$1` after `$3` (when given) in id order, from the fan-out index alone.
fn follower_ids(after: bool) -> String {
    let after = if after { " AND follower_id > $3" } else { "" };
    format!(
        "SELECT follower_id FROM follows WHERE followee_id = $1 AND state = 'active'{after} \
         ORDER BY follower_id LIMIT $2"
    )
}

/// Follows in state `$2` whose `side` is `$1`, newest first by (created_at, the other side), `$3` rows
/// after the cursor (`$4`, `$5`) when there is one.
fn listing(side: &str, other: &str, has_cursor: bool) -> String {
    let after = after_cursor(has_cursor, &format!("created_at, {other}"), "<", 4);
    format!(
        "SELECT {FOLLOW_COLUMNS} FROM follows WHERE {side} = $1 AND state = $2{after} \
         ORDER BY created_at DESC, {other} DESC LIMIT $3"
    )
}

for_every_sql_backend!(impl {
    /// Locks the rows of `a` and `b`, in id order, until the transaction ends (where the backend locks
    /// rows; SQLite's write transaction already excludes every other writer).
    async fn lock_users(
        conn: &mut <B::Db as sqlx::Database>::Connection,
        a: UserId,
        b: UserId,
    ) -> Result<(), DbError> {
        if B::DIALECT.lock_for_counts.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "SELECT id FROM users WHERE id = $1 OR id = $2 ORDER BY id {}",
            B::DIALECT.lock_for_counts
        );
        let _locked: Vec<(B::Id,)> = sqlx::query_as(&sql)
            .bind(B::id(a.0))
            .bind(B::id(b.0))
            .fetch_all(conn)
            .await
            .map_err(B::db_error)?;
        Ok(())
    }

    async fn move_follow_counts(
        conn: &mut <B::Db as sqlx::Database>::Connection,
        follower: UserId,
        followee: UserId,
        by: i64,
    ) -> Result<(), DbError> {
        sqlx::query(MOVE_COUNTS)
            .bind(B::id(follower.0))
            .bind(B::id(followee.0))
            .bind(by)
            .execute(conn)
            .await
            .map_err(B::db_error)?;
        Ok(())
    }

    async fn follow_once(
        &self,
        follow: &Follow,
        event: &OutboxMessage,
    ) -> Result<FollowOutcome, DbError> {
        let mut tx = self.driver().begin_write().await.map_err(B::db_error)?;
        Self::lock_users(&mut tx, follow.follower_id, follow.followee_id).await?;
        let inserted = sqlx::query(INSERT_FOLLOW)
            .bind(B::id(follow.follower_id.0))
            .bind(B::id(follow.followee_id.0))
            .bind(follow.state.as_str().to_owned())
            .bind(B::at(follow.created_at))
            .execute(&mut *tx)
            .await
            .map_err(B::db_error)?;
        if B::rows_affected(&inserted) == 0 {
            // Dropping `tx` rolls back: nothing is written, the event included.
            let existing: Option<(String,)> = sqlx::query_as(FOLLOW_STATE)
                .bind(B::id(follow.follower_id.0))
                .bind(B::id(follow.followee_id.0))
                .fetch_optional(&mut *tx)
                .await
                .map_err(B::db_error)?;
            let (state,) =
                existing.ok_or_else(|| DbError::other("follow conflict without a row"))?;
            return Ok(FollowOutcome::Existing(follow_state(&state)?));
        }
        if follow.state == FollowState::Active {
            Self::move_follow_counts(&mut tx, follow.follower_id, follow.followee_id, 1).await?;
        }
        Self::insert_outbox(&mut tx, event).await?;
        tx.commit().await.map_err(B::db_error)?;
        Ok(FollowOutcome::Created(follow.state))
    }

    async fn unfollow_once(
        &self,
        follower: UserId,
        followee: UserId,
        event: &OutboxMessage,
    ) -> Result<Option<FollowState>, DbError> {
        let mut tx = self.driver().begin_write().await.map_err(B::db_error)?;
        Self::lock_users(&mut tx, follower, followee).await?;
        let removed: Option<(String,)> = sqlx::query_as(DELETE_FOLLOW)
            .bind(B::id(follower.0))
            .bind(B::id(followee.0))
            .fetch_optional(&mut *tx)
            .await
            .map_err(B::db_error)?;
        let Some((state,)) = removed else {
            return Ok(None);
        };
        let state = follow_state(&state)?;
        if state == FollowState::Active {
            Self::move_follow_counts(&mut tx, follower, followee, -1).await?;
        }
        Self::insert_outbox(&mut tx, event).await?;
        tx.commit().await.map_err(B::db_error)?;
        Ok(Some(state))
    }

    async fn accept_once(
        &self,
        follower: UserId,
        followee: UserId,
        at: DateTime<Utc>,
        event: &OutboxMessage,
    ) -> Result<bool, DbError> {
        let mut tx = self.driver().begin_write().await.map_err(B::db_error)?;
        Self::lock_users(&mut tx, follower, followee).await?;
        let accepted = sqlx::query(ACCEPT_FOLLOW)
            .bind(B::id(follower.0))
            .bind(B::id(followee.0))
            .bind(B::at(at))
            .execute(&mut *tx)
            .await
            .map_err(B::db_error)?;
        if B::rows_affected(&accepted) == 0 {
            return Ok(false);
        }
        Self::move_follow_counts(&mut tx, follower, followee, 1).await?;
        Self::insert_outbox(&mut tx, event).await?;
        tx.commit().await.map_err(B::db_error)?;
        Ok(true)
    }

    /// One page of follows whose `side` is `user`, in `state`, newest first by (created_at, `other`).
    async fn follows_page(
        &self,
        (side, other): (&str, &str),
        user: UserId,
        state: FollowState,
        request: PageRequest,
    ) -> Result<Page<Follow>, DbError> {
        let sql = listing(side, other, request.after.is_some());
        let mut query = sqlx::query_as(&sql)
            .bind(B::id(user.0))
            .bind(state.as_str().to_owned())
            .bind(fetch_for(request.limit));
        if let Some(after) = request.after {
            query = query.bind(B::at(after.created_at)).bind(B::id(after.id));
        }
        let rows: Vec<FollowRow<B::Id, B::At>> = query
            .fetch_all(self.driver().pool())
            .await
            .map_err(B::db_error)?;
        let follows = rows
            .into_iter()
            .map(Follow::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        let followers_listed = side == "followee_id";
        Ok(page(follows, request.limit, |follow| Cursor {
            created_at: follow.created_at,
            id: if followers_listed { follow.follower_id.0 } else { follow.followee_id.0 },
        }))
    }
});

for_every_sql_backend!(impl FollowRepository {
    async fn follow(
        &self,
        follow: &Follow,
        event: &OutboxMessage,
    ) -> Result<FollowOutcome, DbError> {
        retrying(|| self.follow_once(follow, event)).await
    }

    async fn unfollow(
        &self,
        follower: UserId,
        followee: UserId,
        event: &OutboxMessage,
    ) -> Result<Option<FollowState>, DbError> {
        retrying(|| self.unfollow_once(follower, followee, event)).await
    }

    async fn accept_follow(
        &self,
        follower: UserId,
        followee: UserId,
        at: DateTime<Utc>,
        event: &OutboxMessage,
    ) -> Result<bool, DbError> {
        retrying(|| self.accept_once(follower, followee, at, event)).await
    }

    async fn follow_state(
        &self,
        follower: UserId,
        followee: UserId,
    ) -> Result<Option<FollowState>, DbError> {
        let row: Option<(String,)> = sqlx::query_as(FOLLOW_STATE)
            .bind(B::id(follower.0))
            .bind(B::id(followee.0))
            .fetch_optional(self.driver().pool())
            .await
            .map_err(B::db_error)?;
        row.map(|(state,)| follow_state(&state)).transpose()
    }

    async fn followers(
        &self,
        user: UserId,
        state: FollowState,
        page: PageRequest,
    ) -> Result<Page<Follow>, DbError> {
        self.follows_page(("followee_id", "follower_id"), user, state, page).await
    }

    async fn following(&self, user: UserId, page: PageRequest) -> Result<Page<Follow>, DbError> {
        self.follows_page(("follower_id", "followee_id"), user, FollowState::Active, page).await
    }

    async fn follower_ids(
        &self,
        user: UserId,
        after: Option<UserId>,
        limit: u32,
    ) -> Result<Vec<UserId>, DbError> {
        let sql = follower_ids(after.is_some());
        let mut query = sqlx::query_as(&sql).bind(B::id(user.0)).bind(i64::from(limit));
        if let Some(after) = after {
            query = query.bind(B::id(after.0));
        }
        let rows: Vec<(B::Id,)> = query
            .fetch_all(self.driver().pool())
            .await
            .map_err(B::db_error)?;
        rows.into_iter()
            .map(|(id,)| id.into_uuid().map(UserId))
            .collect()
    }
});
