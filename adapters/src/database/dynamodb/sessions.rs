//! `SessionRepository` on DynamoDB: refresh-token families with rotation and reuse detection.
//!
//! A family's revocation is one flag on its family item rather than a flag on each token: revoking is one
//! write however many tokens the family has, and rotation checks the flag in the same transaction that
//! marks the token used, so a token can never rotate after its family was revoked.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use darkroom_core::domain::{RefreshToken, UserId};
use darkroom_core::ports::{Conflict, DbError, RefreshOutcome, SessionRepository};
use uuid::Uuid;

use super::attrs::{micros, req_bool, req_time, req_uuid, s};
use super::calls::{retry_conflicts, Transacted};
use super::errors::unless_condition_failed;
use super::keys::{self, Item};
use super::writes::{names, vals, values, PRESENT};
use super::DynamoDatabase;

/// Rotation reads, then writes under conditions; a lost race sends it round once more (the token is then
/// used or revoked, which needs no write race to settle). More rounds would mean a bug.
const ROTATION_ROUNDS: usize = 3;

fn token_item(token: &RefreshToken, family_id: Uuid, user_id: UserId) -> Item {
    let mut item = keys::token(&token.token_hash);
    item.extend([
        ("family_id".to_owned(), s(family_id.to_string())),
        ("user_id".to_owned(), s(user_id.0.to_string())),
        ("expires_at".to_owned(), micros(token.expires_at)),
        ("used".to_owned(), AttributeValue::Bool(token.used)),
        ("revoked".to_owned(), AttributeValue::Bool(token.revoked)),
    ]);
    item
}

/// What rotation needs to know of a stored token.
struct StoredToken {
    family_id: Uuid,
    user_id: UserId,
    expires_at: DateTime<Utc>,
    used: bool,
    revoked: bool,
}

impl StoredToken {
    fn from_item(item: &Item) -> Result<Self, DbError> {
        Ok(Self {
            family_id: req_uuid(item, "family_id")?,
            user_id: UserId(req_uuid(item, "user_id")?),
            expires_at: req_time(item, "expires_at")?,
            used: req_bool(item, "used")?,
            revoked: req_bool(item, "revoked")?,
        })
    }
}

impl DynamoDatabase {
    /// Revokes a family; with `only_if_live`, reports whether this call was the one that revoked it.
    async fn revoke_family(&self, family_id: Uuid, only_if_live: bool) -> Result<bool, DbError> {
        let mut update_values = vals([(":true", AttributeValue::Bool(true))]);
        let condition = if only_if_live {
            update_values.insert(":false".to_owned(), AttributeValue::Bool(false));
            "#revoked = :false"
        } else {
            PRESENT
        };
        let revoked = retry_conflicts(|| {
            self.client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(keys::family(family_id)))
                .update_expression("SET #revoked = :true")
                .condition_expression(condition)
                .set_expression_attribute_names(names(&["#revoked", condition]))
                .set_expression_attribute_values(values(update_values.clone()))
                .send()
        })
        .await;
        Ok(
            unless_condition_failed(revoked, &self.table, "revoking a refresh-token family")?
                .is_some(),
        )
    }
}

#[async_trait]
impl SessionRepository for DynamoDatabase {
    async fn insert_refresh_token(&self, token: &RefreshToken) -> Result<(), DbError> {
        let family = self.update(
            keys::family(token.family_id),
            "SET #user_id = if_not_exists(#user_id, :user), #revoked = if_not_exists(#revoked, :false)",
            None,
            vals([
                (":user", s(token.user_id.0.to_string())),
                (":false", AttributeValue::Bool(false)),
            ]),
        )?;
        let writes = vec![
            self.put_new(token_item(token, token.family_id, token.user_id))?,
            family,
        ];
        match self.transact(writes, "storing a refresh token").await? {
            Transacted::Done => Ok(()),
            Transacted::ConditionsFailed(_) => Err(DbError::Conflict(Conflict::RefreshToken)),
        }
    }

    async fn rotate_refresh_token(
        &self,
        presented_hash: &str,
        replacement: &RefreshToken,
        now: DateTime<Utc>,
    ) -> Result<RefreshOutcome, DbError> {
        for _ in 0..ROTATION_ROUNDS {
            let Some(item) = self
                .get(keys::token(presented_hash), "reading a refresh token")
                .await?
            else {
                return Ok(RefreshOutcome::Invalid);
            };
            let token = StoredToken::from_item(&item)?;
            if token.revoked {
                return Ok(RefreshOutcome::Invalid);
            }
            if token.used {
                // Two parties hold this family (one stole it): revoke all of it, even if this token expired
                // since. Of several presenting it at once, the one that flips the flag reports the reuse.
                if self.revoke_family(token.family_id, true).await? {
                    tracing::warn!(family_id = %token.family_id, "refresh token reused; family revoked");
                    return Ok(RefreshOutcome::ReuseDetected);
                }
                return Ok(RefreshOutcome::Invalid);
            }
            if token.expires_at <= now {
                return Ok(RefreshOutcome::Invalid);
            }
            // The replacement joins the presented token's family whatever the caller put in it: a family is
            // one login, and reuse detection only works if rotation never leaves it.
            let fresh = RefreshToken {
                used: false,
                revoked: false,
                ..replacement.clone()
            };
            let writes = vec![
                self.check(
                    keys::family(token.family_id),
                    "#revoked = :false",
                    vals([(":false", AttributeValue::Bool(false))]),
                )?,
                self.update(
                    keys::token(presented_hash),
                    "SET #used = :true",
                    Some("#used = :false AND #revoked = :false AND #expires_at > :now"),
                    vals([
                        (":true", AttributeValue::Bool(true)),
                        (":false", AttributeValue::Bool(false)),
                        (":now", micros(now)),
                    ]),
                )?,
                self.put_new(token_item(&fresh, token.family_id, token.user_id))?,
            ];
            let outcome = self.transact(writes, "rotating a refresh token").await?;
            if outcome == Transacted::Done {
                return Ok(RefreshOutcome::Rotated {
                    user_id: token.user_id,
                });
            }
            if outcome.failed(0) {
                return Ok(RefreshOutcome::Invalid);
            }
            if outcome.failed(2) && !outcome.failed(1) {
                return Err(DbError::Conflict(Conflict::RefreshToken));
            }
            // The token changed since we read it (another rotation won): read it again.
        }
        Err(DbError::other(format!(
            "refresh token rotation did not settle in {ROTATION_ROUNDS} rounds"
        )))
    }

    async fn revoke_refresh_family(&self, token_hash: &str) -> Result<bool, DbError> {
        let Some(item) = self
            .get(keys::token(token_hash), "reading a refresh token")
            .await?
        else {
            return Ok(false);
        };
        let family_id = req_uuid(&item, "family_id")?;
        self.revoke_family(family_id, false).await
    }
}
