//! `SessionRepository` for every SQL backend: refresh-token families with rotation and reuse detection.
//!
//! Rotation claims the token with a conditional `UPDATE … RETURNING` in a write transaction. Of two
//! concurrent rotations exactly one finds the token unused: SQLite runs one writer at a time (`BEGIN
//! IMMEDIATE`); in Postgres the second blocks on the row lock the first holds, then re-checks its `WHERE`
//! against the committed row (READ COMMITTED) and updates nothing. The loser goes on to see the reuse and
//! revoke the family.

use chrono::{DateTime, Utc};
use darkroom_core::domain::{RefreshToken, UserId};
use darkroom_core::ports::{DbError, LiveSession, RefreshOutcome, SessionRepository};
use uuid::Uuid;

use super::backend::for_every_sql_backend;
use super::convert::{StoredId, StoredTime};
use super::queries;

/// How often a rotation runs when the database keeps rolling it back to break deadlocks.
const MAX_ATTEMPTS: u32 = 3;

for_every_sql_backend!(impl SessionRepository {
    async fn insert_refresh_token(&self, token: &RefreshToken) -> Result<(), DbError> {
        sqlx::query(queries::INSERT_REFRESH_TOKEN)
            .bind(token.token_hash.clone())
            .bind(B::id(token.family_id))
            .bind(B::id(token.user_id.0))
            .bind(B::at(token.expires_at))
            .bind(token.used)
            .bind(token.revoked)
            .execute(self.driver().pool())
            .await
            .map_err(B::db_error)?;
        Ok(())
    }

    async fn rotate_refresh_token(
        &self,
        presented_hash: &str,
        replacement: &RefreshToken,
        now: DateTime<Utc>,
    ) -> Result<RefreshOutcome, DbError> {
        // Several losers of one race revoke the same family at once; Postgres may break a lock cycle
        // among them by rolling one back, which then simply runs again.
        let mut attempt = 1;
        loop {
            let rotated: Result<RefreshOutcome, DbError> = async {
                let mut tx = self.driver().begin_write().await.map_err(B::db_error)?;
                let claimed: Option<(B::Id, B::Id)> = sqlx::query_as(queries::CLAIM_REFRESH_TOKEN)
                    .bind(presented_hash.to_owned())
                    .bind(B::at(now))
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(B::db_error)?;

                if let Some((family_id, user_id)) = claimed {
                    // The replacement joins the presented token's family whatever the caller put in it: a
                    // family is one login, and reuse detection only works if rotation never leaves it.
                    sqlx::query(queries::INSERT_REFRESH_TOKEN)
                        .bind(replacement.token_hash.clone())
                        .bind(family_id)
                        .bind(user_id.clone())
                        .bind(B::at(replacement.expires_at))
                        .bind(false)
                        .bind(false)
                        .execute(&mut *tx)
                        .await
                        .map_err(B::db_error)?;
                    tx.commit().await.map_err(B::db_error)?;
                    return Ok(RefreshOutcome::Rotated {
                        user_id: UserId(user_id.into_uuid()?),
                    });
                }

                let state: Option<(B::Id, bool, bool)> = sqlx::query_as(queries::TOKEN_STATE)
                    .bind(presented_hash.to_owned())
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(B::db_error)?;
                match state {
                    // A used token presented again means two parties hold the family (one of them stole it):
                    // revoke every token of it, even when this one has expired since.
                    Some((family_id, true, false)) => {
                        let family = family_id.clone().into_uuid()?;
                        sqlx::query(&B::DIALECT.revoke_family())
                            .bind(family_id)
                            .execute(&mut *tx)
                            .await
                            .map_err(B::db_error)?;
                        tx.commit().await.map_err(B::db_error)?;
                        tracing::warn!(family_id = %family, "refresh token reused; family revoked");
                        Ok(RefreshOutcome::ReuseDetected)
                    }
                    // Unknown, revoked, or unused but expired. Nothing was written; dropping `tx` rolls back.
                    _ => Ok(RefreshOutcome::Invalid),
                }
            }
            .await;
            match rotated {
                Err(err) if attempt < MAX_ATTEMPTS && super::rolled_back_by_conflict(&err) => {
                    attempt += 1;
                }
                outcome => return outcome,
            }
        }
    }

    async fn revoke_refresh_family(&self, token_hash: &str) -> Result<bool, DbError> {
        let family: Option<(B::Id,)> = sqlx::query_as(queries::TOKEN_FAMILY)
            .bind(token_hash.to_owned())
            .fetch_optional(self.driver().pool())
            .await
            .map_err(B::db_error)?;
        let Some((family_id,)) = family else {
            return Ok(false);
        };
        // A token's family never changes, so the lookup above and this update need no transaction.
        sqlx::query(&B::DIALECT.revoke_family())
            .bind(family_id)
            .execute(self.driver().pool())
            .await
            .map_err(B::db_error)?;
        Ok(true)
    }

    async fn live_sessions(
        &self,
        user: UserId,
        now: DateTime<Utc>,
        before: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<LiveSession>, DbError> {
        let rows: Vec<(B::Id, B::At)> = sqlx::query_as(queries::LIVE_SESSIONS)
            .bind(B::id(user.0))
            .bind(B::at(now))
            // No cursor: below the greatest id there is.
            .bind(B::id(before.unwrap_or(Uuid::max())))
            .bind(i64::from(limit))
            .fetch_all(self.driver().pool())
            .await
            .map_err(B::db_error)?;
        rows.into_iter()
            .map(|(id, expires_at)| {
                Ok(LiveSession {
                    id: id.into_uuid()?,
                    expires_at: expires_at.into_time()?,
                })
            })
            .collect()
    }

    async fn revoke_session(
        &self,
        user: UserId,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<bool, DbError> {
        let live: Option<(B::Id,)> = sqlx::query_as(queries::SESSION_IS_LIVE)
            .bind(B::id(id))
            .bind(B::id(user.0))
            .bind(B::at(now))
            .fetch_optional(self.driver().pool())
            .await
            .map_err(B::db_error)?;
        let Some((family_id,)) = live else {
            return Ok(false);
        };
        // A family never changes hands, so the check above and this update need no transaction.
        sqlx::query(&B::DIALECT.revoke_family())
            .bind(family_id)
            .execute(self.driver().pool())
            .await
            .map_err(B::db_error)?;
        Ok(true)
    }
});
