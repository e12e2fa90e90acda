//! `SessionRepository` on SQLite: refresh-token families with rotation and reuse detection.
//!
//! Rotation starts with the conditional `UPDATE` that marks the token used, inside a `BEGIN IMMEDIATE`
//! transaction: SQLite runs one writer at a time, so of two concurrent rotations exactly one finds the token
//! unused, and the other, once it gets the lock, finds it used and revokes the family.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use darkroom_core::domain::{RefreshToken, UserId};
use darkroom_core::ports::{DbError, RefreshOutcome, SessionRepository};

use super::rows::{micros, uuid};
use super::{db_error, SqliteDatabase};

#[async_trait]
impl SessionRepository for SqliteDatabase {
    async fn insert_refresh_token(&self, token: &RefreshToken) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO refresh_tokens (token_hash, family_id, user_id, expires_at, used, revoked) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .bind(&token.token_hash)
        .bind(token.family_id.to_string())
        .bind(token.user_id.0.to_string())
        .bind(micros(token.expires_at))
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
        let mut tx = self.write().await?;
        let claimed: Option<(String, String)> = sqlx::query_as(
            "UPDATE refresh_tokens SET used = 1 \
             WHERE token_hash = ?1 AND used = 0 AND revoked = 0 AND expires_at > ?2 \
             RETURNING family_id, user_id",
        )
        .bind(presented_hash)
        .bind(micros(now))
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_error)?;

        if let Some((family_id, user_id)) = claimed {
            // The replacement joins the presented token's family whatever the caller put in it: a family
            // is one login, and reuse detection only works if rotation never leaves it.
            sqlx::query(
                "INSERT INTO refresh_tokens (token_hash, family_id, user_id, expires_at, used, revoked) \
                 VALUES (?1, ?2, ?3, ?4, 0, 0)",
            )
            .bind(&replacement.token_hash)
            .bind(&family_id)
            .bind(&user_id)
            .bind(micros(replacement.expires_at))
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
            tx.commit().await.map_err(db_error)?;
            return Ok(RefreshOutcome::Rotated {
                user_id: UserId(uuid(&user_id)?),
            });
        }

        let state: Option<(String, bool, bool)> = sqlx::query_as(
            "SELECT family_id, used, revoked FROM refresh_tokens WHERE token_hash = ?1",
        )
        .bind(presented_hash)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_error)?;
        match state {
            // A used token presented again means two parties hold the family (one of them stole it):
            // revoke every token of it, even when this one has expired since.
            Some((family_id, true, false)) => {
                sqlx::query("UPDATE refresh_tokens SET revoked = 1 WHERE family_id = ?1")
                    .bind(&family_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error)?;
                tx.commit().await.map_err(db_error)?;
                tracing::warn!(family_id = %family_id, "refresh token reused; family revoked");
                Ok(RefreshOutcome::ReuseDetected)
            }
            // Unknown, revoked, or unused but expired. Nothing was written; dropping `tx` rolls back.
            _ => Ok(RefreshOutcome::Invalid),
        }
    }

    async fn revoke_refresh_family(&self, token_hash: &str) -> Result<bool, DbError> {
        let done = sqlx::query(
            "UPDATE refresh_tokens SET revoked = 1 \
             WHERE family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = ?1)",
        )
        .bind(token_hash)
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(done.rows_affected() > 0)
    }
}
