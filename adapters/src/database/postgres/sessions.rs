//! `SessionRepository` on Postgres: refresh-token families with rotation and reuse detection.
//!
//! Rotation claims the token with a conditional `UPDATE … RETURNING` in a transaction. Of two concurrent
//! rotations, the second blocks on the row lock the first holds; once the first commits, Postgres re-checks
//! the second's `WHERE` against the committed row (READ COMMITTED), finds it used, updates nothing, and the
//! second goes on to see the reuse and revoke the family.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use darkroom_core::domain::{RefreshToken, UserId};
use darkroom_core::ports::{DbError, RefreshOutcome, SessionRepository};
use uuid::Uuid;

use super::errors::db_error;
use super::PostgresDatabase;

/// Revokes every token of family `$1`. The rows are locked in one order (by hash) first: several losers of a
/// rotation race revoke the same family at once, and locking its rows in whatever order each scan met them
/// could deadlock.
const REVOKE_FAMILY: &str = "UPDATE refresh_tokens SET revoked = true \
     WHERE token_hash IN (SELECT token_hash FROM refresh_tokens WHERE family_id = $1 \
                          ORDER BY token_hash FOR UPDATE)";

#[async_trait]
impl SessionRepository for PostgresDatabase {
    async fn insert_refresh_token(&self, token: &RefreshToken) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO refresh_tokens (token_hash, family_id, user_id, expires_at, used, revoked) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&token.token_hash)
        .bind(token.family_id)
        .bind(token.user_id.0)
        .bind(token.expires_at)
        .bind(token.used)
        .bind(token.revoked)
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    async fn rotate_refresh_token(
        &self,
        presented_hash: &str,
        replacement: &RefreshToken,
        now: DateTime<Utc>,
    ) -> Result<RefreshOutcome, DbError> {
        let mut tx = self.begin().await?;
        let claimed: Option<(Uuid, Uuid)> = sqlx::query_as(
            "UPDATE refresh_tokens SET used = true \
             WHERE token_hash = $1 AND NOT used AND NOT revoked AND expires_at > $2 \
             RETURNING family_id, user_id",
        )
        .bind(presented_hash)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_error)?;

        if let Some((family_id, user_id)) = claimed {
            // The replacement joins the presented token's family whatever the caller put in it: a family
            // is one login, and reuse detection only works if rotation never leaves it.
            sqlx::query(
                "INSERT INTO refresh_tokens (token_hash, family_id, user_id, expires_at, used, revoked) \
                 VALUES ($1, $2, $3, $4, false, false)",
            )
            .bind(&replacement.token_hash)
            .bind(family_id)
            .bind(user_id)
            .bind(replacement.expires_at)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
            tx.commit().await.map_err(db_error)?;
            return Ok(RefreshOutcome::Rotated {
                user_id: UserId(user_id),
            });
        }

        let state: Option<(Uuid, bool, bool)> = sqlx::query_as(
            "SELECT family_id, used, revoked FROM refresh_tokens WHERE token_hash = $1",
        )
        .bind(presented_hash)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_error)?;
        match state {
            // A used token presented again means two parties hold the family (one of them stole it):
            // revoke every token of it, even when this one has expired since.
            Some((family_id, true, false)) => {
                sqlx::query(REVOKE_FAMILY)
                    .bind(family_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error)?;
                tx.commit().await.map_err(db_error)?;
                tracing::warn!(%family_id, "refresh token reused; family revoked");
                Ok(RefreshOutcome::ReuseDetected)
            }
            // Unknown, revoked, or unused but expired. Nothing was written; dropping `tx` rolls back.
            _ => Ok(RefreshOutcome::Invalid),
        }
    }

    async fn revoke_refresh_family(&self, token_hash: &str) -> Result<bool, DbError> {
        let family: Option<(Uuid,)> =
            sqlx::query_as("SELECT family_id FROM refresh_tokens WHERE token_hash = $1")
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_error)?;
        let Some((family_id,)) = family else {
            return Ok(false);
        };
        // A token's family never changes, so the lookup above and this update need no transaction.
        sqlx::query(REVOKE_FAMILY)
            .bind(family_id)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(true)
    }
}
