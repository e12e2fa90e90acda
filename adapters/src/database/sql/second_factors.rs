//! `SecondFactorRepository` for every SQL backend: `mfa_totp` (one row per account) and
//! `mfa_recovery_codes`. Every check-and-write is one conditional statement (the step moves forward only,
//! a code is deleted once), so of two racing requests exactly one sees its row change; enabling, which
//! writes both tables, is one write transaction.

use chrono::{DateTime, Utc};
use darkroom_core::domain::UserId;
use darkroom_core::ports::{DbError, SecondFactorRepository, StoredTotp};

use super::backend::for_every_sql_backend;

const TOTP: &str = "SELECT secret, enabled, last_step, \
     (SELECT COUNT(*) FROM mfa_recovery_codes r WHERE r.user_id = t.user_id) \
     FROM mfa_totp t WHERE t.user_id = $1";

/// A pending factor for `$1`, replacing a pending one and leaving an enabled one alone.
const BEGIN_TOTP: &str = "INSERT INTO mfa_totp (user_id, secret, enabled, last_step, created_at) \
     VALUES ($1, $2, false, NULL, $3) \
     ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, last_step = NULL, \
     created_at = excluded.created_at WHERE NOT mfa_totp.enabled";

const ENABLE_TOTP: &str = "UPDATE mfa_totp SET enabled = true, last_step = $3 \
     WHERE user_id = $1 AND secret = $2 AND NOT enabled";

const DELETE_RECOVERY_CODES: &str = "DELETE FROM mfa_recovery_codes WHERE user_id = $1";

const INSERT_RECOVERY_CODE: &str =
    "INSERT INTO mfa_recovery_codes (user_id, code_hash) VALUES ($1, $2)";

const ACCEPT_STEP: &str = "UPDATE mfa_totp SET last_step = $2 \
     WHERE user_id = $1 AND enabled AND (last_step IS NULL OR last_step < $2)";

/// Codes exist only while their factor is enabled (enabling writes them, removing deletes them).
const CONSUME_RECOVERY_CODE: &str =
    "DELETE FROM mfa_recovery_codes WHERE user_id = $1 AND code_hash = $2";

const REMOVE_TOTP: &str = "DELETE FROM mfa_totp WHERE user_id = $1";

for_every_sql_backend!(impl SecondFactorRepository {
    async fn totp(&self, user: UserId) -> Result<Option<StoredTotp>, DbError> {
        let row: Option<(String, bool, Option<i64>, i64)> = sqlx::query_as(TOTP)
            .bind(B::id(user.0))
            .fetch_optional(self.driver().pool())
            .await
            .map_err(B::db_error)?;
        Ok(row.map(|(sealed_secret, enabled, last_step, codes)| StoredTotp {
            sealed_secret,
            enabled,
            last_step,
            recovery_codes_left: u32::try_from(codes).unwrap_or(u32::MAX),
        }))
    }

    async fn begin_totp(
        &self,
        user: UserId,
        sealed_secret: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, DbError> {
        let done = sqlx::query(BEGIN_TOTP)
            .bind(B::id(user.0))
            .bind(sealed_secret.to_owned())
            .bind(B::at(at))
            .execute(self.driver().pool())
            .await
            .map_err(B::db_error)?;
        Ok(B::rows_affected(&done) == 1)
    }

    async fn enable_totp(
        &self,
        user: UserId,
        sealed_secret: &str,
        step: i64,
        recovery_code_hashes: &[String],
    ) -> Result<bool, DbError> {
        super::retrying(|| async {
            let mut tx = self.driver().begin_write().await.map_err(B::db_error)?;
            let done = sqlx::query(ENABLE_TOTP)
                .bind(B::id(user.0))
                .bind(sealed_secret.to_owned())
                .bind(step)
                .execute(&mut *tx)
                .await
                .map_err(B::db_error)?;
            if B::rows_affected(&done) != 1 {
                // Nothing was written; dropping `tx` rolls back.
                return Ok(false);
            }
            sqlx::query(DELETE_RECOVERY_CODES)
                .bind(B::id(user.0))
                .execute(&mut *tx)
                .await
                .map_err(B::db_error)?;
            for hash in recovery_code_hashes {
                sqlx::query(INSERT_RECOVERY_CODE)
                    .bind(B::id(user.0))
                    .bind(hash.clone())
                    .execute(&mut *tx)
                    .await
                    .map_err(B::db_error)?;
            }
            tx.commit().await.map_err(B::db_error)?;
            Ok(true)
        })
        .await
    }

    async fn accept_totp_step(&self, user: UserId, step: i64) -> Result<bool, DbError> {
        let done = sqlx::query(ACCEPT_STEP)
            .bind(B::id(user.0))
            .bind(step)
            .execute(self.driver().pool())
            .await
            .map_err(B::db_error)?;
        Ok(B::rows_affected(&done) == 1)
    }

    async fn consume_recovery_code(&self, user: UserId, code_hash: &str) -> Result<bool, DbError> {
        let done = sqlx::query(CONSUME_RECOVERY_CODE)
            .bind(B::id(user.0))
            .bind(code_hash.to_owned())
            .execute(self.driver().pool())
            .await
            .map_err(B::db_error)?;
        Ok(B::rows_affected(&done) == 1)
    }

    async fn remove_totp(&self, user: UserId) -> Result<bool, DbError> {
        super::retrying(|| async {
            let mut tx = self.driver().begin_write().await.map_err(B::db_error)?;
            sqlx::query(DELETE_RECOVERY_CODES)
                .bind(B::id(user.0))
                .execute(&mut *tx)
                .await
                .map_err(B::db_error)?;
            let done = sqlx::query(REMOVE_TOTP)
                .bind(B::id(user.0))
                .execute(&mut *tx)
                .await
                .map_err(B::db_error)?;
            tx.commit().await.map_err(B::db_error)?;
            Ok(B::rows_affected(&done) == 1)
        })
        .await
    }
});
